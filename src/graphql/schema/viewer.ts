import type { Principal } from '../../domain/auth.js';
import { builder } from '../builder.js';
import { toGlobalId } from '../ids.js';
import { RoleEnum } from './enums.js';

export const ViewerRef = builder.objectRef<Principal>('Viewer').implement({
  fields: (t) => ({
    tokenName: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (p) => p.role }),
    clusterId: t.id({ nullable: true, description: "a manager session's cluster", resolve: (p) => (p.kind === 'session' ? toGlobalId('Cluster', p.clusterId) : null) }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: ViewerRef, authScopes: { authenticated: true }, resolve: (_r, _a, ctx) => ctx.principal! }));
