/**
 * The WebSocket heartbeat, hand-written in place of graphql-ws's keep-alive: that one counts only
 * pongs and decides on a timer, so after a busy stretch (seen on PGlite) it could drop every
 * manager at once. This one counts any traffic and decides after pending I/O.
 */
import type { WebSocket } from 'ws';

export const HEARTBEAT_MS = 15_000;

/**
 * Drops a peer that stopped answering: a ping every `intervalMs`, and the socket is terminated
 * when nothing (pong or message) came back within the next interval. The verdict waits for
 * pending I/O (setImmediate): after a long busy stretch Node runs expired timers before it reads
 * sockets, and a pong already received but not yet read must not cost a healthy manager its socket.
 */
export function heartbeat(socket: WebSocket, intervalMs: number): () => void {
  let heard = true;
  const hear = () => {
    heard = true;
  };
  socket.on('pong', hear);
  socket.on('message', hear);
  const timer = setInterval(() => {
    setImmediate(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (!heard) {
        socket.terminate();
        return;
      }
      heard = false;
      socket.ping();
    });
  }, intervalMs);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    socket.off('pong', hear);
    socket.off('message', hear);
  };
}
