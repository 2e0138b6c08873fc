/** Membership, topology and command events as they arrive, filterable by cluster and type. */
import { useMemo, useRef, useState } from 'react';
import { useSubscription } from 'urql';
import { Empty, Link, StateBadge } from '../components/ui';
import { graphql } from '../gql';
import { fmtTime } from '../lib/format';
import { paths, useSearchParams } from '../lib/router';
import { useLink, useTitle } from '../lib/session';

const MembershipSub = graphql(`
  subscription EventsMembership {
    membershipChanged { change at cluster { id name } worker { memberId state } }
  }
`);
const TopologySub = graphql(`
  subscription EventsTopology {
    topologyChanged { change at cluster { id name health } }
  }
`);
const CommandSub = graphql(`
  subscription EventsCommands {
    commandUpdated { id kind state message cluster { id name } progress { total succeeded failed skipped running pending } }
  }
`);

interface Ev {
  seq: number;
  at: string;
  type: 'membership' | 'topology' | 'command';
  cluster: string | null;
  state: string;
  text: string;
  link?: string;
}

const MAX = 1000;

export function EventsView() {
  useTitle('Live events');
  const [search, setSearch] = useSearchParams();
  const type = search.get('type') ?? '';
  const cluster = search.get('cluster') ?? '';
  const [events, setEvents] = useState<Ev[]>([]);
  const seq = useRef(0);
  const { epoch } = useLink();
  const push = (e: Omit<Ev, 'seq'>) => setEvents((list) => [{ ...e, seq: ++seq.current }, ...list].slice(0, MAX));

  useSubscription({ query: MembershipSub }, (_, ev) => {
    const m = ev.membershipChanged;
    push({ at: m.at, type: 'membership', cluster: m.cluster.name, state: m.worker.state, text: `${m.worker.memberId} ${m.change.toLowerCase().replace('_', ' ')} → ${m.worker.state.toLowerCase()}` });
    return ev;
  });
  useSubscription({ query: TopologySub }, (_, ev) => {
    const t = ev.topologyChanged;
    push({ at: t.at, type: 'topology', cluster: t.cluster.name, state: t.cluster.health, text: t.change.toLowerCase().replace('_', ' ') });
    return ev;
  });
  useSubscription({ query: CommandSub }, (_, ev) => {
    const c = ev.commandUpdated;
    const p = c.progress;
    push({
      at: new Date().toISOString(),
      type: 'command',
      cluster: c.cluster?.name ?? null,
      state: c.state,
      text: `${c.kind.toLowerCase()} ${c.state.toLowerCase()} · ${p.succeeded + p.failed + p.skipped}/${p.total}${c.message ? ` · ${c.message}` : ''}`,
      link: paths.command(c.id),
    });
    return ev;
  });

  const clusters = useMemo(() => [...new Set(events.map((e) => e.cluster).filter((c): c is string => !!c))].sort(), [events]);
  const shown = events.filter((e) => (!type || e.type === type) && (!cluster || e.cluster === cluster));
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Live events</h1>
          <div className="muted">As they arrive, newest first (the last {MAX}). Connected {epoch > 1 ? `again (${epoch - 1} reconnects)` : 'since this page opened'}.</div>
        </div>
      </header>
      <section className="toolbar">
        <div className="seg-buttons">
          {['', 'membership', 'topology', 'command'].map((t) => (
            <button type="button" key={t} className={type === t ? 'on' : ''} onClick={() => setSearch({ type: t || null })}>
              {t || 'all'}
            </button>
          ))}
        </div>
        <select aria-label="Cluster" value={cluster} onChange={(e) => setSearch({ cluster: e.target.value })}>
          <option value="">Any cluster</option>
          {clusters.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <span className="muted">{shown.length} events</span>
      </section>
      {shown.length === 0 ? (
        <Empty>Nothing yet: events show here as they happen.</Empty>
      ) : (
        <section className="card flush">
          <table className="grid events">
            <tbody>
              {shown.slice(0, 300).map((e) => (
                <tr key={e.seq} data-type={e.type}>
                  <td className="mono muted">{fmtTime(e.at)}</td>
                  <td>
                    <span className={`tag tag-${e.type}`}>{e.type}</span>
                  </td>
                  <td className="strong">{e.cluster ? <Link to={paths.cluster(e.cluster)}>{e.cluster}</Link> : <span className="muted">system</span>}</td>
                  <td>
                    <StateBadge state={e.state} worker={e.type === 'membership'} />
                  </td>
                  <td>{e.link ? <Link to={e.link}>{e.text}</Link> : e.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
