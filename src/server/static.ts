/**
 * Files the OC serves to browsers on its one port: the operator console (console/dist, built by
 * `npm run build:console`) at `/`, and what GraphiQL is made of (graphiql.ts).
 *
 * - `/assets/*` are Vite's content-hashed files: cached for a year, immutable; an unknown one is a 404.
 * - `index.html` is revalidated on every load (`no-cache` + ETag), so a new build shows at once.
 * - Any other GET under `/` that is not a file of the build is a route of the console
 *   (`/clusters/as-1`): it answers index.html, and the console's router takes it from there.
 * - Paths are decoded and checked segment by segment: no `..`, no dotfiles, nothing outside the folder.
 * - Text is compressed (br, else gzip) once per file, in the background, and kept in memory: the
 *   first request gets the file as it is, the next ones the compressed copy.
 * - Every answer carries a Content-Security-Policy that allows only the OC's own origin and its
 *   WebSocket, with nosniff and no referrer.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';

/** Where `npm run build:console` writes the console (console/vite.config.ts's outDir). */
export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../console/dist');

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export const contentType = (path: string) => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

const compressible = (type: string) => /^(text\/|application\/(json|manifest\+json|javascript|wasm)|image\/(svg\+xml|x-icon))/.test(type);

type Encoding = 'br' | 'gzip';

/** One file held in memory, with its compressed copies once they are made. */
export class StaticFile {
  readonly hash: string;
  private readonly encoded = new Map<Encoding, Buffer | Promise<void>>();

  constructor(
    readonly body: Buffer,
    readonly type: string,
  ) {
    this.hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  }

  /** The best copy the client accepts: compressed if made already (else its making starts, and this answer goes as it is). */
  pick(acceptEncoding: string | undefined): { encoding: Encoding | null; body: Buffer } {
    if (this.body.length < 1024 || !compressible(this.type)) return { encoding: null, body: this.body };
    const accepted = parseAcceptEncoding(acceptEncoding);
    for (const encoding of ['br', 'gzip'] as const) {
      if (!accepted.has(encoding)) continue;
      const copy = this.encoded.get(encoding);
      if (copy instanceof Buffer) return { encoding, body: copy };
      if (!copy) this.encoded.set(encoding, this.compress(encoding));
    }
    return { encoding: null, body: this.body };
  }

  private async compress(encoding: Encoding): Promise<void> {
    try {
      const out =
        encoding === 'br'
          ? await promisify(brotliCompress)(this.body, {
              params: {
                // 2-12% larger than the best (11) for a tenth of its CPU (11 takes seconds a file here); 5 for GraphiQL's 5 MB.
                [zlib.BROTLI_PARAM_QUALITY]: this.body.length <= 1 << 20 ? 9 : 5,
                [zlib.BROTLI_PARAM_SIZE_HINT]: this.body.length,
                [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
              },
            })
          : await promisify(gzip)(this.body, { level: 9 });
      this.encoded.set(encoding, out);
    } catch {
      // Kept as it is: answers go uncompressed.
    }
  }
}

/** Encodings with a q above 0 (`br;q=0` refuses br). */
function parseAcceptEncoding(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    if (name && (!q || Number(q[1]) > 0)) out.add(name);
  }
  return out;
}

/** The console's policy: scripts, styles, fonts and connections from the OC only (no inline anything). */
export function consolePolicy(host: string | undefined): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connectSources(host)}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The OC's own origin and its WebSocket. `'self'` covers ws: and wss: to the same host only in
 * browsers that follow CSP 3, so the host is also named by scheme (the Host the page came from).
 */
export function connectSources(host: string | undefined): string {
  const h = host && /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host) ? host : null;
  return h ? `'self' ws://${h} wss://${h}` : "'self' ws: wss:";
}

export interface SendOptions {
  cacheControl: string;
  policy: string;
  status?: number;
}

