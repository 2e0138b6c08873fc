/** The API's tokens in GraphQL: the ApiToken type, the admin's list of them, create and revoke. */
import type { ApiToken } from '../../domain/auth.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { RoleEnum } from './enums.js';
import { asResult, NotFoundErrorRef, payload, resultUnion, ValidationErrorRef } from './errors.js';

export const ApiTokenRef = builder.objectRef<ApiToken>('ApiToken').implement({
  fields: (t) => ({
    id: t.globalID({ resolve: (k) => ({ type: 'ApiToken', id: k.id }) }),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (k) => k.role }),
    clusterName: t.exposeString('clusterName', { nullable: true, description: 'an enrollment token limited to one cluster' }),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
  }),
});

const ApiTokenPayload = builder.objectRef<{ token: string; apiToken: ApiToken }>('ApiTokenPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'the secret: shown this once, stored only hashed' }),
    apiToken: t.field({ type: ApiTokenRef, resolve: (p) => p.apiToken }),
  }),
});
const RevokeApiTokenPayload = builder.objectRef<{ apiToken: ApiToken }>('RevokeApiTokenPayload').implement({
  fields: (t) => ({ apiToken: t.field({ type: ApiTokenRef, resolve: (p) => p.apiToken }) }),
});

const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
    clusterName: t.string({ description: 'MANAGER tokens only: the one cluster it may register' }),
  }),
});

const CreateApiTokenResult = resultUnion('CreateApiTokenResult', ApiTokenPayload, [ValidationErrorRef]);
const RevokeApiTokenResult = resultUnion('RevokeApiTokenResult', RevokeApiTokenPayload, [ValidationErrorRef, NotFoundErrorRef]);

builder.queryField('apiTokens', (t) => t.field({ type: [ApiTokenRef], authScopes: { admin: true }, resolve: (_r, _a, ctx) => ctx.services.tokens.list() }));

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreateApiTokenResult,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_r, { input }, ctx) => asResult(async () => payload('ApiTokenPayload', await ctx.services.tokens.create(input))),
  }),
  revokeApiToken: t.field({
    type: RevokeApiTokenResult,
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) =>
      asResult(async () => payload('RevokeApiTokenPayload', { apiToken: await ctx.services.tokens.revoke(parseId(String(id), 'ApiToken', 'id')) })),
  }),
}));
