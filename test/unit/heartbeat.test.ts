import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { heartbeat } from '../../src/server/heartbeat.js';
import { waitFor } from '../support/wait.js';

let wss: WebSocketServer | null = null;
afterEach(() => new Promise<void>((r) => (wss ? wss.close(() => r()) : r())));

async function pair(clientOpts: WebSocket.ClientOptions) {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss!.once('listening', r));
  const serverSide = new Promise<WebSocket>((r) => wss!.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, clientOpts);
  const server = await serverSide;
  let closed = false;
  client.once('close', () => (closed = true));
  return { client, server, closed: () => closed };
}

describe('the WebSocket heartbeat', () => {
  it('keeps a peer that answers pings', async () => {
    const { client, server, closed } = await pair({});
    const stop = heartbeat(server, 40);
    let pings = 0;
    client.on('ping', () => pings++);
    await waitFor(() => pings >= 4, 'four pings answered');
    expect(closed()).toBe(false);
    stop();
    client.close();
  });

  it('drops a peer that stopped answering', async () => {
    const { server, closed } = await pair({ autoPong: false });
    heartbeat(server, 40);
    await waitFor(() => closed(), 'the silent peer to be dropped', 2000);
    expect(server.readyState).toBe(WebSocket.CLOSED);
  });
});
