/** The `oc` subcommands around the rollouts: a manager's operations, API tokens, and the live event feed. */
import {
  CommandEventsSubscription,
  CreateTokenMutation,
  MembershipSubscription,
  RevokeTokenMutation,
  RunOperationMutation,
  TokensQuery,
  TopologySubscription,
} from './documents.js';
import type { Role } from './gql/graphql.js';
import { live, ok, resolveCluster } from './lib/api.js';
import { CliError, usage } from './lib/errors.js';
import { age, json, paint, parseDuration, state, table } from './lib/format.js';

import { connect, type Globals, oneOf, print } from './lib/command-kit.js';

// ---- operations ----

export async function op(clusterName: string, operation: string, o: { arg?: string[]; args?: string; timeout?: string }, g: Globals) {
  if (o.arg?.length && o.args) throw usage('give --arg key=value or --args JSON, not both');
  let args: Record<string, unknown> | undefined;
  if (o.args) {
    try {
      args = JSON.parse(o.args);
    } catch (e) {
      throw usage(`--args is not JSON: ${(e as Error).message}`);
    }
  } else if (o.arg?.length) {
    args = {};
    for (const kv of o.arg) {
      const i = kv.indexOf('=');
      if (i <= 0) throw usage(`--arg must be key=value, not "${kv}"`);
      const raw = kv.slice(i + 1);
      let v: unknown = raw;
      // Numbers, booleans, null and JSON objects as such; anything else a string.
      if (/^(-?\d+(\.\d+)?|true|false|null|[[{].*)$/.test(raw)) {
        try {
          v = JSON.parse(raw);
        } catch {}
      }
      args[kv.slice(0, i)] = v;
    }
  }
  const timeoutMs = o.timeout ? parseDuration(o.timeout, '--timeout') : undefined;
  const a = await connect();
  const ref = await resolveCluster(a, clusterName);
  const r = (await a.request(RunOperationMutation, { input: { clusterId: ref.id, operation, arguments: args, timeoutMs } })).runManagerOperation;
  if (r.__typename === 'ValidationError' && r.field) throw new CliError(r.code, `${r.message} (${r.field})`);
  const payload = ok(r, 'OperationPayload');
  print(json(g.output === 'json' ? { command: payload.command, result: payload.result } : payload.result));
}

// ---- tokens ----

const ROLES = ['VIEWER', 'OPERATOR', 'ADMIN', 'MANAGER'] as const satisfies readonly Role[];

export async function tokensList(g: Globals) {
  const a = await connect();
  const list = (await a.request(TokensQuery, {})).apiTokens;
  if (g.output === 'json') return print(json(list));
  print(
    table(
      ['ID', 'NAME', 'ROLE', 'CLUSTER', 'CREATED', 'LAST USED', 'STATE'],
      list.map((t) => [t.id, t.name, t.role, t.clusterName ?? '-', age(t.createdAt), t.lastUsedAt ? `${age(t.lastUsedAt)} ago` : 'never', t.revokedAt ? state('REVOKED') : paint('active', 'green')]),
    ),
  );
}

export async function tokensCreate(name: string, o: { role?: string; cluster?: string }, g: Globals) {
  if (!o.role) throw usage('--role is required (viewer, operator, admin or manager)');
  const role = oneOf(o.role, ROLES, '--role');
  const a = await connect();
  const r = ok((await a.request(CreateTokenMutation, { input: { name, role, clusterName: o.cluster } })).createApiToken, 'ApiTokenPayload');
  if (g.output === 'json') return print(json(r));
  print(`Created ${r.apiToken.role} token "${r.apiToken.name}"${r.apiToken.clusterName ? ` for ${r.apiToken.clusterName}` : ''} (${r.apiToken.id}).`);
  print(`Its secret, shown this once:\n\n  ${r.token}\n`);
}

export async function tokensRevoke(id: string, g: Globals) {
  const a = await connect();
  const r = ok((await a.request(RevokeTokenMutation, { id })).revokeApiToken, 'RevokeApiTokenPayload');
  if (g.output === 'json') return print(json(r.apiToken));
  print(`Revoked token "${r.apiToken.name}" (${r.apiToken.id}).`);
}

// ---- events ----

export async function events(o: { cluster?: string; follow?: boolean }, g: Globals): Promise<number> {
  if (!o.follow) throw usage('oc events needs --follow: the OC keeps no event history (oc commands lists past commands)');
  const a = await connect();
  const ref = o.cluster ? await resolveCluster(a, o.cluster) : null;
  const emit = (topic: string, at: string, cluster: string, text: string, raw: unknown) => {
    if (g.output === 'json') print(JSON.stringify({ topic, ...(raw as object) }));
    else print(`${paint(new Date(at).toISOString().slice(11, 23), 'gray')}  ${topic.padEnd(10)}  ${cluster.padEnd(12)}  ${text}`);
  };
  return new Promise<number>((_resolve, reject) => {
    const conn = live(a.target, {
      onConnected: (again) => {
        const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
        if (again) process.stderr.write(paint('oc: reconnected (events while away are not replayed)\n', 'gray', color));
        else process.stderr.write(paint(`oc: following events${ref ? ` of ${ref.name}` : ''} (Ctrl-C to stop)\n`, 'gray', color));
      },
      onDisconnected: (why) => process.stderr.write(paint(`oc: ${why}: reconnecting…\n`, 'gray', Boolean(process.stderr.isTTY))),
    });
    const fail = (e: CliError) => {
      void conn.dispose();
      reject(e);
    };
    conn.subscribe(MembershipSubscription, { clusterId: ref?.id }, (d) => {
      const e = d.membershipChanged;
      emit('membership', e.at, e.cluster.name, `${e.worker.memberId} ${e.change.toLowerCase().replace('_', ' ')} ${state(e.worker.state)}`, d.membershipChanged);
    }, fail);
    conn.subscribe(TopologySubscription, {}, (d) => {
      const e = d.topologyChanged;
      if (ref && e.cluster.id !== ref.id) return;
      emit('topology', e.at, e.cluster.name, `${e.change.toLowerCase().replace('_', ' ')}, ${state(e.cluster.health)}`, d.topologyChanged);
    }, fail);
    conn.subscribe(CommandEventsSubscription, { clusterId: ref?.id }, (d) => {
      const c = d.commandUpdated;
      const p = c.progress;
      emit('command', new Date().toISOString(), c.cluster?.name ?? '-', `${c.kind} ${state(c.state, { command: true })} ${p.succeeded + p.failed + p.skipped}/${p.total}${c.message ? `: ${c.message}` : ''}  ${paint(c.id, 'gray')}`, d.commandUpdated);
    }, fail);
  });
}
