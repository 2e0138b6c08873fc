import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk } from '../support/client.js';
import { REGISTER_MANAGER } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';

/**
 * runManagerOperation checks the arguments against the inputSchema the manager advertised
 * before relaying: arguments that break it are a ValidationError naming the argument, and
 * the manager receives nothing.
 */

let oc: TestOc;
let enroll: string;
let operator: string;
let m: ScriptedManager;

const RUN = `mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) { __typename ... on OperationPayload { result } ... on ValidationError { field message } ... on Error { code message } } }`;

const RESIZE_SCHEMA = {
  type: 'object',
  properties: {
    pool: { type: 'string', minLength: 1 },
    size: { type: 'integer', minimum: 1, maximum: 100 },
    members: { type: 'array', items: { type: 'string' } },
  },
  required: ['pool', 'size'],
  additionalProperties: false,
};

beforeAll(async () => {
  oc = await startTestOc();
  enroll = (await createToken(oc.url, 'MANAGER', 'op-args')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'op-args-ops')).token;
  m = new ScriptedManager(oc.url, enroll, 'op-args', 'AS', ['w1']);
  m.operations = { resizePool: (args: unknown) => ({ resized: args }), ping: () => 'pong' };
  m.operationSchemas = { resizePool: RESIZE_SCHEMA, ping: { type: 'object', additionalProperties: false } };
  await m.register();
  m.connect();
});

afterAll(async () => {
  await m?.stop();
  await oc?.stop();
});

const commands = async () => (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { node(id: $id) { ... on Cluster { commands { totalCount } } } }', { id: m.clusterId })).node.commands.totalCount;

describe('runManagerOperation and the inputSchema', () => {
  it('refuses arguments that break the inputSchema with a ValidationError naming the argument, and relays nothing to the manager', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ pool: 'web', size: 'ten' }, 'input.arguments.size', /input\.arguments\.size must be integer/],
      [{ pool: 'web', size: 0 }, 'input.arguments.size', /input\.arguments\.size must be >= 1/],
      [{ size: 3 }, 'input.arguments.pool', /input\.arguments\.pool is required/],
      [{ pool: 'web', size: 3, members: ['a', 7] }, 'input.arguments.members[1]', /input\.arguments\.members\[1\] must be string/],
      [{ pool: 'web', size: 3, colour: 'red' }, 'input.arguments.colour', /input\.arguments\.colour is not an argument/],
      [null, 'input.arguments.pool', /is required/],
      ['web', 'input.arguments', /input\.arguments must be object/],
    ];
    for (const [args, field, message] of cases) {
      const r = (await gqlOk(oc.url, operator, RUN, { i: { clusterId: m.clusterId, operation: 'resizePool', arguments: args } })).runManagerOperation;
      expect(r, JSON.stringify(args)).toMatchObject({ __typename: 'ValidationError', field });
      expect(r.message).toMatch(message);
      expect(r.message).toContain('resizePool');
    }
    expect(await commands()).toBe(0);
    // The next call that passes is the first task the manager ever sees.
    const ok = (await gqlOk(oc.url, operator, RUN, { i: { clusterId: m.clusterId, operation: 'resizePool', arguments: { pool: 'web', size: 3, members: ['a'] } } })).runManagerOperation;
    expect(ok).toEqual({ __typename: 'OperationPayload', result: { resized: { pool: 'web', size: 3, members: ['a'] } } });
    expect(m.tasksSeen.map((t) => [t.operation, t.arguments])).toEqual([['resizePool', { pool: 'web', size: 3, members: ['a'] }]]);
    expect(await commands()).toBe(1);
  });

  it('relays an operation whose schema takes no arguments when none are given', async () => {
    const ok = (await gqlOk(oc.url, operator, RUN, { i: { clusterId: m.clusterId, operation: 'ping' } })).runManagerOperation;
    expect(ok).toEqual({ __typename: 'OperationPayload', result: 'pong' });
  });

  it('refuses at registration an inputSchema that is no valid JSON Schema, naming input.operations[i].inputSchema', async () => {
    for (const bad of [{ type: 'number-ish' }, { $ref: 'https://example.com/remote.json' }, 'a string', { properties: { x: { minimum: 'one' } } }]) {
      const r = await gql(oc.url, enroll, REGISTER_MANAGER, {
        input: { clusterName: 'op-args-bad', kind: 'AS', host: 'h', url: 'http://h:1', workers: [], operations: [{ name: 'fine', inputSchema: { type: 'object' } }, { name: 'broken', inputSchema: bad }] },
      });
      expect(r.data.registerManager, JSON.stringify(bad)).toMatchObject({ __typename: 'ValidationError', field: 'input.operations[1].inputSchema' });
      expect(r.data.registerManager.message).toMatch(/input\.operations\[1\]\.inputSchema (is not a valid JSON Schema|must be a JSON Schema)/);
    }
    const c = await gqlOk(oc.url, ADMIN_TOKEN, '{ cluster(name: "op-args-bad") { id } }');
    expect(c.cluster).toBeNull();
  });
});
