import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { sqlRows } from '../support/db.js';
import { waitFor } from '../support/wait.js';

/**
 * Property-based fuzzing of every mutation of the schema, over real HTTP: generated arguments,
 * valid-shaped with hostile values (NUL, lone surrogates, control characters, huge and negative
 * numbers, dates out of range, deep JSON) and invalid ones (wrong types, nulls, unknown fields),
 * as variables or inline literals, with tokens of every role. Whatever the answer:
 * - never INTERNAL_SERVER_ERROR, never a 5xx status;
 * - an error (a GraphQL error or an Error member of the result union) changes nothing in the
 *   database: the row count and a digest of every table are the same after it as before.
 *
 * Seeded (FUZZ_SEED, printed on failure) and bounded to about a minute on PGlite; FUZZ_RUNS sets
 * the runs per mutation for long runs.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Tables left out of the digest: the audit trail (audit_log) records refused mutations too, on purpose. */
const NOT_DIGESTED = /^audit_log/;
/** Columns that move on reads and lease renewals, not on mutations: left out of the digest. */
const VOLATILE_COLUMNS = ['last_used_at', 'last_seen_at'];
/** Errors that come after a command was recorded (the operation ran and timed out or failed): they change the database on purpose. */
const RECORDED_ERRORS = new Set(['TIMEOUT', 'OPERATION_FAILED']);

const sdl = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
/** Every mutation, those that take away what others aim at (commands, tokens, clusters) last. */
const LAST = ['pauseCommand', 'resumeCommand', 'promoteCommand', 'cancelCommand', 'revokeApiToken', 'removeCluster'];
const mutations = Object.values(sdl.getMutationType()!.getFields()).sort((a, b) => LAST.indexOf(a.name) - LAST.indexOf(b.name));

let oc: TestOc;
/** ENROLLMENT: a MANAGER token bound to no cluster; BOUND: one bound to fuzz-a; SESSION: a manager's session. */
type Role = 'ADMIN' | 'OPERATOR' | 'VIEWER' | 'ENROLLMENT' | 'BOUND' | 'SESSION';
const tokens = {} as Record<Exclude<Role, 'SESSION'>, string>;
/** Manager sessions by cluster name: a registration the fuzzer makes replaces its cluster's. */
const sessions = new Map<string, string>();
const ids = { clusters: [] as string[], removable: [] as string[], commands: [] as string[], tasks: [] as string[], tokens: [] as string[] };
const ops = { manager: null as ScriptedManager | null, pending: [] as Promise<unknown>[] };
const outcomes = new Map<string, Map<string, number>>();

const RUN_OPERATION = `mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) { __typename ... on OperationPayload { command { id tasks { id } } } ... on Error { message } } }`;

