/** A small router over the History API: paths are the console's addresses, the query string holds filters. */
import { useCallback, useSyncExternalStore } from 'react';

type Listener = () => void;
const listeners = new Set<Listener>();

function notify() {
  for (const l of listeners) l();
}

window.addEventListener('popstate', notify);

function subscribe(l: Listener) {
  listeners.add(l);
  return () => listeners.delete(l);
}

const snapshot = () => window.location.pathname + window.location.search;

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo(0, 0);
  notify();
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, snapshot);
  const q = loc.indexOf('?');
  return { path: q < 0 ? loc : loc.slice(0, q), search: new URLSearchParams(q < 0 ? '' : loc.slice(q)) };
}

/** Reads and writes one group of query-string parameters (filters), replacing the history entry. */
export function useSearchParams(): [URLSearchParams, (next: Record<string, string | null>) => void] {
  const { path, search } = useLocation();
  const set = useCallback(
    (next: Record<string, string | null>) => {
      const p = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(next)) {
        if (v === null || v === '') p.delete(k);
        else p.set(k, v);
      }
      const s = p.toString();
      navigate(path + (s ? `?${s}` : ''), { replace: true });
    },
    [path],
  );
  return [search, set];
}

export const paths = {
  fleet: () => '/',
  cluster: (name: string) => `/clusters/${encodeURIComponent(name)}`,
  command: (id: string) => `/commands/${encodeURIComponent(id)}`,
  operations: () => '/operations',
  patch: () => '/patch',
  tokens: () => '/tokens',
  events: () => '/events',
};
