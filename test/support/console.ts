/**
 * The operator console for browser tests. `ensureConsoleBuilt` is the same check npm runs before
 * `start` (scripts/ensure-console.ts). `serveConsole` puts a link a test can cut between the page
 * and an OC, which serves the console itself: every request and WebSocket is relayed byte for
 * byte, Host header included (the OC's Content-Security-Policy names the page's own host).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureConsole, ROOT } from '../../scripts/ensure-console.js';

/** A fixture build shaped like Vite's console/dist, in a new temp folder: path → content. Returns the folder. */
export function fixtureDist(files: Record<string, string>): string {
  const dist = mkdtempSync(join(tmpdir(), 'oc-console-dist-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dist, path)), { recursive: true });
    writeFileSync(join(dist, path), content);
  }
  return dist;
}

/** Builds the console (`npm run build:console`) unless console/dist was built from these sources. */
export function ensureConsoleBuilt(): void {
  if (ensureConsole(ROOT, () => {}) !== 0) throw new Error('the console did not build: run npm run build:console to see why');
}

export interface ConsoleServer {
  url: string;
  /** Where /graphql goes (changed when a test restarts the OC on another port). */
  target: URL;
  /** The network drops for the page's WebSockets: open ones are cut, new ones refused until `restore()`. */
  cutWebSockets(): { restore(): void };
  close(): Promise<void>;
}

export async function serveConsole(ocUrl: string): Promise<ConsoleServer> {
  const state = { target: new URL(ocUrl) };
  const sockets = new Set<import('node:net').Socket>();
  const upgraded = new Set<import('node:stream').Duplex>();
  let refuseUpgrades = false;
  const server: Server = createServer((req, res) => {
    const up = httpRequest({ host: state.target.hostname, port: state.target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('OC unavailable');
      else res.destroy();
    });
    req.pipe(up);
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
        lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
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