beforeAll(async () => {
  oc = await startTestOc({}, { background: false });
  tokens.ADMIN = ADMIN_TOKEN;
  tokens.OPERATOR = (await createToken(oc.url, 'OPERATOR', 'fuzz-operator')).token;
  tokens.VIEWER = (await createToken(oc.url, 'VIEWER', 'fuzz-viewer')).token;
  tokens.ENROLLMENT = (await createToken(oc.url, 'MANAGER', 'fuzz-enrollment')).token;
  tokens.BOUND = (await createToken(oc.url, 'MANAGER', 'fuzz-a-enrollment', 'fuzz-a')).token;
  // Each cluster the fuzzer relies on is registered with an enrollment token bound to it.
  const enroll = async (cluster: string) => (await createToken(oc.url, 'MANAGER', `${cluster}-setup`, cluster)).token;
  for (let i = 0; i < 3; i++) ids.tokens.push((await createToken(oc.url, 'VIEWER', `fuzz-revocable-${i}`)).id);

  // A cluster whose manager answers operations at once (never registered again by the fuzzer).
  const m = new ScriptedManager(oc.url, await enroll('fuzz-ops'), 'fuzz-ops', 'ESB', ['w-000', 'w-001']);
  m.operations = { echo: (args: unknown) => args ?? null, fail: () => Promise.reject(new Error('refused')) };
  await m.register();
  m.connect();
  ops.manager = m;
  ids.clusters.push(m.clusterId);
  sessions.set('fuzz-ops', m.session);
  const run = await gqlOk(oc.url, tokens.OPERATOR, RUN_OPERATION, { i: { clusterId: m.clusterId, operation: 'echo', arguments: { hello: 'world' } } });
  ids.commands.push(run.runManagerOperation.command.id);
  ids.tasks.push(...run.runManagerOperation.command.tasks.map((t: { id: string }) => t.id));

  // A cluster whose manager the fuzzer plays: its tasks stay open until the fuzzer reports them.
  const a = await register(oc.url, tokens.BOUND, { clusterName: 'fuzz-a', kind: 'AS', workers: workerInputs(3), operations: [{ name: 'answer' }] });
  ids.clusters.push(a.clusterId);
  sessions.set('fuzz-a', a.sessionToken);
  for (let i = 0; i < 8; i++) {
    // Not awaited: each waits for a report of its task (or its cancellation, at the end).
    ops.pending.push(gqlOk(oc.url, tokens.OPERATOR, RUN_OPERATION, { i: { clusterId: a.clusterId, operation: 'answer', timeoutMs: 300_000 } }).catch(() => {}));
  }
  const uuid = (await sqlRows<{ id: string }>(oc.database, `select id from clusters where name = 'fuzz-a'`))[0]!.id;
  const open = await waitFor(async () => {
    const rows = await sqlRows<{ id: string; command_id: string }>(oc.database, `select id, command_id from manager_tasks where cluster_id = '${uuid}'`);
    return rows.length === 8 ? rows : null;
  }, 'the open tasks of fuzz-a');
  for (const t of open) {
    ids.tasks.push(globalId('ManagerTask', t.id));
    ids.commands.push(globalId('Command', t.command_id));
  }
  const restart = await gqlOk(oc.url, tokens.OPERATOR, 'mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } } }', { i: { clusterId: a.clusterId } });
  ids.commands.push(restart.restartCluster.command.id);

  const victim = await register(oc.url, await enroll('fuzz-victim'), { clusterName: 'fuzz-victim', workers: workerInputs(1) });
  ids.removable.push(victim.clusterId);
  ids.clusters.push(victim.clusterId);
  sessions.set('fuzz-victim', victim.sessionToken);
}, 60_000);

