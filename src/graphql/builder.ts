import SchemaBuilder from '@pothos/core';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { hasRole, isEnrollment, isManagerSession } from '../domain/auth.js';
import { ValidationError } from '../domain/errors.js';
import { AuditPlugin } from './audit-plugin.js';
import { SyncNodeIdPlugin } from './sync-id-plugin.js';
import type { GraphQLContext } from './context.js';
import { listSizeExtensions, listSizeOf, NODE_IDS } from './ids.js';

const NODE_TYPES = new Set(['Cluster', 'Manager', 'Worker', 'Command', 'ManagerTask']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Schema builder configuration only; types live one file each under schema/. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean; managerSession: boolean; enrollment: boolean; authenticated: boolean };
  Connection: { totalCount: number };
  DefaultFieldNullability: false;
}>({
  // The audit plugin first: it wraps the others (a refused mutation is recorded too). Sync node
  // ids last: it replaces the relay plugin's id resolvers, innermost (sync-id-plugin.ts).
  plugins: [AuditPlugin, ScopeAuthPlugin, RelayPlugin, SyncNodeIdPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { authScopes: { viewer: true } },
    nodesQueryOptions: {
      authScopes: { viewer: true },
      extensions: listSizeExtensions(NODE_IDS),
      // Refused before a single id is read; src/server/limits.ts refuses it before the operation runs, too.
      resolve: (_root, args, _ctx, _info, resolveNodes) => {
        listSizeOf(args.ids, NODE_IDS);
        return resolveNodes(args.ids);
      },
    },
    // Any id the API did not hand out (unknown type, not a UUID, not base64) is bad input, not a crash.
    decodeGlobalID: (globalID: string) => {
      const { typename, id } = decodeGlobalID(globalID);
      if (!NODE_TYPES.has(typename) || !UUID.test(id)) throw new ValidationError(`"${globalID.slice(0, 100)}" is not an id of this API`, 'id');
      return { typename, id: id.toLowerCase() };
    },
  },
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.principal !== null,
      viewer: hasRole(ctx.principal, 'VIEWER'),
      operator: hasRole(ctx.principal, 'OPERATOR'),
      admin: hasRole(ctx.principal, 'ADMIN'),
      managerSession: isManagerSession(ctx.principal),
      enrollment: isEnrollment(ctx.principal),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      ctx.principal
        ? new GraphQLError(`${ctx.principal.role} may not use ${info.parentType.name}.${info.fieldName}`, { extensions: { code: 'FORBIDDEN' } })
        : new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } }),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.globalConnectionField('totalCount', (t) => t.int({ nullable: false, description: 'how many match, across every page', resolve: (c) => c.totalCount }));
