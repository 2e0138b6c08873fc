import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk, subscribe, subscribeReady, wsClient } from '../support/client.js';
import { register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

/**
 * /metrics as Prometheus users expect it: the process and Node.js defaults under their
 * standard names, the OC's own under oc_, in a text format that parses, and counters that
 * move when the OC works.
 */

let oc: TestOc;
let enroll: string;
let operator: string;
const managers: ScriptedManager[] = [];

beforeAll(async () => {
  oc = await startTestOc();
  enroll = (await createToken(oc.url, 'MANAGER', 'metrics')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'metrics-ops')).token;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

interface Family {
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** A small parser of the Prometheus text format (0.0.4): fails on any line it cannot read. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { type: '', help: '', samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') family(meta[2]!).type = meta[3]!;
      else family(meta[2]!).help = meta[3]!;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`not a line of the text format: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    // Prometheus reads values as Go's ParseFloat does: NaN and Inf in any case (prom-client writes "Nan").
    const v = m[3]!.toLowerCase();
    const value = v === 'nan' ? Number.NaN : /^[+]?inf$/.test(v) ? Infinity : v === '-inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && v !== 'nan') throw new Error(`not a sample value: ${line}`);
    const name = m[1]!;
    // A histogram's or summary's samples belong to their family.
    const base = [...families.keys()].find((f) => name === f || (/_(bucket|sum|count)$/.test(name) && name.replace(/_(bucket|sum|count)$/, '') === f)) ?? name;
    family(base).samples.push({ name, labels, value });
  }
  return families;
}

async function scrape() {
  const res = await fetch(`${oc.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
}

/** The sum of a family's samples named `name` whose labels include `labels`. */
function sum(families: Map<string, Family>, family: string, labels: Record<string, string> = {}, name = family): number {
  return (families.get(family)?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

describe('/metrics', () => {
  it('names the process and Node.js defaults as standard dashboards expect, the OC own under oc_, and none oc_process_', async () => {
    const text = await (await fetch(`${oc.url}/metrics`)).text();
    expect(text).not.toMatch(/^(# (HELP|TYPE) )?oc_process_/m);
    const f = parseExposition(text);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(f.has(name), name).toBe(true);
    }
    const expected: Record<string, string> = {
      oc_build_info: 'gauge',
      oc_commands: 'gauge',
      oc_steps_finished_total: 'counter',
      oc_command_duration_seconds: 'histogram',
      oc_tasks_delivered_total: 'counter',
      oc_tasks_redelivered_total: 'counter',
      oc_events_published_total: 'counter',
      oc_events_delivered_total: 'counter',
      oc_subscriptions: 'gauge',
      oc_managers_connected: 'gauge',
      oc_graphql_requests_total: 'counter',
    };
    for (const [name, type] of Object.entries(expected)) {
      expect(f.get(name)?.type, name).toBe(type);
      expect(f.get(name)?.help, name).not.toBe('');
    }
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    expect(f.get('oc_build_info')!.samples).toEqual([{ name: 'oc_build_info', labels: { version }, value: 1 }]);
    // Every family has a type, and counters end in _total (Prometheus' naming conventions).
    for (const [name, fam] of f) {
      expect(fam.type, name).not.toBe('');
      if (fam.type === 'counter') expect(name).toMatch(/_total$/);
    }
    // Series for every kind and state of command exist from the start, at 0.
    await waitFor(async () => (await scrape()).get('oc_commands')!.samples.length === 4 * 6, 'oc_commands to have a series for every kind and state');
    expect(sum(await scrape(), 'oc_steps_finished_total', { kind: 'RESTART', outcome: 'FAILED' })).toBe(0);
  });

  it('exposes every metric that the suggested alerts (docs/alerts.yml) and docs/operations.md name', async () => {
    const f = await scrape();
    const named = new Set<string>();
    for (const doc of ['docs/alerts.yml', 'docs/operations.md']) {
      const text = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8');
      // Whole names only (a name followed by "_" or "*" is a prefix in prose, e.g. `oc_tasks_*`).
      for (const m of text.matchAll(/\b((?:oc|nodejs|process)_[a-z0-9_]*[a-z0-9])\b(?![_*])/g)) named.add(m[1]!);
    }
    const exposed = (name: string) => f.has(name) || f.has(name.replace(/_(bucket|sum|count)$/, ''));
    expect([...named].filter((n) => !exposed(n))).toEqual([]);
    expect(named.has('oc_event_bridge_connected')).toBe(true);
    expect(sum(f, 'oc_event_bridge_connected')).toBe(1);
  });

  it('moves the command, step, task, event and subscription counters when a rollout runs', async () => {
    const m = new ScriptedManager(oc.url, enroll, 'metrics-as', 'AS', ['w1', 'w2', 'w3']);
    managers.push(m);
    await m.register();
    m.connect();
    await waitFor(async () => sum(await scrape(), 'oc_subscriptions', { topic: 'managerTasks' }) === 1, 'the manager task stream to be counted by topic');
    const before = await scrape();
    const ws = wsClient(oc.url, ADMIN_TOKEN);
    const watch = await subscribeReady(oc.url, ws, 'subscription MetricsWatch($c: ID) { commandUpdated(clusterId: $c) { id state } }', { c: m.clusterId });
    expect(sum(await scrape(), 'oc_subscriptions', { topic: 'commandUpdated' })).toBe(sum(before, 'oc_subscriptions', { topic: 'commandUpdated' }) + 1);

    const r = await gqlOk(oc.url, operator, 'mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } } }', { i: { clusterId: m.clusterId } });
    const id = r.restartCluster.command.id;
    await waitFor(async () => (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { command(id: $id) { state } }', { id })).command.state === 'SUCCEEDED', 'the restart to succeed', 30_000);

    const after = await scrape();
    expect(sum(after, 'oc_steps_finished_total', { kind: 'RESTART', outcome: 'SUCCEEDED' }) - sum(before, 'oc_steps_finished_total', { kind: 'RESTART', outcome: 'SUCCEEDED' })).toBe(3);
    expect(sum(after, 'oc_command_duration_seconds', { kind: 'RESTART', outcome: 'SUCCEEDED' }, 'oc_command_duration_seconds_count')).toBe(
      sum(before, 'oc_command_duration_seconds', { kind: 'RESTART', outcome: 'SUCCEEDED' }, 'oc_command_duration_seconds_count') + 1,
    );
    expect(sum(after, 'oc_command_duration_seconds', { kind: 'RESTART', outcome: 'SUCCEEDED', le: '+Inf' }, 'oc_command_duration_seconds_bucket')).toBe(
      sum(after, 'oc_command_duration_seconds', { kind: 'RESTART', outcome: 'SUCCEEDED' }, 'oc_command_duration_seconds_count'),
    );
    expect(sum(after, 'oc_command_duration_seconds', { kind: 'RESTART', outcome: 'SUCCEEDED' }, 'oc_command_duration_seconds_sum')).toBeGreaterThan(0);
    // One task per batch of one worker.
    expect(sum(after, 'oc_tasks_delivered_total') - sum(before, 'oc_tasks_delivered_total')).toBe(3);
    expect(sum(after, 'oc_events_published_total', { topic: 'command' })).toBeGreaterThan(sum(before, 'oc_events_published_total', { topic: 'command' }));
    expect(sum(after, 'oc_events_published_total', { topic: 'membership' })).toBeGreaterThan(sum(before, 'oc_events_published_total', { topic: 'membership' }));
    expect(sum(after, 'oc_events_delivered_total', { topic: 'task' })).toBeGreaterThanOrEqual(sum(after, 'oc_events_published_total', { topic: 'task' }));
    await waitFor(async () => sum(await scrape(), 'oc_commands', { kind: 'RESTART', state: 'SUCCEEDED' }) === sum(before, 'oc_commands', { kind: 'RESTART', state: 'SUCCEEDED' }) + 1, 'oc_commands to count the finished restart');

    watch.close();
    await ws.dispose();
    await waitFor(async () => sum(await scrape(), 'oc_subscriptions', { topic: 'commandUpdated' }) === sum(before, 'oc_subscriptions', { topic: 'commandUpdated' }), 'the subscription to be uncounted');
  });

  it('counts a task handed again to a manager that reconnected before finishing it as re-delivered', async () => {
    const r = await register(oc.url, enroll, { clusterName: 'metrics-redeliver', workers: workerInputs(1), operations: [{ name: 'slow' }] });
    const before = await scrape();
    const pending = gqlOk(oc.url, operator, 'mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) { __typename } }', { i: { clusterId: r.clusterId, operation: 'slow', timeoutMs: 30_000 } });
    const first = wsClient(oc.url, r.sessionToken);
    const tasks1 = subscribe<{ managerTasks: { id: string } }>(first, 'subscription { managerTasks { id } }');
    const task = (await tasks1.next()).managerTasks;
    tasks1.close();
    await first.dispose();
    const second = wsClient(oc.url, r.sessionToken);
    const tasks2 = subscribe<{ managerTasks: { id: string } }>(second, 'subscription { managerTasks { id } }');
    expect((await tasks2.next()).managerTasks.id).toBe(task.id);
    await gqlOk(oc.url, r.sessionToken, 'mutation($i: ReportTaskInput!) { reportTask(input: $i) { __typename } }', { i: { taskId: task.id, state: 'SUCCEEDED', result: { ok: true } } });
    expect((await pending).runManagerOperation.__typename).toBe('OperationPayload');
    tasks2.close();
    await second.dispose();
    const after = await scrape();
    expect(sum(after, 'oc_tasks_delivered_total') - sum(before, 'oc_tasks_delivered_total')).toBe(2);
    expect(sum(after, 'oc_tasks_redelivered_total') - sum(before, 'oc_tasks_redelivered_total')).toBe(1);
    expect(sum(after, 'oc_command_duration_seconds', { kind: 'OPERATION', outcome: 'SUCCEEDED' }, 'oc_command_duration_seconds_count')).toBe(1);
  });
});
