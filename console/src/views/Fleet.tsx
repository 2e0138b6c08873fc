/** The home page: the whole system at a glance, one row per cluster, live. */
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useQuery, useSubscription } from 'urql';
import { Counts, Empty, ErrorNote, Figure, Link, ProgressBar, StateBadge } from '../components/ui';
import { StripLegend, WORKER_STATES, WorkerStrip } from '../components/WorkerStrip';
import { graphql } from '../gql';
import { fmtMemory, fmtNumber, fmtPercent } from '../lib/format';
import { navigate, paths, useSearchParams } from '../lib/router';
import { useLink, useSession, useTitle } from '../lib/session';
import { type FleetRow, FleetCommandSubscription, FleetMembershipSubscription, FleetStore, FleetTopologySubscription } from './fleet-store';

const SystemQuery = graphql(`
  query FleetSystem {
    system {
      clusterCount
      workerCount
      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }
    }
  }
`);

const HEALTHS = ['HEALTHY', 'DEGRADED', 'UNAVAILABLE', 'UNREACHABLE'] as const;
const ROW_HEIGHT = 52;

export function FleetView() {
  const { client } = useSession();
  const { epoch } = useLink();
  const store = useMemo(() => new FleetStore(client.urql), [client]);
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [search, setSearch] = useSearchParams();
  const kind = search.get('kind') ?? '';
  const health = search.get('health') ?? '';
  const name = search.get('name') ?? '';

  // Watch, then list: subscriptions are open (urql keeps them across reconnects), and every
  // (re)connection re-reads the whole list so nothing missed while away stays on screen.
  useSubscription({ query: FleetMembershipSubscription }, (_, ev) => {
    store.applyMembership(ev.membershipChanged);
    return ev;
  });
  useSubscription({ query: FleetTopologySubscription }, (_, ev) => {
    void store.applyTopology(ev.topologyChanged);
    return ev;
  });
  useSubscription({ query: FleetCommandSubscription }, (_, ev) => {
    store.applyCommand(ev.commandUpdated as Parameters<FleetStore['applyCommand']>[0]);
    return ev;
  });
  // List at once; list again on every RE-connection (epoch 2, 3, …), not when the first one opens.
  const listed = useRef<number | null>(null);
  useEffect(() => {
    if (listed.current !== null && epoch <= 1) return;
    listed.current = epoch;
    void store.load();
  }, [store, epoch]);
  useEffect(() => () => store.dispose(), [store]);

  const [system, refetchSystem] = useQuery({ query: SystemQuery });
  useEffect(() => {
    const t = setInterval(() => refetchSystem({ requestPolicy: 'network-only' }), 10_000);
    return () => clearInterval(t);
  }, [refetchSystem]);
  useEffect(() => {
    if (epoch > 1) refetchSystem({ requestPolicy: 'network-only' });
  }, [epoch, refetchSystem]);

  const kinds = useMemo(() => [...new Set(snap.rows.map((r) => r.kind))].sort(), [snap.rows]);
  const byHealth = useMemo(() => {
    const m = new Map<string, number>();
    for (const r of snap.rows) m.set(r.health, (m.get(r.health) ?? 0) + 1);
    return m;
  }, [snap.rows]);
  const byState = useMemo(() => {
    const m = new Map<string, number>();
    let missing = 0;
    for (const r of snap.rows) {
      if (!r.workers) missing++;
      else for (const w of r.workers) m.set(w.state, (m.get(w.state) ?? 0) + 1);
    }
    return { m, missing };
  }, [snap.rows]);
  const rows = useMemo(() => {
    const needle = name.trim().toLowerCase();
    return snap.rows.filter((r) => (!kind || r.kind === kind) && (!health || r.health === health) && (!needle || r.name.toLowerCase().includes(needle)));
  }, [snap.rows, kind, health, name]);
  const running = useMemo(() => snap.rows.filter((r) => r.command).length, [snap.rows]);

  const s = system.data?.system;
  useTitle(`Fleet${byHealth.get('UNREACHABLE') ? ` · ${byHealth.get('UNREACHABLE')} unreachable` : ''}`);
  const workerTotal = snap.rows.reduce((n, r) => n + r.workerCount, 0);
  return (
    <div className="page fleet">
      <section className="figures" aria-label="System">
        <Figure
          label="Clusters"
          value={fmtNumber(s?.clusterCount ?? snap.rows.length)}
          sub={
            <span className="mini-states">
              {HEALTHS.map((h) => (byHealth.get(h) ? <StateBadge key={h} state={h} label={`${byHealth.get(h)} ${h.toLowerCase()}`} /> : null))}
            </span>
          }
        />
        <Figure
          label="Workers"
          value={fmtNumber(s?.workerCount ?? workerTotal)}
          sub={
            <span className="mini-states">
              {WORKER_STATES.map((st) => (byState.m.get(st) ? <StateBadge key={st} state={st} label={`${byState.m.get(st)} ${st.toLowerCase()}`} worker /> : null))}
              {byState.missing > 0 && <span className="muted">counting…</span>}
            </span>
          }
        />
        <Figure label="CPU (avg)" value={fmtPercent(s?.stats?.cpuPercent)} />
        <Figure label="Memory" value={fmtMemory(s?.stats?.memoryMb)} />
        <Figure label="Requests/s" value={fmtNumber(s?.stats?.requestsPerSec)} />
        <Figure label="Errors/s" value={<span className={(s?.stats?.errorsPerSec ?? 0) > 0 ? 'bad' : undefined}>{fmtNumber(s?.stats?.errorsPerSec, 2)}</span>} />
        <Figure label="Rollouts" value={fmtNumber(running)} sub={<Link to={paths.operations()}>operations →</Link>} />
      </section>

      <section className="toolbar" aria-label="Filters">
        <input
          type="search"
          placeholder="Filter by name"
          aria-label="Filter by name"
          value={name}
          onChange={(e) => setSearch({ name: e.target.value })}
        />
        <select aria-label="Kind" value={kind} onChange={(e) => setSearch({ kind: e.target.value })}>
          <option value="">All kinds</option>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <div className="seg-buttons">
          <button type="button" className={health === '' ? 'on' : ''} onClick={() => setSearch({ health: null })}>
            All
          </button>
          {HEALTHS.map((h) => (
            <button type="button" key={h} className={health === h ? 'on' : ''} onClick={() => setSearch({ health: health === h ? null : h })}>
              {h.toLowerCase()} {byHealth.get(h) ? <span className="count">{byHealth.get(h)}</span> : null}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <StripLegend />
      </section>

      {snap.error && <ErrorNote>Could not read the clusters: {snap.error}</ErrorNote>}
      <div className="fleet-table">
      <div className="table-head fleet-grid">
        <span>Cluster</span>
        <span>Health</span>
        <span>Manager</span>
        <span>Workers</span>
        <span>Artifacts</span>
        <span>Activity</span>
      </div>
      {!snap.loaded && snap.rows.length === 0 ? (
        <div className="loading">Loading clusters…</div>
      ) : rows.length === 0 ? (
        <Empty>{snap.rows.length === 0 ? 'No cluster yet: a manager registering creates its cluster.' : 'No cluster matches these filters.'}</Empty>
      ) : (
        <VirtualRows rows={rows} onVisible={store.want.bind(store)} />
      )}
      </div>
      <div className="list-foot">
        {rows.length === snap.rows.length ? `${rows.length} clusters` : `${rows.length} of ${snap.rows.length} clusters`}
        {!snap.loaded && snap.total > snap.rows.length ? ` (loading ${snap.total})` : ''}
      </div>
    </div>
  );
}

/** Only the rows in (and near) the window are in the DOM: 2,000 clusters scroll like 20. */
function VirtualRows({ rows, onVisible }: { rows: FleetRow[]; onVisible: (ids: string[]) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState({ from: 0, to: 40 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const top = el.getBoundingClientRect().top;
      const from = Math.max(0, Math.floor(-top / ROW_HEIGHT) - 10);
      const to = Math.min(rows.length, Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + 10);
      setRange((r) => (r.from === from && r.to === to ? r : { from, to }));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [rows.length]);
  const visible = rows.slice(range.from, range.to);
  const visibleKey = visible.map((r) => r.id).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the rows in view
  useEffect(() => {
    onVisible(visibleKey ? visibleKey.split(',') : []);
  }, [visibleKey]);
  return (
    <div className="vlist" ref={ref} style={{ height: rows.length * ROW_HEIGHT }}>
      {visible.map((r, i) => (
        <ClusterRow key={r.id} row={r} top={(range.from + i) * ROW_HEIGHT} />
      ))}
    </div>
  );
}

const ClusterRow = memo(function ClusterRow({ row, top }: { row: FleetRow; top: number }) {
  const running = row.workers?.filter((w) => w.state === 'RUNNING').length;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: the row is a bigger target for the cluster link it holds (keyboard users have the link)
    <div
      className="vrow fleet-grid"
      style={{ transform: `translateY(${top}px)` }}
      data-cluster={row.name}
      data-health={row.health}
      onClick={(e) => {
        if (!(e.target as HTMLElement).closest('a') && !window.getSelection()?.toString()) navigate(paths.cluster(row.name));
      }}
    >
      <span className="name">
        <Link to={paths.cluster(row.name)}>{row.name}</Link>
        <span className="kind">{row.kind}</span>
      </span>
      <span>
        <StateBadge state={row.health} />
      </span>
      <span className="mgr">
        {row.manager?.connected ? (
          <span className="ok-text" title={row.manager.host}>
            ● connected
          </span>
        ) : (
          <span className="bad-text">⊘ unreachable</span>
        )}
      </span>
      <span className="workers-cell">
        {row.workers ? <WorkerStrip workers={row.workers} /> : <span className="strip-skeleton" title="reading…" />}
        <span className="muted small">{row.workers ? `${running}/${row.workers.length} running` : `${row.workerCount} workers`}</span>
      </span>
      <span className="artifacts-cell">
        {row.skew.size > 0 ? (
          <span className="skew" title={[...row.skew].map(([n, v]) => `${n}: ${v.join(', ')}`).join('\n')}>
            ⚠ skew {[...row.skew.values()][0]!.join(' / ')}
          </span>
        ) : (
          <span className="muted small ellipsis">{row.artifacts.map((a) => `${a.name} ${a.version}`).join(', ') || '–'}</span>
        )}
      </span>
      <span className="activity">
        {row.command ? (
          <Link to={paths.command(row.command.id)} className="activity-link">
            <StateBadge state={row.command.state} label={`${row.command.kind.toLowerCase()} ${row.command.state.toLowerCase()}`} />
            <ProgressBar p={row.command.progress} compact />
            <Counts p={row.command.progress} />
          </Link>
        ) : (
          <span className="muted small">
            {row.stats ? `${fmtPercent(row.stats.cpuPercent)} CPU · ${fmtNumber(row.stats.requestsPerSec)} req/s` : 'idle'}
          </span>
        )}
      </span>
    </div>
  );
});
