import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GraphQLFieldResolver } from 'graphql';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      syncNodeIds: PothosSyncNodeIdPlugin<Types>;
    }
  }
}

type IdResolver = (parent: unknown, args: object, context: object, info: unknown) => unknown;

/**
 * A node's `id` answered at once: the relay plugin resolves every node id through an async
 * function (a promise, and a resolve info from graphql-jit, per id), and a page of 50 clusters
 * has 50 of them, about a tenth of what the page allocated (bench:topology). Where the
 * type's own id resolver (builder.node's `id.resolve`) answers synchronously, this encodes the
 * global id as the relay plugin would (no custom encodeGlobalID is configured in builder.ts);
 * otherwise (a promise, or no id) the relay plugin's resolver answers, as before.
 * Listed last among the builder's plugins: it replaces only the innermost resolver, and the
 * others still wrap it.
 */
export class PothosSyncNodeIdPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: GraphQLFieldResolver<unknown, Types['Context'], object>, fieldConfig: PothosOutputFieldConfig<Types>): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (fieldConfig.kind !== 'Object' || fieldConfig.name !== 'id') return resolver;
    const typeConfig = this.buildCache.getTypeConfig(fieldConfig.parentType);
    // addNodeProperties (plugin-relay) marks a node type by this extension and keeps its id options.
    if (typeConfig.kind !== 'Object' || !(typeConfig.extensions && 'pothosParseGlobalID' in typeConfig.extensions)) return resolver;
    const idResolve = (typeConfig.pothosOptions as { id?: { resolve?: IdResolver } }).id?.resolve;
    if (typeof idResolve !== 'function') return resolver;
    const typename = typeConfig.name;
    return (parent, args, context, info) => {
      const raw = idResolve(parent, args, context, info);
      if (raw == null || typeof (raw as { then?: unknown }).then === 'function') return resolver(parent, args, context, info);
      return encodeGlobalID(typename, String(raw));
    };
  }
}

SchemaBuilder.registerPlugin('syncNodeIds', PothosSyncNodeIdPlugin);

export const SyncNodeIdPlugin = 'syncNodeIds' as const;