afterAll(async () => {
  // The operations still waiting are cancelled, so that no request outlives the OC.
  for (const id of ids.commands) await gqlOk(oc.url, tokens.OPERATOR, 'mutation($id: ID!) { cancelCommand(id: $id) { __typename } }', { id }).catch(() => {});
  await Promise.all(ops.pending);
  await ops.manager?.stop();
  await oc?.stop();
  const summary = [...outcomes].map(([field, counts]) => `${field}: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`fuzz (seed ${SEED}, ${RUNS} runs per mutation):\n  ${summary.join('\n  ')}`);
});

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

// ---------- the database, digested ----------

/** Row count and md5 of the rows (as JSON, volatile columns left out) of every table. */
let digestQuery: string | null = null;
async function digest(): Promise<Record<string, string>> {
  digestQuery ??= await makeDigestQuery();
  return Object.fromEntries((await sqlRows<{ t: string; d: string }>(oc.database, digestQuery)).map((r) => [r.t, r.d]));
}
/**
 * Waits until the tables stop changing (at most 5 s): what a call that succeeded, or that timed out,
 * set going may still write after its answer (a task's delivery is counted once it is on the
 * manager's socket; a task whose operation timed out is answered late), and must not be taken for
 * a change made by the next call.
 */
async function quiet(): Promise<void> {
  let last = JSON.stringify(await digest());
  let since = Date.now();
  // Unchanged for 300 ms (a loaded CI machine delays that write by more than a few tens of ms), at most 5 s.
  for (const until = Date.now() + 5_000; Date.now() < until && Date.now() - since < 300; ) {
    await new Promise((r) => setTimeout(r, 50));
    const now = JSON.stringify(await digest());
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}
async function makeDigestQuery(): Promise<string> {
  const tables = (await sqlRows<{ name: string }>(oc.database, `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`))
    .map((t) => t.name)
    .filter((t) => !NOT_DIGESTED.test(t));
  const row = `(to_jsonb(x) ${VOLATILE_COLUMNS.map((c) => `- '${c}'`).join(' ')})::text`;
  return tables.map((t) => `select '${t}' as t, count(*)::text || ':' || coalesce(md5(string_agg(${row}, '|' order by ${row})), '') as d from "${t}" x`).join(' union all ');
}

// ---------- values ----------

/**
 * Arguments are made valid first (from pools of values that succeed), then zero, one or two
 * positions anywhere in them (an argument, a field of an input object, an element of a list,
 * an optional field left out) get a hostile or wrong value for their type: one fault at a time
 * reaches as far as validation lets it, where random values everywhere would be refused at once.
 */

const sha = 'ab'.repeat(32);
/** Valid strings by field name; anything else is a short word. */
const STRING_POOLS: Record<string, string[]> = {
  clusterName: ['fuzz-a', 'fuzz-b', 'fuzz-c', 'fuzz-victim'],
  kind: ['AS', 'as'],
  host: ['10.0.0.1', 'mgr.example'],
  url: ['http://mgr.example:9990', 'https://repo.example/app-2.0.war'],
  version: ['1.0.0', '2.0', '7.4.1'],
  memberId: ['w-000', 'w-001', 'w-002', 'w-new'],
  name: ['app', 'echo', 'fuzz-token'],
  operation: ['echo', 'echo', 'fail', 'answer'],
  sha256: [sha],
  message: ['done', 'worker w-000 failed'],
  description: ['an operation'],
  kinds: ['AS', 'ESB'],
  after: [Buffer.from('cluster:fuzz-a').toString('base64url'), Buffer.from('worker:w-000').toString('base64url')],
};

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x\uD800',
  '\uDC00y',
  '1.0\uD800',
  'ok\uD83D\uDE00',
  'tab\there',
  'line\nbreak',
  '\u007F\u0085\u200B',
  '\u001F',
  'é'.repeat(300),
  'x'.repeat(5000),
  "'; drop table clusters; --",
  '%s%n{}$1\\',
  '__proto__',
  '-200000-01-01T00:00:00Z',
];
const HOSTILE_DATES = ['-200000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z', '0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', '2026-02-30T25:00:00Z', 'yesterday', '', '1e400', 'x\u0000'];
const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
const HOSTILE_JSON: unknown[] = [
  { k: 'a\u0000b' },
  { 'k\u0000': 1 },
  ['x\uD800'],
  { nested: { deeper: ['ok', '\uDC00'] } },
  'a\u0000',
  '\uD800',
  { '\uD800': true },
  deep(65),
  deep(300),
  'x'.repeat(300_000),
  1e308,
  -1e308,
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { a: [{ b: [{ c: 'fine' }] }] },
];
const HOSTILE_IDS = ['', 'nope', globalId('Cluster', 'not-a-uuid'), globalId('Cluster', '00000000-0000-0000-0000-000000000000'), globalId('Command', 'a\u0000b'), globalId('ApiToken', '00000000-0000-0000-0000-00000000000g'), 'Q2x1c3Rlcjo=', 'x'.repeat(3000), '\uD800', 'a\u0000'];
const HOSTILE_INTS = [2_147_483_647, -2_147_483_648, -1, 0, 1, 2 ** 31, 1.5, 10_001, 300_001];
const HOSTILE_FLOATS = [1e308, -1e308, -1, -0, 5e-324, 1e9 + 1, 100_001];
/** Wrong for any position: a GraphQL input error, never more. */
const WRONG: unknown[] = [null, 0, -1.5, 'not-it', true, {}, [], { unknown: 1 }, [null]];

/** Valid values for an input type; `name` is the field or argument holding it. */
function validOf(type: GraphQLInputType, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return validOf(type.ofType, name, depth);
  if (isListType(type)) return fc.array(validOf(type.ofType, name, depth + 1), { minLength: 0, maxLength: 3 });
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name));
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const shape = Object.fromEntries(fields.map((f) => [f.name, validOf(f.type, f.name, depth + 1)]));
    return fc.record(shape, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
  }
  switch (isScalarType(type) ? type.name : '') {
    case 'ID':
      return fc.constant(name).chain((n) => fc.constantFrom(...idsFor(n)));
    case 'String':
      return fc.constantFrom(...(STRING_POOLS[name] ?? ['a', 'x-1', 'Hello world']));
    case 'Int':
      return VALID_INTS[name] ?? fc.integer({ min: 0, max: 3 });
    case 'Float':
      return fc.double({ min: 0, max: 100, noNaN: true });
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'JSON':
      return json;
  }
  return fc.constant(null);
}

/** JSON values whose keys are GraphQL names, so that they can be written inline as literals too. */
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), fc.array(tie('json'), { maxLength: 3 }), fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), tie('json'), { maxKeys: 3 })),
  leaf: fc.oneof(fc.string({ maxLength: 12 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null)),
}));

const VALID_INTS: Record<string, fc.Arbitrary<number>> = {
  timeoutMs: fc.constantFrom(300, 500),
  seq: fc.integer({ min: 1, max: 12 }),
  port: fc.integer({ min: 0, max: 65535 }),
  batchSize: fc.integer({ min: 1, max: 3 }),
  healthTimeoutMs: fc.constantFrom(100, 60_000),
  pauseBetweenBatchesMs: fc.constantFrom(0, 10),
  maxFailures: fc.integer({ min: 0, max: 2 }),
  maxParallelClusters: fc.integer({ min: 1, max: 3 }),
};

/** The ids an argument named `name` takes: real ones (never the fuzzer's own tokens, nor a cluster it relies on). */
function idsFor(name: string): string[] {
  const list = name === 'clusterId' ? ids.clusters : name === 'taskId' ? ids.tasks : [...ids.clusters, ...ids.commands, ...ids.tasks];
  return list.length ? list : ['-'];
}

/** A hostile or wrong value for a position of type `type`, chosen by `pick`. */
function hostileFor(type: GraphQLInputType, name: string, pick: number): unknown {
  const t = isNonNullType(type) ? type.ofType : type;
  let own: unknown[] = [];
  if (isListType(t)) own = [[], [null], 'single'];
  else if (isEnumType(t)) own = ['NOT_A_VALUE', ...HOSTILE_STRINGS];
  else if (isInputObjectType(t)) own = [{}, { unknownField: 1 }];
  else if (isScalarType(t)) {
    own =
      { ID: HOSTILE_IDS, String: HOSTILE_STRINGS, Int: HOSTILE_INTS, Float: HOSTILE_FLOATS, DateTime: HOSTILE_DATES, JSON: HOSTILE_JSON, Boolean: ['true', 1] }[t.name] ?? [];
  }
  // Mostly a hostile value of the right type; now and then a wrong one.
  const list = pick % 6 === 0 || own.length === 0 ? WRONG : own;
  const v = list[Math.floor(pick / 6) % list.length];
  return name === 'memberId' && typeof v === 'string' && pick % 7 === 0 ? `w-000${v}` : v;
}

/** Every position of the arguments where a fault may go, optional fields left out included. */
type Position = { holder: Record<string | number, unknown>; key: string | number; type: GraphQLInputType; name: string };
function positions(holder: Record<string | number, unknown>, key: string | number, type: GraphQLInputType, name: string, out: Position[]): Position[] {
  out.push({ holder, key, type, name });
  const v = holder[key];
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t) && Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) positions(v as unknown as Record<number, unknown>, i, t.ofType, name, out);
  } else if (isInputObjectType(t) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const f of Object.values(t.getFields())) positions(v as Record<string, unknown>, f.name, f.type, f.name, out);
  }
  return out;
}

/** The ids a mutation's `id` argument takes: never the fuzzer's own tokens, nor a cluster it relies on. */
const ID_ARG: Record<string, () => string[]> = {
  removeCluster: () => ids.removable,
  revokeApiToken: () => ids.tokens,
  pauseCommand: () => ids.commands,
  resumeCommand: () => ids.commands,
  promoteCommand: () => ids.commands,
  cancelCommand: () => ids.commands,
};

/** The token a mutation wants; now and then another role, which must be refused and change nothing. */
const ROLE_OF: Record<string, Role> = {
  createApiToken: 'ADMIN',
  revokeApiToken: 'ADMIN',
  removeCluster: 'ADMIN',
  registerManager: 'ENROLLMENT',
  reportMembership: 'SESSION',
  reportStats: 'SESSION',
  reportTask: 'SESSION',
};
const roleArb = (field: string) =>
  fc.oneof(
    { arbitrary: field === 'registerManager' ? fc.constantFrom<Role>('ENROLLMENT', 'BOUND') : fc.constant(ROLE_OF[field] ?? ('OPERATOR' as Role)), weight: 8 },
    { arbitrary: fc.constantFrom<Role>('ADMIN', 'OPERATOR', 'VIEWER', 'ENROLLMENT', 'BOUND', 'SESSION'), weight: 1 },
  );

const tokenOf = (role: Role, cluster: string) => (role === 'SESSION' ? (sessions.get(cluster) ?? sessions.get('fuzz-a')!) : tokens[role]);

// ---------- documents ----------

/** What each mutation selects: the union member's name, an Error's code, and what the fuzzer keeps of a success. */
function selection(field: GraphQLField<unknown, unknown>): string {
  const keep: Record<string, string> = {
    registerManager: '... on RegisterManagerPayload { sessionToken cluster { id name } }',
    restartCluster: '... on CommandPayload { command { id } }',
    pauseCommand: '... on CommandPayload { command { id } }',
    resumeCommand: '... on CommandPayload { command { id } }',
    promoteCommand: '... on CommandPayload { command { id } }',
    deployArtifact: '... on CommandPayload { command { id } }',
    deployPatch: '... on CommandPayload { command { id children { id } } }',
    createApiToken: '... on ApiTokenPayload { apiToken { id } }',
  };
  return `{ __typename ... on Error { code message } ${keep[field.name] ?? ''} }`;
}

function typeString(t: GraphQLInputType): string {
  return t.toString();
}

/** A value written as a GraphQL literal for its type (hostile keys or numbers may make a syntax error: an error all the same). */
function literal(v: unknown, type: GraphQLInputType | undefined): string {
  if (v === null || v === undefined) return 'null';
  const t = type && isNonNullType(type) ? type.ofType : type;
  if (t && isListType(t)) return Array.isArray(v) ? `[${v.map((x) => literal(x, t.ofType)).join(', ')}]` : literal(v, t.ofType);
  if (t && isEnumType(t) && typeof v === 'string' && /^[_A-Za-z][_0-9A-Za-z]*$/.test(v)) return v;
  const fields = t && isInputObjectType(t) ? t.getFields() : null;
  if (Array.isArray(v)) return `[${v.map((x) => literal(x, undefined)).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : JSON.stringify(k)}: ${literal(x, fields?.[k]?.type)}`)
      .join(', ')}}`;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function document(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, inline: boolean): { query: string; variables?: Record<string, unknown> } {
  const present = field.args.filter((a) => a.name in args);
  if (inline) {
    const list = present.map((a) => `${a.name}: ${literal(args[a.name], a.type)}`).join(', ');
    return { query: `mutation { ${field.name}${list ? `(${list})` : ''} ${selection(field)} }` };
  }
  const defs = present.map((a) => `$${a.name}: ${typeString(a.type)}`).join(', ');
  const list = present.map((a) => `${a.name}: $${a.name}`).join(', ');
  return { query: `mutation${defs ? `(${defs})` : ''} { ${field.name}${list ? `(${list})` : ''} ${selection(field)} }`, variables: args };
}

function argsArb(field: GraphQLField<unknown, unknown>): fc.Arbitrary<{ args: Record<string, unknown>; faults: string[] }> {
  const shape = Object.fromEntries(
    field.args.map((a: GraphQLArgument) => {
      const idPool = ID_ARG[field.name];
      return [a.name, a.name === 'id' && idPool ? fc.constant(0).chain(() => fc.constantFrom(...idPool(), '-')) : validOf(a.type, a.name)];
    }),
  );
  const valid = fc.record(shape, { requiredKeys: field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name) });
  const fault = fc.record({ at: fc.nat(), pick: fc.nat() });
  const faults = fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, { arbitrary: fc.array(fault, { minLength: 1, maxLength: 1 }), weight: 3 }, { arbitrary: fc.array(fault, { minLength: 2, maxLength: 2 }), weight: 1 });
  return fc.tuple(valid, faults).map(([v, fs]) => {
    const args = structuredClone(v) as Record<string, unknown>;
    const made: string[] = [];
    for (const f of fs) {
      const all = field.args.flatMap((a) => positions(args, a.name, a.type, a.name, []));
      const p = all[f.at % all.length]!;
      p.holder[p.key] = hostileFor(p.type, p.name, f.pick);
      made.push(`${p.name}=${JSON.stringify(p.holder[p.key])?.slice(0, 60)}`);
    }
    return { args, faults: made };
  });
}

// ---------- one run ----------

async function post(token: string, body: { query: string; variables?: Record<string, unknown> }) {
  const res = await fetch(`${oc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] } = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  return { status: res.status, text, ...json };
}

const count = (field: string, outcome: string) => {
  const m = outcomes.get(field) ?? new Map<string, number>();
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  outcomes.set(field, m);
};

/** Keeps what a success made, for later runs to aim at. */
function harvest(field: string, member: Record<string, any>) {
  if (member.__typename === 'RegisterManagerPayload') {
    const { name, id } = member.cluster;
    sessions.set(name, member.sessionToken);
    if (!ids.clusters.includes(id)) ids.clusters.push(id);
    if (!['fuzz-a', 'fuzz-ops'].includes(name) && !ids.removable.includes(id)) ids.removable.push(id);
  }
  if (member.__typename === 'CommandPayload' && field !== 'cancelCommand') {
    ids.commands.push(member.command.id);
    for (const c of member.command.children ?? []) ids.commands.push(c.id);
  }
  if (member.__typename === 'ApiTokenPayload' && field === 'createApiToken') ids.tokens.push(member.apiToken.id);
}

describe('fuzzing every mutation', () => {
  it('covers every mutation of the schema', () => {
    expect(mutations.map((m) => m.name).sort()).toEqual(expect.arrayContaining(['registerManager', 'reportMembership', 'reportStats', 'reportTask', 'restartCluster', 'runManagerOperation']));
  });

  for (const field of mutations) {
    it(`${field.name}: never an internal error or a 5xx, and an error changes nothing`, async () => {
      const property = fc.asyncProperty(
        argsArb(field),
        roleArb(field.name),
        fc.constantFrom('fuzz-a', 'fuzz-ops', 'fuzz-victim'),
        fc.boolean(), // arguments inline as literals, or as variables
        async ({ args, faults }, role, sessionCluster, inline) => {
          const body = document(field, args, inline);
          const before = await digest();
          const r = await post(tokenOf(role, sessionCluster), body);
          const what = () => `${field.name} as ${role}${inline ? ' (inline)' : ''}, faults ${faults.join('; ') || 'none'}: ${body.query.slice(0, 400)} ${JSON.stringify(body.variables ?? null)?.slice(0, 600)} -> ${r.status} ${r.text.slice(0, 600)}`;
          if (r.status >= 500) throw new Error(`a ${r.status}: ${what()}`);
          const codes = (r.errors ?? []).map((e) => e.extensions?.code);
          if (codes.includes('INTERNAL_SERVER_ERROR')) throw new Error(`an internal error: ${what()}`);
          const member = r.data?.[field.name] as Record<string, any> | null | undefined;
          const refused = (r.errors?.length ?? 0) > 0 || !member || typeof member.code === 'string';
          count(field.name, r.errors?.length ? `error:${codes[0] ?? r.status}` : (member?.__typename ?? 'null'));
          if (process.env.FUZZ_VERBOSE && ((faults.length === 0 && refused) || (r.errors?.length && !codes[0]))) console.log(what());
          if (!refused) {
            harvest(field.name, member!);
            await quiet();
            return;
          }
          if (member && RECORDED_ERRORS.has(member.code)) {
            // Recorded, not refused: a task that timed out is still answered by its manager, later.
            await quiet();
            return;
          }
          const after = await digest();
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
            throw new Error(`an error changed ${changed.join(', ')}: ${what()}`);
          }
        },
      );
      const details = await fc.check(property, { seed: SEED, numRuns: RUNS, endOnFailure: !process.env.FUZZ_SHRINK });
      if (details.failed) {
        throw new Error(
          `fuzzing ${field.name} failed (FUZZ_SEED=${SEED}, run ${details.numRuns}; replay with FUZZ_SEED=${SEED} and fc path ${details.counterexamplePath}):\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
        );
      }
    }, 120_000);
  }
});

