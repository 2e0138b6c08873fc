import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk } from '../support/client.js';
import { sqlRows } from '../support/db.js';
import { register, reportMembership, reportStats, tryRegister, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, memoryLogger, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

const AUDIT = `query($first: Int, $after: String, $actor: String, $action: String, $since: DateTime) {
  auditLog(first: $first, after: $after, actor: $actor, action: $action, since: $since) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id at actor { kind tokenId name role } action target arguments outcome } }
  }
}`;
type Entry = { id: string; at: string; actor: { kind: string; tokenId: string | null; name: string; role: string }; action: string; target: string | null; arguments: any; outcome: string };

const auditLog = async (vars: { first?: number; after?: string; actor?: string; action?: string; since?: string } = {}) => (await gqlOk(oc.url, ADMIN_TOKEN, AUDIT, vars)).auditLog;
const entries = async (vars: Parameters<typeof auditLog>[0] = {}): Promise<Entry[]> => (await auditLog({ first: 500, ...vars })).edges.map((e: any) => e.node);

const RESTART = `mutation($id: ID!, $batch: Int) { restartCluster(input: { clusterId: $id, strategy: { batchSize: $batch } }) {
  __typename ... on CommandPayload { command { id } } ... on Error { code message } } }`;
const PAUSE = 'mutation($id: ID!) { pauseCommand(id: $id) { __typename ... on Error { code } } }';
const CANCEL = 'mutation($id: ID!) { cancelCommand(id: $id) { __typename ... on CommandPayload { command { id state } } ... on Error { code } } }';

let oc: TestOc;
const log = memoryLogger();
let operator: { token: string; id: string };
let enrollment: { token: string; id: string };
const managers: ScriptedManager[] = [];

beforeAll(async () => {
  oc = await startTestOc({}, { logger: log });
  operator = await createToken(oc.url, 'OPERATOR', 'ops-audit');
  enrollment = await createToken(oc.url, 'MANAGER', 'audit-enrollment');
});
afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

describe('audit trail', () => {
  it('records a mutation that was done: who (token name, id, role), what, the target, the arguments, when, DONE', async () => {
    const { clusterId } = await register(oc.url, enrollment.token, { clusterName: 'audited', workers: workerInputs(3) });
    const started = Date.now();
    const r = await gqlOk(oc.url, operator.token, RESTART, { id: clusterId, batch: 2 });
    expect(r.restartCluster.__typename).toBe('CommandPayload');

    const [e] = await entries({ action: 'restartCluster' });
    expect(e).toMatchObject({
      actor: { kind: 'TOKEN', tokenId: operator.id, name: 'ops-audit', role: 'OPERATOR' },
      action: 'restartCluster',
      target: clusterId,
      arguments: { input: { clusterId, strategy: { batchSize: 2 } } },
      outcome: 'DONE',
    });
    expect(Date.parse(e!.at)).toBeGreaterThanOrEqual(started - 1000);
    expect(Date.parse(e!.at)).toBeLessThanOrEqual(Date.now() + 1000);
    // Cancelled again, so that later tests may roll this cluster.
    expect((await gqlOk(oc.url, operator.token, CANCEL, { id: r.restartCluster.command.id })).cancelCommand.__typename).toBe('CommandPayload');
  });

  it('records a mutation that failed with its error code: a result-union error, an auth refusal, a malformed id', async () => {
    const { clusterId } = await register(oc.url, enrollment.token, { clusterName: 'audited-busy', workers: workerInputs(2) });
    await gqlOk(oc.url, operator.token, RESTART, { id: clusterId });
    expect((await gqlOk(oc.url, operator.token, RESTART, { id: clusterId })).restartCluster.code).toBe('CONFLICT');
    const unknown = Buffer.from('Command:00000000-0000-4000-8000-000000000000').toString('base64');
    expect((await gqlOk(oc.url, operator.token, PAUSE, { id: unknown })).pauseCommand.code).toBe('NOT_FOUND');
    expect((await gqlOk(oc.url, operator.token, PAUSE, { id: 'garbage' })).pauseCommand.code).toBe('VALIDATION');
    const viewer = await createToken(oc.url, 'VIEWER', 'audit-viewer');
    expect((await gql(oc.url, viewer.token, RESTART, { id: clusterId })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const restarts = await entries({ action: 'restartCluster', actor: 'ops-audit' });
    expect(restarts.slice(0, 2).map((e) => [e.target, e.outcome])).toEqual([
      [clusterId, 'CONFLICT'],
      [clusterId, 'DONE'],
    ]);
    expect((await entries({ action: 'pauseCommand' })).slice(0, 2).map((e) => [e.target, e.outcome])).toEqual([
      ['garbage', 'VALIDATION'],
      [unknown, 'NOT_FOUND'],
    ]);
    const [refused] = await entries({ actor: 'audit-viewer' });
    expect(refused).toMatchObject({ actor: { name: 'audit-viewer', role: 'VIEWER', tokenId: viewer.id }, action: 'restartCluster', target: clusterId, outcome: 'FORBIDDEN' });
  });

  it("records managers' registrations, refused ones too, but none of their reports", async () => {
    const intruder = await createToken(oc.url, 'MANAGER', 'audit-intruder');
    const { sessionToken } = await register(oc.url, enrollment.token, { clusterName: 'audited-home', workers: workerInputs(1) });
    expect((await tryRegister(oc.url, intruder.token, { clusterName: 'audited-home' })).data.registerManager.code).toBe('CONFLICT');
    const regs = await entries({ action: 'registerManager' });
    expect(regs.slice(0, 2).map((e) => [e.actor.name, e.actor.role, e.actor.tokenId, e.target, e.outcome])).toEqual([
      ['audit-intruder', 'MANAGER', intruder.id, 'audited-home', 'CONFLICT'],
      ['audit-enrollment', 'MANAGER', enrollment.id, 'audited-home', 'DONE'],
    ]);
    expect(regs[1]!.arguments.input).toMatchObject({ clusterName: 'audited-home', kind: 'AS', workers: [{ memberId: 'w-000', host: '10.0.0.0' }] });

    const before = (await auditLog()).totalCount;
    await reportMembership(oc.url, sessionToken, [{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: '10.0.0.0', state: 'STOPPING' } }]);
    await reportStats(oc.url, sessionToken, [{ memberId: 'w-000', cpuPercent: 1, memoryMb: 1, requestsPerSec: 1, errorsPerSec: 0 }]);
    expect((await auditLog()).totalCount).toBe(before);
    expect(await entries({ action: 'reportMembership' })).toEqual([]);
    expect(await entries({ action: 'reportStats' })).toEqual([]);
  });

  it('keeps secrets out: no token secret, and arguments named like a secret are redacted', async () => {
    const created = await gqlOk(
      oc.url,
      ADMIN_TOKEN,
      'mutation { createApiToken(input: { name: "secret-check", role: MANAGER, clusterName: "secret-home" }) { ... on ApiTokenPayload { token apiToken { id } } } }',
    );
    const secret: string = created.createApiToken.token;
    const { sessionToken } = await register(oc.url, secret, { clusterName: 'secret-home', workers: workerInputs(1) });
    const { clusterId } = await register(oc.url, enrollment.token, { clusterName: 'secret-ops' });
    const op = await gqlOk(oc.url, operator.token, 'mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) { __typename ... on Error { code } } }', {
      i: { clusterId, operation: 'rotate', arguments: { user: 'app', password: 'hunter2-pw', nested: [{ apiKey: 'k-123-secret', privateKey: 'pk-456' }], sessionToken: 'ocs_fake' } },
    });
    expect(op.runManagerOperation.__typename).not.toBe('OperationPayload');

    const rows = await sqlRows<{ j: string }>(oc.database, 'select row_to_json(a)::text as j from audit_log a');
    const all = rows.map((r) => r.j).join('\n');
    for (const s of [secret.replace(/^ocs?_/, ''), sessionToken.replace(/^ocs?_/, ''), 'hunter2-pw', 'k-123-secret', 'pk-456', 'ocs_fake', ADMIN_TOKEN]) expect(all).not.toContain(s);
    const [e] = await entries({ action: 'runManagerOperation' });
    expect(e!.arguments.input.arguments).toEqual({ user: 'app', password: '[redacted]', nested: [{ apiKey: '[redacted]', privateKey: '[redacted]' }], sessionToken: '[redacted]' });
    const [c] = await entries({ action: 'createApiToken' });
    expect(c).toMatchObject({ actor: { kind: 'BOOTSTRAP', tokenId: null, role: 'ADMIN' }, target: 'secret-check', outcome: 'DONE' });
  });

  it('records a mutation whose arguments PostgreSQL could not store as given (NUL), and cuts long lists short', async () => {
    const r = await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($n: String!) { createApiToken(input: { name: $n, role: VIEWER }) { __typename ... on Error { code } } }', { n: 'nul\u0000name' });
    expect(r.createApiToken.code).toBe('VALIDATION');
    const [e] = await entries({ action: 'createApiToken' });
    expect(e).toMatchObject({ outcome: 'VALIDATION', target: 'nul\uFFFDname' });
    const many = await tryRegister(oc.url, enrollment.token, { clusterName: 'audited-many', workers: workerInputs(30) });
    expect(many.data.registerManager.__typename).toBe('RegisterManagerPayload');
    const [reg] = await entries({ action: 'registerManager' });
    expect(reg!.arguments.input.workers).toHaveLength(21);
    expect(reg!.arguments.input.workers[20]).toBe('… 10 more');
  });

  it('pages newest first with cursors, and filters by actor (name or id), action and since', async () => {
    const pager = await createToken(oc.url, 'OPERATOR', 'audit-pager');
    const cut = new Date();
    await new Promise((r) => setTimeout(r, 5)); // the entries below are strictly after `cut`
    const unknown = Buffer.from('Command:00000000-0000-4000-8000-000000000001').toString('base64');
    for (let i = 0; i < 5; i++) await gqlOk(oc.url, pager.token, PAUSE, { id: unknown });
    const total = (await auditLog()).totalCount;

    const byName = await auditLog({ actor: 'audit-pager', first: 2 });
    expect(byName.totalCount).toBe(5);
    const seen: Entry[] = [];
    let page = byName;
    for (;;) {
      seen.push(...page.edges.map((e: any) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      page = await auditLog({ actor: 'audit-pager', first: 2, after: page.pageInfo.endCursor });
    }
    expect(seen).toHaveLength(5);
    const ids = seen.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first
    expect(new Set(ids).size).toBe(5);
    expect(seen.every((e) => e.actor.name === 'audit-pager' && e.action === 'pauseCommand' && e.outcome === 'NOT_FOUND')).toBe(true);

    expect((await auditLog({ actor: pager.id })).totalCount).toBe(5);
    expect((await auditLog({ actor: 'nobody-at-all' })).totalCount).toBe(0);
    expect((await auditLog({ action: 'pauseCommand', since: cut.toISOString() })).totalCount).toBe(5);
    expect((await auditLog({ since: new Date(Date.now() + 60_000).toISOString() })).totalCount).toBe(0);
    // Reading the log is not a mutation: it adds nothing.
    expect((await auditLog()).totalCount).toBe(total);
    const bad = await gql(oc.url, ADMIN_TOKEN, AUDIT, { after: 'not-a-cursor' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is for ADMIN only', async () => {
    const session = (await register(oc.url, enrollment.token, { clusterName: 'audit-reader' })).sessionToken;
    for (const [who, token] of [
      ['VIEWER', (await createToken(oc.url, 'VIEWER')).token],
      ['OPERATOR', operator.token],
      ['MANAGER enrollment', enrollment.token],
      ['manager session', session],
    ] as const) {
      const r = await gql(oc.url, token, AUDIT, {});
      expect(r.errors?.[0]?.extensions?.code, who).toBe('FORBIDDEN');
      expect(r.data?.auditLog ?? null, who).toBeNull();
    }
  });
});

describe('the JSON log', () => {
  // The log names commands by their database id; the API by a global id.
  const dbId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
  const globalId = (id: string) => Buffer.from(`Command:${id}`).toString('base64');
  const lines = (msg: string, pred: (f: Record<string, unknown>) => boolean = () => true) => log.lines.filter((l) => l.msg === msg && pred(l.fields));

  it('tells each change of a command’s life (requested, pause, resumed, cancelled, finished), naming the cluster and who asked', async () => {
    const m = new ScriptedManager(oc.url, enrollment.token, 'logged', 'AS', ['w1', 'w2', 'w3']);
    managers.push(m);
    m.restartMs = 30;
    await m.register();
    m.connect();
    const id = dbId((await gqlOk(oc.url, operator.token, RESTART, { id: m.clusterId, batch: 1 })).restartCluster.command.id);
    await gqlOk(oc.url, operator.token, PAUSE, { id: globalId(id) });
    await waitFor(() => lines('command paused', (f) => f.commandId === id).length > 0, 'the pause to take effect');
    await gqlOk(oc.url, operator.token, 'mutation($id: ID!) { resumeCommand(id: $id) { __typename } }', { id: globalId(id) });
    await waitFor(() => lines('command finished', (f) => f.commandId === id).length > 0, 'the restart to finish');

    const of = (msg: string) => lines(msg, (f) => f.commandId === id).map((l) => l.fields);
    expect(of('command requested')).toEqual([expect.objectContaining({ kind: 'RESTART', cluster: 'logged', by: 'ops-audit' })]);
    expect(of('command started')).toEqual([expect.objectContaining({ cluster: 'logged', state: 'RUNNING' })]);
    expect(of('command pause requested')).toEqual([expect.objectContaining({ cluster: 'logged', by: 'ops-audit' })]);
    expect(of('command paused')).toEqual([expect.objectContaining({ cluster: 'logged', state: 'PAUSED' })]);
    expect(of('command resumed')).toEqual([expect.objectContaining({ cluster: 'logged', by: 'ops-audit', state: 'RUNNING' })]);
    expect(of('command finished')).toEqual([expect.objectContaining({ cluster: 'logged', state: 'SUCCEEDED' })]);
    expect(log.lines.find((l) => l.fields.commandId === id)?.level).toBe('info');

    const again = dbId((await gqlOk(oc.url, operator.token, RESTART, { id: m.clusterId, batch: 1 })).restartCluster.command.id);
    await gqlOk(oc.url, operator.token, CANCEL, { id: globalId(again) });
    await waitFor(() => lines('command cancelled', (f) => f.commandId === again).length > 0, 'the cancel to take effect');
    expect(lines('command cancel requested', (f) => f.commandId === again)).toEqual([expect.objectContaining({ fields: expect.objectContaining({ cluster: 'logged', by: 'ops-audit' }) })]);
  });

  it('warns of each refused registration, naming the cluster and the token', async () => {
    const intruder = await createToken(oc.url, 'MANAGER', 'log-intruder');
    await register(oc.url, enrollment.token, { clusterName: 'logged-home' });
    await tryRegister(oc.url, intruder.token, { clusterName: 'logged-home' });
    const refused = lines('manager registration refused', (f) => f.cluster === 'logged-home');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: 'warn', fields: { cluster: 'logged-home', tokenName: 'log-intruder', code: 'CONFLICT' } });
    expect(JSON.stringify(refused)).not.toContain(intruder.token);
  });
});

describe('retention', () => {
  it('deletes the entries older than OC_AUDIT_RETENTION_DAYS (90 by default) when housekeeping runs, and keeps the recent ones', async () => {
    for (const name of ['aged-120d', 'aged-91d', 'aged-89d', 'fresh']) await createToken(oc.url, 'VIEWER', name);
    // Made old in place: entries are stamped by the clock when recorded.
    for (const [name, days] of [['aged-120d', 120], ['aged-91d', 91], ['aged-89d', 89]] as const) {
      const aged = await sqlRows(oc.database, `update audit_log set at = now() - interval '${days} days' where action = 'createApiToken' and args->'input'->>'name' = '${name}' returning id`);
      expect(aged).toHaveLength(1);
    }
    const names = async () => (await entries({ action: 'createApiToken' })).map((e) => e.arguments.input.name);
    expect(await names()).toEqual(expect.arrayContaining(['aged-120d', 'aged-91d', 'aged-89d', 'fresh']));
    // Another instance on the same database: its housekeeping prunes on its first round.
    const second = await oc.restart();
    try {
      await waitFor(async () => !(await names()).includes('aged-91d'), 'the entries older than 90 days to be pruned');
      const left = await names();
      expect(left).not.toContain('aged-120d');
      expect(left).toEqual(expect.arrayContaining(['aged-89d', 'fresh', 'ops-audit']));
    } finally {
      await second.stop();
    }
  });
});
