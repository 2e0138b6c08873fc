/**
 * The operator console for browser tests: built when console/dist is missing or older than its
 * sources, and served like the OC serves it (static files, index.html for client routes, the
 * same strict Content-Security-Policy), with /graphql (HTTP and WebSocket) passed through to an
 * OC. Until the OC serves console/dist itself this stands in for it; the page sees one origin.
 * With `passThrough` it only relays to the OC (which then serves the console).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { extname, join, resolve } from 'node:path';

export const CONSOLE_DIR = resolve('console');
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

/** Builds the console (`npm run build:console`) unless console/dist is newer than every source. */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIST, 'index.html');
  const sources = ['src', 'index.html', 'public', 'vite.config.ts', 'codegen.ts'].map((p) => join(CONSOLE_DIR, p)).filter(existsSync);
  const stale = !existsSync(index) || statSync(index).mtimeMs < Math.max(newest(resolve('schema.graphql')), ...sources.map(newest));
  if (stale) execFileSync('npm', ['run', 'build:console'], { stdio: 'pipe', timeout: 180_000 });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export interface ConsoleServer {
  url: string;
  /** Where /graphql goes (changed when a test restarts the OC on another port). */
  target: URL;
  /** The network drops for the page's WebSockets: open ones are cut, new ones refused until `restore()`. */
  cutWebSockets(): { restore(): void };
  close(): Promise<void>;
}

/**
 * `passThrough`: every request goes to the OC (once the OC serves the console itself), so the
 * page still reaches it through a link a test can cut.
 */
export async function serveConsole(ocUrl: string, opts: { passThrough?: boolean } = {}): Promise<ConsoleServer> {
  const state = { target: new URL(ocUrl) };
  const sockets = new Set<import('node:net').Socket>();
  const upgraded = new Set<import('node:stream').Duplex>();
  let refuseUpgrades = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (opts.passThrough || url.pathname === '/graphql') {
      const up = httpRequest(
        { host: state.target.hostname, port: state.target.port, method: req.method, path: req.url, headers: { ...req.headers, host: state.target.host } },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end('OC unavailable');
        else res.destroy();
      });
      req.pipe(up);
      return;
    }
    let file = join(CONSOLE_DIST, decodeURIComponent(url.pathname));
    if (!file.startsWith(CONSOLE_DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(CONSOLE_DIST, 'index.html');
    const csp = `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://${req.headers.host}; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': csp,
      'cache-control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    res.end(readFileSync(file));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // WebSocket upgrades are passed through byte for byte.
  server.on('upgrade', (req, socket, head) => {
    if (refuseUpgrades) {
      socket.destroy();
      return;
    }
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const up = connect(Number(state.target.port), state.target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i]!;
        lines.push(`${k}: ${k.toLowerCase() === 'host' ? state.target.host : req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get target() {
      return state.target;
    },
    set target(u: URL) {
      state.target = u;
    },
    cutWebSockets() {
      refuseUpgrades = true;
      for (const s of upgraded) s.destroy();
      return {
        restore() {
          refuseUpgrades = false;
        },
      };
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
