/**
 * The console's files over real HTTP, from a fixture build (a temp folder shaped like Vite's
 * console/dist): caching, types, the SPA fallback, the policy, compression, and no way out of the folder.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { fixtureDist } from '../support/console.js';
import { ADMIN_TOKEN, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>\n';
// Over 1 KB, so it is worth compressing.
const APP = `console.log(${JSON.stringify('the console '.repeat(200))});\n`;
const CSS = 'body { font-family: system-ui, sans-serif; }\n';

let oc: TestOc;
let dist: string;
beforeAll(async () => {
  dist = fixtureDist({
    'index.html': INDEX,
    'assets/app-abc123.js': APP,
    'assets/app-abc123.css': CSS,
    'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    '.secret': 'a dotfile',
  });
  oc = await startTestOc({}, { consoleDir: dist });
});
afterAll(async () => {
  await oc?.stop();
  rmSync(dist, { recursive: true, force: true });
});

/** A request sent with its path exactly as written (fetch would normalise `..` away first). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(oc.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const expectPolicy = (h: Headers) => {
  const csp = h.get('content-security-policy') ?? '';
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  expect(directives['default-src']).toEqual(["'self'"]);
  expect(directives['script-src']).toEqual(["'self'"]);
  expect(directives['style-src']).toEqual(["'self'"]);
  expect(directives['img-src']).toEqual(["'self'", 'data:']);
  // The OC's WebSocket, by its host (not every browser counts ws: as 'self').
  const host = new URL(oc.url).host;
  expect(directives['connect-src']).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
  expect(directives['frame-ancestors']).toEqual(["'none'"]);
  expect(directives['base-uri']).toEqual(["'none'"]);
  expect(directives['object-src']).toEqual(["'none'"]);
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('referrer-policy')).toBe('no-referrer');
};

describe('the console at /', () => {
  it('answers / with index.html, revalidated on every load, under the policy', async () => {
    const r = await fetch(`${oc.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expectPolicy(r.headers);
    expect(await r.text()).toBe(INDEX);
  });

  it('answers a client-side route with index.html (the console routes it)', async () => {
    for (const path of ['/clusters/as-1', '/commands/Q29tbWFuZDox', '/clusters/esb.prod-1/', '/index.html']) {
      const r = await fetch(`${oc.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expectPolicy(r.headers);
      expect(await r.text()).toBe(INDEX);
    }
  });

  it('serves hashed assets with their type, cached for a year as immutable', async () => {
    const js = await fetch(`${oc.url}/assets/app-abc123.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe(APP);
    const css = await fetch(`${oc.url}/assets/app-abc123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(CSS);
    const svg = await fetch(`${oc.url}/favicon.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers an unknown asset with 404, not with index.html', async () => {
    for (const path of ['/assets/app-000000.js', '/assets/', '/assets/nested/x.css']) {
      const r = await fetch(`${oc.url}${path}`);
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain('<html');
    }
  });

  it('answers 304 to a client that has the file (ETag)', async () => {
    const first = await fetch(`${oc.url}/`, { headers: { 'accept-encoding': 'identity' } });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${oc.url}/`, { headers: { 'if-none-match': etag, 'accept-encoding': 'identity' } });
    expect(again.status).toBe(304);
    expectPolicy(again.headers);
  });

  it('compresses text once, then answers br or gzip to a client that accepts it', async () => {
    const gz = await waitFor(
      async () => {
        const r = await raw('/assets/app-abc123.js', { 'accept-encoding': 'gzip' });
        return r.headers['content-encoding'] === 'gzip' ? r : null;
      },
      'a gzip copy of the asset',
    );
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gz.body.length).toBeLessThan(Buffer.byteLength(APP) / 4);
    expect(gunzipSync(gz.body).toString()).toBe(APP);
    const br = await waitFor(
      async () => {
        const r = await fetch(`${oc.url}/assets/app-abc123.js`, { headers: { 'accept-encoding': 'br, gzip' } });
        return r.headers.get('content-encoding') === 'br' ? r : null;
      },
      'a brotli copy of the asset',
    );
    expect(await br.text()).toBe(APP); // fetch decodes it
    const refused = await raw('/assets/app-abc123.js', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString()).toBe(APP);
  });

  it('never serves a file outside the build folder, nor a dotfile', async () => {
    for (const path of [
      '/assets/../../package.json',
      '/../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/..%2f..%2fpackage.json',
      '/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/..\\..\\package.json',
      '/assets/%252e%252e/package.json',
      '/assets/app-abc123.js%00.html',
      '/.secret',
      '/assets/%2fetc%2fpasswd',
      '//etc/passwd',
    ]) {
      const r = await raw(path);
      const body = r.body.toString();
      expect(body, path).not.toContain('"name": "operations-center"');
      expect(body, path).not.toContain('a dotfile');
      expect(body, path).not.toContain('root:');
      expect([200, 400, 404], path).toContain(r.status);
      // Whatever the console's router makes of it, the answer is index.html or a refusal.
      if (r.status === 200) expect(body, path).toBe(INDEX);
    }
  });

  it('answers another method than GET or HEAD with 405', async () => {
    const r = await fetch(`${oc.url}/clusters`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${oc.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('leaves /graphql, /healthz and /metrics as they were', async () => {
    expect(await gqlOk(oc.url, ADMIN_TOKEN, '{ viewer { role } }')).toEqual({ viewer: { role: 'ADMIN' } });
    expect((await fetch(`${oc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer { role } }"}' })).status).toBe(401);
    expect((await fetch(`${oc.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${oc.url}/metrics`)).headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('says how to build the console when it is not built, and serves it once it is', async () => {
    const index = join(dist, 'index.html');
    rmSync(index);
    try {
      const r = await fetch(`${oc.url}/clusters/as-1`);
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-store');
      const html = await r.text();
      expect(html).toContain('not built');
      expect(html).toContain('npm run build:console');
      expect(html).not.toMatch(/<script|style=/);
    } finally {
      writeFileSync(index, INDEX);
    }
    expect(await (await fetch(`${oc.url}/`)).text()).toBe(INDEX);
  });
});
