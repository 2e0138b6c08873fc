/**
 * Child process: the baseline of bench/subscriptions.ts. A plain `ws` server that broadcasts what
 * it is given to every connected client, and nothing else: POST /broadcast with a JSON array of
 * strings sends each string, in order, to every client (as the OC's graphql-ws sends each event).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { fatal, processUsage, serveRpc } from './child.js';

try {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/broadcast') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const messages = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];
      for (const m of messages) for (const client of wss.clients) client.send(m);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  serveRpc(
    { url },
    {
      usage: () => processUsage(),
      clients: () => wss.clients.size,
      gc: () => {
        (globalThis as { gc?: () => void }).gc?.();
        return processUsage();
      },
    },
    async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise((resolve) => server.close(resolve));
    },
  );
} catch (err) {
  fatal(err);
}
