/**
 * Every kind of POST body yoga takes or refuses gets yoga's own answer through the OC's HTTP front
 * (src/server/http.ts), which reads bodies itself: a JSON object goes to yoga already parsed, any
 * other body (not JSON, not an object, another media type, chunked) as a fetch Request. Status
 * and body must be what yoga answers, byte for byte; none of it may change what a later request gets.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestOc, type TestOc } from '../support/oc.js';

let oc: TestOc;
beforeAll(async () => {
  oc = await startTestOc();
});
afterAll(async () => {
  await oc?.stop();
});

/** Status and body of a POST of these bytes, announced by Content-Length or sent chunked. */
function post(body: string, contentType: string | null, chunked = false): Promise<string> {
  const url = new URL('/graphql', oc.url);
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'application/graphql-response+json' };
  if (contentType !== null) headers['content-type'] = contentType;
  if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
    });
    req.on('error', reject);
    if (chunked) for (const part of body.match(/[\s\S]{1,7}/g) ?? []) req.write(part);
    else req.write(body);
    req.end();
  });
}

const TYPENAME = '{"query":"{ __typename }"}';
const OK = '200 {"data":{"__typename":"Query"}}';

describe('request bodies', () => {
  it.each([
    ['a JSON object', TYPENAME, 'application/json', OK],
    ['a JSON object with a charset', TYPENAME, 'application/json; charset=utf-8', OK],
    ['a JSON object as application/graphql+json', TYPENAME, 'application/graphql+json', OK],
    ['a JSON object whose query has variables', '{"query":"query Q($n: String!) { cluster(name: $n) { name } }","variables":{"n":"none"}}', 'application/json', '200 {"data":{"cluster":null}}'],
    ['JSON that is not JSON', '{"query":', 'application/json', '400 {"errors":[{"message":"POST body sent invalid JSON.","extensions":{"code":"BAD_REQUEST","originalError":{"name":"SyntaxError","message":"Unexpected end of JSON input, \\"{\\"query\\":\\" is not valid JSON"}}}]}'],
    ['null', 'null', 'application/json', '400 {"errors":[{"message":"POST body is expected to be object but received null","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['a number', '1', 'application/json', '400 {"errors":[{"message":"POST body is expected to be object but received number","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['a string', '"{ __typename }"', 'application/json', '400 {"errors":[{"message":"POST body is expected to be object but received string","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['an empty object', '{}', 'application/json', '400 {"errors":[{"message":"Must provide query string.","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['an array (a batch)', `[${TYPENAME}]`, 'application/json', '400 {"errors":[{"message":"Batching is not supported.","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['an empty array', '[]', 'application/json', '400 {"errors":[{"message":"Batching is not supported.","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['variables that are not an object', '{"query":"{ __typename }","variables":"x"}', 'application/json', '400 {"errors":[{"message":"Expected \\"variables\\" param to be empty or an object, but given string.","extensions":{"code":"BAD_REQUEST"}}]}'],
    ['a large JSON object (2 MB of variables)', `{"query":"{ __typename }","variables":{"pad":"${'x'.repeat(2_000_000)}"}}`, 'application/json', OK],
    ['GraphQL text', '{ __typename }', 'application/graphql', OK],
    ['a media type in capitals', TYPENAME, 'Application/JSON', '415 '],
    ['text/plain', TYPENAME, 'text/plain', '415 '],
    ['no content-type', TYPENAME, null, '415 '],
  ])('answers %s as yoga does', async (_what, body, contentType, expected) => {
    const announced = await post(body, contentType);
    expect(await post(body, contentType, true)).toBe(announced);
    expect(announced).toBe(expected);
    // Nothing of it stays behind: the next request is answered as ever.
    expect(await post(TYPENAME, 'application/json')).toBe(OK);
  });
});
