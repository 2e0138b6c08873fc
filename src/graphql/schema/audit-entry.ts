import type { AuditActor, AuditEntry } from '../../domain/audit.js';
import { ValidationError } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { connectionOf, decodeCursor, encodeCursor, pageSize, parseId, toGlobalId } from '../ids.js';
import { RoleEnum } from './enums.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const AuditActorKindEnum = builder.enumType('AuditActorKind', {
  values: {
    TOKEN: { description: 'an API token (a person, a script, or a manager’s enrollment token)' },
    SESSION: { description: 'a manager session' },
    BOOTSTRAP: { description: 'the OC_ADMIN_TOKEN of the environment' },
  } as const,
});

const AuditActorRef = builder.objectRef<AuditActor>('AuditActor').implement({
  description: 'who made the call',
  fields: (t) => ({
    kind: t.field({ type: AuditActorKindEnum, resolve: (a) => a.kind.toUpperCase() as 'TOKEN' | 'SESSION' | 'BOOTSTRAP' }),
    tokenId: t.id({ nullable: true, description: "the API token's id (as ApiToken.id); null for the bootstrap token and manager sessions", resolve: (a) => (a.tokenId ? toGlobalId('ApiToken', a.tokenId) : null) }),
    name: t.exposeString('name', { description: "the token's name" }),
    role: t.field({ type: RoleEnum, resolve: (a) => a.role }),
  }),
});

const AuditEntryRef = builder.objectRef<AuditEntry>('AuditEntry').implement({
  description: 'one mutation of a person, or one manager registration, and how it ended',
  fields: (t) => ({
    id: t.id({ resolve: (e) => String(e.id) }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    actor: t.field({ type: AuditActorRef, resolve: (e) => e.actor }),
    action: t.exposeString('action', { description: 'the mutation, e.g. restartCluster' }),
    target: t.exposeString('target', { nullable: true, description: 'what it was aimed at, as the caller named it: an id or a name' }),
    arguments: t.field({ type: 'JSON', nullable: true, description: 'its arguments, without secrets (values of keys naming a token, secret or password are "[redacted]")', resolve: (e) => e.args }),
    outcome: t.exposeString('outcome', { description: 'DONE, or the error code it ended with (e.g. CONFLICT, VALIDATION, NOT_FOUND, FORBIDDEN)' }),
  }),
});

const AuditEntryConnection = builder.connectionObject({ type: AuditEntryRef, name: 'AuditEntryConnection' }, { name: 'AuditEntryEdge' });

const MAX_PAGE = 500;
const cursorOf = (e: AuditEntry) => encodeCursor('audit', String(e.id));

builder.queryField('auditLog', (t) =>
  t.field({
    type: AuditEntryConnection,
    authScopes: { admin: true },
    description: 'ADMIN: the audit trail, newest first: every mutation of a person and every manager registration (refused ones too), with its outcome',
    args: {
      first: t.arg.int({ description: `at most ${MAX_PAGE}; default 50` }),
      after: t.arg.string(),
      actor: t.arg.string({ description: "a token's name, or its id (ApiToken.id)" }),
      action: t.arg.string({ description: 'a mutation name, e.g. restartCluster' }),
      since: t.arg({ type: 'DateTime', description: 'entries at or after this time' }),
    },
    resolve: async (_r, args, ctx) => {
      const first = pageSize(args.first, 50, MAX_PAGE);
      const raw = decodeCursor('audit', args.after);
      const afterId = raw === null ? null : Number(raw);
      if (afterId !== null && !Number.isSafeInteger(afterId)) throw new ValidationError('after is not a cursor of this list', 'after');
      const actor = args.actor ?? null;
      let actorTokenId: string | null = null;
      if (actor !== null) {
        if (UUID.test(actor)) actorTokenId = actor.toLowerCase();
        else {
          try {
            actorTokenId = parseId(actor, 'ApiToken', 'actor');
          } catch {
            actorTokenId = null; // a name, then
          }
        }
      }
      const page = await ctx.services.audit.list({ actorName: actor, actorTokenId, action: args.action ?? null, since: args.since ?? null }, { first, afterId });
      return connectionOf(page.entries, cursorOf, { totalCount: page.totalCount, hasNextPage: page.hasNextPage, hasPreviousPage: afterId !== null });
    },
  }),
);
