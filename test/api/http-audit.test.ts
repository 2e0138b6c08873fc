import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestOc, type TestOc } from '../support/oc.js';

/** graphql-http's GraphQL-over-HTTP conformance audits, against a real OC, with a token. */

let oc: TestOc;
beforeAll(async () => {
  oc = await startTestOc();
});
afterAll(async () => {
  await oc?.stop();
});

const withToken = (input: RequestInfo | URL, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return fetch(input, { ...init, headers });
};

describe('GraphQL over HTTP (graphql-http audits)', () => {
  it('passes every audit, MUST and SHOULD alike', async () => {
    const audits = serverAudits({ url: () => `${oc.url}/graphql`, fetchFn: withToken });
    expect(audits.length).toBeGreaterThan(50);
    const failed: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status !== 'ok') failed.push(`${audit.name} (${result.status}): ${result.reason}`);
    }
    expect(failed).toEqual([]);
  });
});
