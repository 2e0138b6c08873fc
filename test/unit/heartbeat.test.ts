import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startHeartbeat } from '../../src/server/heartbeat.js';
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
    const beat = startHeartbeat(wss!.clients, 40);
    beat.watch(server);
    let pings = 0;
    client.on('ping', () => pings++);
    await waitFor(() => pings >= 4, 'four pings answered');
    expect(closed()).toBe(false);
    beat.stop();
    client.close();
  });

  it('drops a peer that stopped answering', async () => {
    const { server, closed } = await pair({ autoPong: false });
    const beat = startHeartbeat(wss!.clients, 40);
    beat.watch(server);
    await waitFor(() => closed(), 'the silent peer to be dropped', 2000);
    expect(server.readyState).toBe(WebSocket.CLOSED);
    beat.stop();
  });

  it('keeps a peer whose messages arrive though its pongs do not', async () => {
    const { client, server, closed } = await pair({ autoPong: false });
    const beat = startHeartbeat(wss!.clients, 40);
    beat.watch(server);
    const talk = setInterval(() => client.send('{}'), 10);
    try {
      let pings = 0;
      client.on('ping', () => pings++);
      await waitFor(() => pings >= 4, 'four pings unanswered but for messages');
      expect(closed()).toBe(false);
    } finally {
      clearInterval(talk);
      beat.stop();
      client.close();
    }
  });

  it('with one interval for all its sockets, drops only the silent ones', async () => {
    const { client: answering, server: first, closed: firstClosed } = await pair({});
    const port = (wss!.address() as AddressInfo).port;
    const beat = startHeartbeat(wss!.clients, 40);
    beat.watch(first);
    const serverSide = new Promise<WebSocket>((r) => wss!.once('connection', r));
    const silent = new WebSocket(`ws://127.0.0.1:${port}`, { autoPong: false });
    let silentClosed = false;
    silent.once('close', () => (silentClosed = true));
    beat.watch(await serverSide);
    await waitFor(() => silentClosed, 'the silent peer to be dropped', 2000);
    let pings = 0;
    answering.on('ping', () => pings++);
    await waitFor(() => pings >= 3, 'the answering peer still pinged');
    expect(firstClosed()).toBe(false);
    expect(first.readyState).toBe(WebSocket.OPEN);
    beat.stop();
    answering.close();
  });
});
