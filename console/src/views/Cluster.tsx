/** One cluster: its manager, workers, statistics, artifacts, commands, actions and the manager's own operations. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { CommandRowFragment, CommandTable } from '../components/CommandTable';
import { type ManagerOperationFragment, ManagerOperations } from '../components/ManagerOperations';
import { RolloutDialog } from '../components/RolloutDialog';
import { type Point, Sparkplot } from '../components/StatsPlot';
import { Counts, ErrorNote, Figure, Link, Loading, ProgressBar, StateBadge } from '../components/ui';
import { StripLegend, WorkerStrip } from '../components/WorkerStrip';
import { type FragmentType, graphql, readFragment } from '../gql';
import { fmtAgo, fmtDateTime, fmtDuration, fmtMemory, fmtNumber, fmtPercent, TERMINAL } from '../lib/format';
import { paths } from '../lib/router';
import { canOperate, useLink, useLiveQuery, useNow, useSession, useTitle } from '../lib/session';

const WorkerRowFragment = graphql(`
  fragment WorkerRow on Worker {
    id
    memberId
    host
    port
    state
    startedAt
    stateChangedAt
    artifacts { name version deployedAt }
    stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }
  }
`);

const ClusterQuery = graphql(`
  query ClusterView($name: String!) {
    cluster(name: $name) {
      id
      name
      kind
      health
      workerCount
      createdAt
      manager {
        id
        host
        url
        version
        connected
        lastSeenAt
        registeredAt
        operations { ...ManagerOperationItem }
      }
      artifacts { name version workerCount }
      stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt }
      workers(first: 1000) { totalCount edges { node { ...WorkerRow } } }
      commands(first: 15) { totalCount edges { node { ...CommandRow } } }
    }
  }
`);

const StatsHistoryQuery = graphql(`
  query ClusterStatsHistory($name: String!, $since: DateTime!, $step: Int!) {
    cluster(name: $name) {
      id
      statsHistory(since: $since, stepSeconds: $step) { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec }
    }
  }
`);

const ClusterMembershipSub = graphql(`
  subscription ClusterMembership($id: ID!) {
    membershipChanged(clusterId: $id) { change worker { id memberId state } }
  }
`);
const ClusterCommandsSub = graphql(`
  subscription ClusterCommands($id: ID!) {
    commandUpdated(clusterId: $id) { id state }
  }
`);
const ClusterTopologySub = graphql(`
  subscription ClusterTopology {
    topologyChanged { change cluster { id } }
  }
`);
const ClusterStatsSub = graphql(`
  subscription ClusterStatsLive($id: ID!) {
    clusterStats(clusterId: $id) { sampledAt }
  }
`);

const RANGES = [
  { label: '1 h', ms: 3600_000, step: 60 },
  { label: '6 h', ms: 6 * 3600_000, step: 300 },
  { label: '24 h', ms: 24 * 3600_000, step: 1200 },
];

export function ClusterView({ name }: { name: string }) {
  const { role } = useSession();
  const now = useNow(1000);
  const [result, refresh] = useLiveQuery({ query: ClusterQuery, variables: { name } }, 300);
  const [dialog, setDialog] = useState<'RESTART' | 'DEPLOY' | null>(null);
  const cluster = result.data?.cluster;
  const id = cluster?.id;
  useTitle(cluster ? `${cluster.name} (${cluster.health.toLowerCase()})` : name);

  const onEvent = useCallback(() => refresh(), [refresh]);
  useSubscription({ query: ClusterMembershipSub, variables: { id: id ?? '' }, pause: !id }, onEvent);
  useSubscription({ query: ClusterCommandsSub, variables: { id: id ?? '' }, pause: !id }, onEvent);
  useSubscription({ query: ClusterStatsSub, variables: { id: id ?? '' }, pause: !id }, onEvent);
  useSubscription({ query: ClusterTopologySub, pause: !id }, (_, ev) => {
    if (ev.topologyChanged.cluster.id === id) refresh();
    return ev;
  });

  const workers = useMemo(() => (cluster?.workers.edges ?? []).map((e) => readFragment(WorkerRowFragment, e.node)), [cluster]);
  const commands = cluster?.commands.edges.map((e) => e.node) ?? [];
  const active = commands.map((c) => readFragment(CommandRowFragment, c)).find((c) => !TERMINAL.has(c.state) && c.kind !== 'OPERATION');

  if (result.error && !cluster) return <ErrorNote>Could not read cluster {name}: {result.error.message}</ErrorNote>;
  if (!result.data) return <Loading what={`cluster ${name}`} />;
  if (!cluster) {
    return (
      <div className="page">
        <h1>No cluster named {name}</h1>
        <p>
          It may have been removed. <Link to={paths.fleet()}>Back to the fleet</Link>
        </p>
      </div>
    );
  }
  const m = cluster.manager;
  const operate = canOperate(role);
  const byName = new Map<string, { version: string; workerCount: number }[]>();
  for (const a of cluster.artifacts) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  const running = workers.filter((w) => w.state === 'RUNNING').length;

  return (
    <div className="page cluster">
      <nav className="crumbs">
        <Link to={paths.fleet()}>Fleet</Link> / <span>{cluster.name}</span>
      </nav>
      <header className="page-head">
        <div>
          <h1>
            {cluster.name} <span className="kind big">{cluster.kind}</span>
          </h1>
          <div className="head-meta">
            <StateBadge state={cluster.health} />
            <span className="muted">
              {running}/{workers.length} workers running · created {fmtDateTime(cluster.createdAt)}
            </span>
          </div>
        </div>
        {operate && (
          <div className="actions">
            <button type="button" onClick={() => setDialog('RESTART')} disabled={!!active || workers.length === 0} title={active ? 'A rollout is already active on this cluster' : undefined}>
              ↻ Rolling restart
            </button>
            <button type="button" className="primary" onClick={() => setDialog('DEPLOY')} disabled={!!active || workers.length === 0} title={active ? 'A rollout is already active on this cluster' : undefined}>
              ⇪ Deploy artifact
            </button>
          </div>
        )}
      </header>

      {active && (
        <Link to={paths.command(active.id)} className="active-banner" title="Open the command">
          <StateBadge state={active.state} label={`${active.kind.toLowerCase()} ${active.state.toLowerCase()}`} />
          <ProgressBar p={active.progress} />
          <Counts p={active.progress} />
          {active.message && <span className="muted small clamp">{active.message}</span>}
          <span className="go">Open →</span>
        </Link>
      )}

      <div className="cols-2">
        <section className="card" aria-label="Manager">
          <h2>Manager</h2>
          {m ? (
            <dl className="kv">
              <dt>Connection</dt>
              <dd data-testid="manager-state">
                {m.connected ? (
                  <span className="ok-text">● connected</span>
                ) : (
                  <span className="bad-text">
                    ⊘ unreachable since {fmtDateTime(m.lastSeenAt)} ({fmtAgo(m.lastSeenAt, now)})
                  </span>
                )}
              </dd>
              <dt>Host</dt>
              <dd>{m.host}</dd>
              <dt>Version</dt>
              <dd>{m.version ?? '–'}</dd>
              <dt>Console</dt>
              <dd>
                <a href={m.url} target="_blank" rel="noreferrer noopener">
                  {m.url} ↗
                </a>
              </dd>
              <dt>Registered</dt>
              <dd>
                {fmtDateTime(m.registeredAt)} <span className="muted">· last seen {fmtAgo(m.lastSeenAt, now)}</span>
              </dd>
            </dl>
          ) : (
            <p className="muted">No manager has registered for this cluster.</p>
          )}
        </section>
        <section className="card" aria-label="Figures">
          <h2>Now</h2>
          <div className="figures small-figures">
            <Figure label="CPU (avg)" value={fmtPercent(cluster.stats?.cpuPercent)} />
            <Figure label="Memory" value={fmtMemory(cluster.stats?.memoryMb)} />
            <Figure label="Requests/s" value={fmtNumber(cluster.stats?.requestsPerSec)} />
            <Figure label="Errors/s" value={<span className={(cluster.stats?.errorsPerSec ?? 0) > 0 ? 'bad' : undefined}>{fmtNumber(cluster.stats?.errorsPerSec, 2)}</span>} />
          </div>
          <h3 className="sub">Artifacts across the cluster</h3>
          <ul className="artifacts">
            {[...byName].map(([n, versions]) => (
              <li key={n} className={versions.length > 1 ? 'skewed' : undefined}>
                <b>{n}</b>{' '}
                {versions.map((v) => (
                  <span key={v.version} className="chip">
                    {v.version} <span className="muted">× {v.workerCount}</span>
                  </span>
                ))}
                {versions.length > 1 && <span className="skew">⚠ version skew</span>}
              </li>
            ))}
            {byName.size === 0 && <li className="muted">No artifact reported.</li>}
          </ul>
        </section>
      </div>

      <StatsSection name={cluster.name} />

      <section className="card" aria-label="Workers">
        <div className="card-head">
          <h2>
            Workers <span className="count">{cluster.workers.totalCount}</span>
          </h2>
          <WorkerStrip workers={workers} />
          <span className="spacer" />
          <StripLegend />
        </div>
        <WorkerTable workers={cluster.workers.edges.map((e) => e.node)} now={now} />
      </section>

      <section className="card" aria-label="Manager operations">
        <h2>Manager operations</h2>
        {m ? <ManagerOperations clusterId={cluster.id} operations={m.operations as FragmentType<typeof ManagerOperationFragment>[]} canRun={operate} connected={m.connected} /> : <p className="muted">No manager.</p>}
      </section>

      <section className="card" aria-label="Commands">
        <div className="card-head">
          <h2>
            Commands <span className="count">{cluster.commands.totalCount}</span>
          </h2>
          <span className="spacer" />
          <Link to={`${paths.operations()}?cluster=${encodeURIComponent(cluster.id)}`}>All of this cluster's commands →</Link>
        </div>
        <CommandTable commands={commands} showCluster={false} empty="No command has run on this cluster yet." />
      </section>

      {dialog && (
        <RolloutDialog
          kind={dialog}
          cluster={{ id: cluster.id, name: cluster.name }}
          workers={workers}
          artifactName={cluster.artifacts[0]?.name}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}

function WorkerTable({ workers, now }: { workers: readonly FragmentType<typeof WorkerRowFragment>[]; now: number }) {
  return (
    <div className="table-wrap">
      <table className="grid workers">
        <thead>
          <tr>
            <th>Member</th>
            <th>Address</th>
            <th>State</th>
            <th>Uptime</th>
            <th>Artifacts</th>
            <th className="num">CPU</th>
            <th className="num">Memory</th>
            <th className="num">Req/s</th>
            <th className="num">Errors/s</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((wf) => {
            const w = readFragment(WorkerRowFragment, wf);
            return (
              <tr key={w.id} data-member={w.memberId} data-state={w.state}>
                <td className="strong mono">{w.memberId}</td>
                <td className="mono">
                  {w.host}
                  {w.port != null ? `:${w.port}` : ''}
                </td>
                <td>
                  <StateBadge state={w.state} worker />
                  {w.state !== 'RUNNING' && <div className="muted small">for {fmtDuration(now - Date.parse(w.stateChangedAt))}</div>}
                </td>
                <td>{w.state === 'RUNNING' && w.startedAt ? fmtDuration(now - Date.parse(w.startedAt)) : '–'}</td>
                <td className="small">{w.artifacts.map((a) => `${a.name} ${a.version}`).join(', ') || '–'}</td>
                <td className="num">{fmtPercent(w.stats?.cpuPercent)}</td>
                <td className="num">{fmtMemory(w.stats?.memoryMb)}</td>
                <td className="num">{fmtNumber(w.stats?.requestsPerSec)}</td>
                <td className={(w.stats?.errorsPerSec ?? 0) > 0 ? 'num bad' : 'num'}>{fmtNumber(w.stats?.errorsPerSec, 2)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const fmtCpu = (n: number) => `${n.toFixed(0)}%`;
const fmtMem = (n: number) => fmtMemory(n);
const fmtRate = (n: number) => fmtNumber(n, 1);

function StatsSection({ name }: { name: string }) {
  const [range, setRange] = useState(0);
  const r = RANGES[range]!;
  const [since, setSince] = useState(() => new Date(Date.now() - r.ms).toISOString());
  const { epoch } = useLink();
  const [result, refetch] = useQuery({ query: StatsHistoryQuery, variables: { name, since, step: r.step } });
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new epoch (a reconnection) is a reason to move the window
  useEffect(() => {
    setSince(new Date(Date.now() - r.ms).toISOString());
    const t = setInterval(() => setSince(new Date(Date.now() - r.ms).toISOString()), 30_000);
    return () => clearInterval(t);
  }, [r.ms, epoch]);
  useEffect(() => {
    if (epoch > 1) refetch({ requestPolicy: 'network-only' });
  }, [epoch, refetch]);
  const history = result.data?.cluster?.statsHistory ?? [];
  const series = useMemo(() => {
    const pick = (k: 'cpuPercent' | 'memoryMb' | 'requestsPerSec' | 'errorsPerSec'): Point[] => history.map((s) => ({ t: Date.parse(s.sampledAt), v: s[k] }));
    return { cpu: pick('cpuPercent'), mem: pick('memoryMb'), req: pick('requestsPerSec'), err: pick('errorsPerSec') };
  }, [history]);
  return (
    <section className="card" aria-label="Statistics">
      <div className="card-head">
        <h2>Statistics</h2>
        <div className="seg-buttons">
          {RANGES.map((x, i) => (
            <button type="button" key={x.label} className={i === range ? 'on' : ''} onClick={() => setRange(i)}>
              {x.label}
            </button>
          ))}
        </div>
        <span className="muted small">{history.length} point{history.length === 1 ? '' : 's'}</span>
      </div>
      <div className="plots">
        <Sparkplot from={Date.parse(since)} to={Date.parse(since) + r.ms} label="CPU (avg)" unit="" points={series.cpu} color="#2563eb" format={fmtCpu} />
        <Sparkplot from={Date.parse(since)} to={Date.parse(since) + r.ms} label="Memory" unit="" points={series.mem} color="#7c3aed" format={fmtMem} />
        <Sparkplot from={Date.parse(since)} to={Date.parse(since) + r.ms} label="Requests/s" unit="" points={series.req} color="#0f766e" format={fmtRate} />
        <Sparkplot from={Date.parse(since)} to={Date.parse(since) + r.ms} label="Errors/s" unit="" points={series.err} color="#dc2626" format={fmtRate} />
      </div>
    </section>
  );
}