/** Where a field with arguments is asked: at the root, or under a cluster or the system. */
const HOSTS: Record<string, (field: string) => string> = {
  Query: (f) => f,
  Cluster: (f) => `cluster(name: "fuzz-a") { ${f} }`,
  System: (f) => `system { ${f} }`,
};

describe('fuzzing every read with arguments', () => {
  const reads = Object.values(sdl.getTypeMap()).flatMap((type) => {
    if (!('getFields' in type) || type === sdl.getMutationType() || type === sdl.getSubscriptionType() || isInputObjectType(type) || !HOSTS[type.name]) return [];
    return Object.values((type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields())
      .filter((f) => f.args.length > 0)
      .map((f) => ({ host: type.name, field: f }));
  });

  it('covers the reads that take arguments', () => {
    expect(reads.map((r) => `${r.host}.${r.field.name}`)).toEqual(expect.arrayContaining(['Query.cluster', 'Query.clusters', 'Query.nodes', 'Cluster.statsHistory', 'Cluster.workers']));
  });

  for (const { host, field } of reads) {
    it(`${host}.${field.name}: never an internal error or a 5xx`, async () => {
      const named = getNamedType(field.type);
      const sub = isLeafType(named) ? '' : '{ __typename }';
      const property = fc.asyncProperty(argsArb(field), fc.boolean(), async ({ args, faults }, inline) => {
        const { query, variables } = document(field, args, inline);
        // The mutation document's arguments, moved into a query at the field's place.
        const call = query.replace(/^mutation(\([^{]*\))? \{ /, '').replace(/ \{ __typename .*$/s, '');
        const body = { query: `query${query.match(/^mutation(\([^{]*\))?/)?.[1] ?? ''} { ${HOSTS[host]!(`${call} ${sub}`)} }`, variables };
        const r = await post(tokens.ADMIN, body);
        const codes = (r.errors ?? []).map((e) => e.extensions?.code);
        count(`${host}.${field.name}`, r.errors?.length ? `error:${codes[0] ?? r.status}` : 'data');
        if (r.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) {
          throw new Error(`${r.status} ${codes.join(',')}: faults ${faults.join('; ') || 'none'}: ${body.query.slice(0, 400)} ${JSON.stringify(variables ?? null)?.slice(0, 400)} -> ${r.text.slice(0, 400)}`);
        }
      });
      const details = await fc.check(property, { seed: SEED, numRuns: Math.ceil(RUNS / 2), endOnFailure: !process.env.FUZZ_SHRINK });
      if (details.failed) throw new Error(`fuzzing ${host}.${field.name} failed (FUZZ_SEED=${SEED}):\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
    }, 120_000);
  }
});
