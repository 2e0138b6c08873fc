import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { register, reportStats, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';

const SYSTEM = '{ system { clusterCount workerCount stats { cpuPercent memoryMb requestsPerSec errorsPerSec } } }';

describe('system', () => {
  let oc: TestOc;
  beforeAll(async () => {
    oc = await startTestOc({}, { background: false });
    const token = (await createToken(oc.url, 'MANAGER', 'system')).token;
    for (let i = 0; i < 3; i++) {
      const r = await register(oc.url, token, { clusterName: `sys-${i}`, workers: workerInputs(4 + i) });
      await reportStats(oc.url, r.sessionToken, [{ memberId: 'w-000', cpuPercent: 10 * (i + 1), memoryMb: 100, requestsPerSec: 5, errorsPerSec: 1 }]);
    }
  });
  afterAll(async () => {
    await oc?.stop();
  });

  it('answers its counts and stats over every cluster with one statement (a console polls it)', async () => {
    await gqlOk(oc.url, ADMIN_TOKEN, SYSTEM); // warm: the token and anything cached once
    const before = oc.database.queryCount;
    const data = await gqlOk(oc.url, ADMIN_TOKEN, SYSTEM);
    expect(oc.database.queryCount - before).toBe(1);
    expect(data.system).toEqual({ clusterCount: 3, workerCount: 15, stats: { cpuPercent: 20, memoryMb: 300, requestsPerSec: 15, errorsPerSec: 3 } });
  });
});
