/**
 * The WebSocket heartbeat, hand-written in place of graphql-ws's keep-alive: that one counts only
 * pongs and decides on a timer, so after a busy stretch (seen on PGlite) it could drop every
 * manager at once. This one counts any traffic and decides after pending I/O.
 *
 * One interval for every socket, and shared listeners (no timer nor closure per socket): a timer
 * and its closures per socket were ~0.4 KB of each idle subscriber's heap (bench:subscriptions).
 */
import type { WebSocket } from 'ws';

export const HEARTBEAT_MS = 15_000;

export interface Heartbeat {
  /** Counts a socket's traffic as its answers: every socket of the set must be watched (from its 'connection' event). */
  watch(socket: WebSocket): void;
  stop(): void;
}

/**
 * Drops a peer that stopped answering: every `intervalMs`, each open socket of `sockets` is
 * pinged, and terminated when nothing (pong or message) came back since its last
 * ping. The verdict waits for pending I/O (setImmediate): after a long busy stretch Node runs
 * expired timers before it reads sockets, and a pong already received but not yet read must not
 * cost a healthy manager its socket. `sockets` is the server's own set of clients (ws's
 * `wss.clients`), so the heartbeat keeps no registry of its own.
 */
export function startHeartbeat(sockets: ReadonlySet<WebSocket>, intervalMs: number): Heartbeat {
  /** Sockets pinged and not heard from since (a new set each round). */
  let silent = new Set<WebSocket>();
  function hear(this: WebSocket) {
    silent.delete(this);
  }
  const verdict = () => {
    const unheard = silent;
    silent = new Set();
    for (const socket of sockets) {
      if (socket.readyState !== socket.OPEN) continue;
      if (unheard.has(socket)) {
        socket.terminate();
        continue;
      }
      silent.add(socket);
      socket.ping();
    }
  };
  const timer = setInterval(() => setImmediate(verdict), intervalMs);
  timer.unref?.();
  return {
    watch(socket) {
      socket.on('pong', hear);
      socket.on('message', hear);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
