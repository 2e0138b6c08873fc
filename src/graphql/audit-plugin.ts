import SchemaBuilder, { BasePlugin, PothosValidationError, type FieldNullability, type InputFieldMap, type PothosOutputFieldConfig, type SchemaTypes, type TypeParam } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { AUDIT_DONE, auditActor, auditTarget } from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import type { GraphQLContext } from './context.js';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      audit: PothosAuditPlugin<Types>;
    }
    export interface MutationFieldOptions<Types extends SchemaTypes, Type extends TypeParam<Types>, Nullable extends FieldNullability<Type>, Args extends InputFieldMap, ResolveReturnShape> {
      /** false: this mutation is not written to the audit trail (a manager's high-rate reports). */
      audit?: false;
    }
  }
}

/** How a mutation ended: DONE, the code of the error member of its result union, or of the error it threw. */
export function outcomeOfValue(value: unknown): string {
  const v = value as { __typename?: unknown; code?: unknown } | null;
  if (v && typeof v === 'object' && typeof v.__typename === 'string' && v.__typename.endsWith('Error') && typeof v.code === 'string') return v.code;
  return AUDIT_DONE;
}

export function outcomeOfError(e: unknown): string {
  if (e instanceof DomainError) return e.code;
  if (e instanceof PothosValidationError) return 'BAD_USER_INPUT'; // as the client is told (server/errors.ts maskError)
  const code = (e as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Writes every mutation to the audit trail from one place: it wraps each Mutation field's
 * resolver (outside the auth checks, so a refused call is recorded too, as FORBIDDEN) and
 * records who called it, its target and arguments, and its outcome, once that is known.
 * Listed first among the builder's plugins, so that it wraps the others.
 */
export class PothosAuditPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: GraphQLFieldResolver<unknown, Types['Context'], object>, fieldConfig: PothosOutputFieldConfig<Types>): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const options = fieldConfig.pothosOptions as { audit?: false };
    if (fieldConfig.kind !== 'Mutation' || options.audit === false) return resolver;
    const action = fieldConfig.name;
    return async (parent, args, context, info) => {
      const ctx = context as unknown as GraphQLContext;
      const record = (outcome: string) =>
        ctx.principal ? ctx.services.audit.record({ actor: auditActor(ctx.principal), action, target: auditTarget(args as Record<string, unknown>), args, outcome }) : undefined;
      let value: unknown;
      try {
        value = await resolver(parent, args, context, info);
      } catch (e) {
        await record(outcomeOfError(e));
        throw e;
      }
      await record(outcomeOfValue(value));
      return value;
    };
  }
}

SchemaBuilder.registerPlugin('audit', PothosAuditPlugin);

export const AuditPlugin = 'audit' as const;