/** Answers with one file: its type, caching, ETag (304 when the client has it), compression, security headers. */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile, opts: SendOptions): void {
  const { encoding, body } = file.pick(req.headers['accept-encoding']);
  const etag = `"${file.hash}${encoding ? `-${encoding}` : ''}"`;
  const headers: Record<string, string | number> = {
    'content-type': file.type,
    'cache-control': opts.cacheControl,
    etag,
    ...securityHeaders(opts.policy),
  };
  if (compressible(file.type)) headers['vary'] = 'Accept-Encoding';
  const status = opts.status ?? 200;
  if (status === 200 && etagMatches(req.headers['if-none-match'], file.hash)) {
    res.writeHead(304, headers).end();
    return;
  }
  if (encoding) headers['content-encoding'] = encoding;
  headers['content-length'] = body.length;
  res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
}

const etagMatches = (header: string | undefined, hash: string) =>
  !!header && header.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '').replace(/-(br|gzip)"$/, '"') === `"${hash}"`);

export function securityHeaders(policy: string): Record<string, string> {
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** A short answer of our own (404, 405, not built): plain text or a small HTML page, never cached. */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, type: string, text: string, policy: string, extra: Record<string, string> = {}) {
  const body = Buffer.from(text);
  res
    .writeHead(status, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store', ...securityHeaders(policy), ...extra })
    .end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The path's segments, decoded, when every one names an ordinary file or folder: null for `..`,
 * `.`, dotfiles, empty segments, backslashes, NUL, or bad percent-encoding.
 */
export function safeSegments(pathname: string): string[] | null {
  const parts = pathname.split('/').slice(1);
  const out: string[] = [];
  for (const [i, raw] of parts.entries()) {
    if (raw === '' && i === parts.length - 1) break; // a trailing slash
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '' || s.startsWith('.') || /[\\/\0]/.test(s)) return null;
    out.push(s);
  }
  return out;
}

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Operations Center: the console is not built</title></head>
<body>
<h1>Operations Center</h1>
<p>The operator console is not built on this machine, so there is nothing to show here yet.</p>
<p>Build it from the repository's folder with <code>npm run build:console</code> (<code>npm install</code>
and <code>npm start</code> do it for you), then reload this page.</p>
<p>The API answers meanwhile: GraphiQL is at <a href="/graphql">/graphql</a>.</p>
</body>
</html>
`;

/** Serves a built console from `dir`; see the top of this file for the rules. */
export function createConsoleSite(dir: string = CONSOLE_DIST) {
  const root = resolve(dir);
  const cache = new Map<string, { mtimeMs: number; size: number; file: StaticFile }>();

  /** The file at `path` (under root), read once and re-read when it changes; null when there is none. */
  async function load(path: string): Promise<StaticFile | null> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(path);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.file;
    const file = new StaticFile(await readFile(path), contentType(path));
    cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, file });
    return file;
  }

  return {
    root,
    async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
      const policy = consolePolicy(req.headers.host);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(req, res, 405, 'application/json', JSON.stringify({ error: 'the console is read with GET; the API is at /graphql' }), policy, { allow: 'GET, HEAD' });
        return;
      }
      const segments = safeSegments(pathname);
      const isAsset = segments?.[0] === 'assets';
      const path = segments && segments.length > 0 ? join(root, ...segments) : null;
      const file = path?.startsWith(root + sep) ? await load(path) : null;
      if (file) {
        sendFile(req, res, file, { cacheControl: isAsset ? IMMUTABLE : REVALIDATE, policy });
        return;
      }
      if (!segments || isAsset) {
        sendText(req, res, 404, 'text/plain; charset=utf-8', 'not found\n', policy);
        return;
      }
      // `/`, and the console's own routes.
      const index = await load(join(root, 'index.html'));
      if (!index) {
        sendText(req, res, 503, 'text/html; charset=utf-8', NOT_BUILT, policy);
        return;
      }
      sendFile(req, res, index, { cacheControl: REVALIDATE, policy });
    },
  };
}

export type ConsoleSite = ReturnType<typeof createConsoleSite>;
