import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { hasRole, isEnrollment, isManagerSession } from '../domain/auth.js';
import type { GraphQLContext } from './context.js';

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
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { authScopes: { viewer: true } },
    nodesQueryOptions: { authScopes: { viewer: true } },
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
