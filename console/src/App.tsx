/** Sign-in, the signed-in frame (navigation, who, the connection banner) and the routes. */
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { Link } from './components/ui';
import { graphql } from './gql';
import { getToken, setToken, takeTokenFromFragment } from './lib/auth';
import { type ConsoleClient, clientFor } from './lib/client';
import { fmtDuration } from './lib/format';
import { paths, useLocation } from './lib/router';
import { canOperate, type Role, type Session, SessionContext, useLink, useNow, useSession } from './lib/session';
import { ClusterView } from './views/Cluster';
import { CommandView } from './views/Command';
import { EventsView } from './views/Events';
import { FleetView } from './views/Fleet';
import { OperationsView } from './views/Operations';
import { PatchView } from './views/Patch';
import { SignIn } from './views/SignIn';
import { TokensView } from './views/Tokens';

const ViewerQuery = graphql(`
  query Viewer {
    viewer { tokenName role }
  }
`);

export function App() {
  const [token, setTok] = useState(getToken);
  const [notice, setNotice] = useState<string | null>(null);

  // A one-click link opened in a tab that is already signed in.
  useEffect(() => {
    const onHash = () => {
      const t = takeTokenFromFragment();
      if (t) setTok(t);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const signOut = useCallback((message?: string) => {
    setToken(null);
    setTok(null);
    setNotice(message ?? null);
  }, []);

  const client = useMemo(() => clientFor(token, (m) => signOut(`Signed out: ${m}`)), [token, signOut]);

  if (!client) {
    return (
      <SignIn
        notice={notice}
        onToken={(t) => {
          setToken(t);
          setNotice(null);
          setTok(t);
        }}
      />
    );
  }
  return (
    <Provider value={client.urql}>
      <SignedIn client={client} signOut={signOut} />
    </Provider>
  );
}

function SignedIn({ client, signOut }: { client: ConsoleClient; signOut: (m?: string) => void }) {
  const [viewer, reexecute] = useQuery({ query: ViewerQuery });
  const v = viewer.data?.viewer;
  // The OC not answering yet (a page opened while it restarts): ask again until it does.
  useEffect(() => {
    if (v || !viewer.error) return;
    const t = setTimeout(() => reexecute({ requestPolicy: 'network-only' }), 2000);
    return () => clearTimeout(t);
  }, [v, viewer.error, reexecute]);
  const session: Session | null = useMemo(() => (v ? { client, tokenName: v.tokenName, role: v.role as Role, signOut } : null), [client, v, signOut]);
  if (!session) {
    return (
      <div className="boot">
        {viewer.error ? (
          <div className="note error">
            Cannot reach the OC ({viewer.error.message}); trying again…{' '}
            <button type="button" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        ) : (
          'Signing in…'
        )}
      </div>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Frame />
    </SessionContext.Provider>
  );
}

const NAV: { to: string; label: string; match: (p: string) => boolean; admin?: boolean; operate?: boolean }[] = [
  { to: paths.fleet(), label: 'Fleet', match: (p) => p === '/' || p.startsWith('/clusters') },
  { to: paths.operations(), label: 'Operations', match: (p) => p.startsWith('/operations') || p.startsWith('/commands') },
  { to: paths.patch(), label: 'System patch', match: (p) => p.startsWith('/patch'), operate: true },
  { to: paths.events(), label: 'Events', match: (p) => p.startsWith('/events') },
  { to: paths.tokens(), label: 'Tokens', match: (p) => p.startsWith('/tokens'), admin: true },
];

function Frame() {
  const { path } = useLocation();
  const { tokenName, role, signOut } = useSession();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true" />
          Operations Center
        </Link>
        <nav aria-label="Main">
          {NAV.filter((n) => (!n.admin || role === 'ADMIN') && (!n.operate || canOperate(role))).map((n) => (
            <Link key={n.to} to={n.to} className={n.match(path) ? 'active' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="spacer" />
        <LinkIndicator />
        <span className="who" data-testid="who">
          <span className="who-name">{tokenName}</span>
          <span className={`role role-${role}`}>{role}</span>
        </span>
        <button type="button" className="ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <LinkBanner />
      <Main>
        <Route path={path} />
      </Main>
    </div>
  );
}

function Route({ path }: { path: string }) {
  const { role } = useSession();
  const m = /^\/clusters\/([^/]+)\/?$/.exec(path);
  if (m) return <ClusterView name={decodeURIComponent(m[1]!)} />;
  const c = /^\/commands\/([^/]+)\/?$/.exec(path);
  if (c) return <CommandView id={decodeURIComponent(c[1]!)} />;
  switch (path) {
    case '/':
      return <FleetView />;
    case '/operations':
      return <OperationsView />;
    case '/patch':
      return <PatchView />;
    case '/events':
      return <EventsView />;
    case '/tokens':
      return role === 'ADMIN' ? <TokensView /> : <NotFound />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Back to the fleet</Link>
      </p>
    </div>
  );
}

/** While the link is down what is on screen may be stale: it says so by fading until it is re-read. */
function Main({ children }: { children: ReactNode }) {
  const link = useLink();
  return <main className={link.state === 'reconnecting' ? 'stale' : undefined}>{children}</main>;
}

function LinkIndicator() {
  const link = useLink();
  const label = link.state === 'live' ? 'live' : link.state === 'connecting' ? 'connecting…' : link.state === 'refused' ? 'refused' : 'reconnecting…';
  return (
    <span className={`link link-${link.state}`} data-testid="link" data-state={link.state} title="The live connection to the OC">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function LinkBanner() {
  const link = useLink();
  const now = useNow(1000);
  if (link.state !== 'reconnecting') return null;
  return (
    <div className="banner" role="status" data-testid="banner">
      <b>Connection to the OC lost</b> {link.since ? `${fmtDuration(now - link.since)} ago` : ''} — reconnecting… What you see may be out of date;
      it is re-read as soon as the link is back.
    </div>
  );
}
