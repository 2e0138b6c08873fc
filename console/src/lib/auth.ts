/**
 * The token: pasted into the sign-in form or brought by the lab's one-click link (`/#token=…`),
 * kept in sessionStorage (this tab only), never in the address bar longer than it takes to read it.
 */
const KEY = 'oc.token';

/** Reads `#token=…` from the URL fragment, stores it and removes it from the address bar at once. */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  if (!token) return null;
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
  setToken(token);
  return token;
}

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token.trim());
  else sessionStorage.removeItem(KEY);
}
