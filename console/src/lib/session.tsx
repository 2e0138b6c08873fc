/** The signed-in session: its urql client, the link status and who is signed in, for every view. */
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { type AnyVariables, type DocumentInput, type OperationContext, type UseQueryArgs, useQuery } from 'urql';
import type { ConsoleClient, LinkStatus } from './client';

export type Role = 'VIEWER' | 'OPERATOR' | 'ADMIN' | 'MANAGER';

export interface Session {
  client: ConsoleClient;
  tokenName: string;
  role: Role;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

/** May this role start, pause, resume or cancel commands? */
export function canOperate(role: Role): boolean {
  return role === 'OPERATOR' || role === 'ADMIN';
}

export function useLink(): LinkStatus {
  const { client } = useSession();
  return useSyncExternalStore(client.subscribe, client.status);
}

/**
 * A query that stays true: re-read from the network when the socket (re)connects, and on
 * `refresh()` (called by a view when a subscription says something changed), at most every
 * `throttleMs`, the last call always honoured.
 */
export function useLiveQuery<Data, Variables extends AnyVariables>(
  args: UseQueryArgs<Variables, Data> & { query: DocumentInput<Data, Variables> },
  throttleMs = 250,
) {
  const [result, reexecute] = useQuery<Data, Variables>(args);
  const { epoch } = useLink();
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = useCallback(
    (ctx?: Partial<OperationContext>) => {
      const run = () => {
        timer.current = null;
        last.current = Date.now();
        reexecute({ requestPolicy: 'network-only', ...ctx });
      };
      if (timer.current) return;
      const wait = Math.max(0, last.current + throttleMs - Date.now());
      timer.current = setTimeout(run, wait);
    },
    [reexecute, throttleMs],
  );
  const firstEpoch = useRef(epoch);
  useEffect(() => {
    // Re-read on a re-connection; not when the socket first opens (the query just ran).
    if (epoch !== firstEpoch.current && !(firstEpoch.current === 0 && epoch === 1)) refresh();
  }, [epoch, refresh]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return [result, refresh] as const;
}

/** Re-renders every `ms` (relative times: "3 min ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** The tab's title: what the page shows, then the product. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Operations Center`;
  }, [title]);
}
