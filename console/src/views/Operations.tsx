/** Every command, newest first, filterable by state, kind and cluster; live. */
import { useCallback, useMemo } from 'react';
import { useQuery, useSubscription } from 'urql';
import { CommandTable } from '../components/CommandTable';
import { ErrorNote, Loading } from '../components/ui';
import { graphql } from '../gql';
import type { CommandKind, CommandState } from '../gql/graphql';
import { naturalCompare } from '../lib/format';
import { useSearchParams } from '../lib/router';
import { useLiveQuery, useTitle } from '../lib/session';

const OperationsQuery = graphql(`
  query Operations($first: Int!, $state: CommandState, $kind: CommandKind, $clusterId: ID) {
    commands(first: $first, state: $state, kind: $kind, clusterId: $clusterId) {
      totalCount
      edges { node { ...CommandRow } }
    }
  }
`);

const ClusterNamesQuery = graphql(`
  query ClusterNames {
    clusters(first: 500) { edges { node { id name } } }
  }
`);

const AnyCommandSub = graphql(`
  subscription OperationsLive {
    commandUpdated { id state }
  }
`);

const STATES = ['PENDING', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
const KINDS = ['RESTART', 'DEPLOY', 'PATCH', 'OPERATION'] as const;

export function OperationsView() {
  useTitle('Operations');
  const [search, setSearch] = useSearchParams();
  const state = (search.get('state') || null) as CommandState | null;
  const kind = (search.get('kind') || null) as CommandKind | null;
  const clusterId = search.get('cluster') || null;
  const first = Number(search.get('n') ?? 50) || 50;
  const [result, refresh] = useLiveQuery({ query: OperationsQuery, variables: { first, state, kind, clusterId } }, 500);
  const [names] = useQuery({ query: ClusterNamesQuery });
  const onEvent = useCallback(() => refresh(), [refresh]);
  useSubscription({ query: AnyCommandSub }, onEvent);
  const clusters = useMemo(() => [...(names.data?.clusters.edges ?? [])].map((e) => e.node).sort((a, b) => naturalCompare(a.name, b.name)), [names.data]);
  const c = result.data?.commands;
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Operations</h1>
          <div className="muted">Every command the OC has run or is running, newest first. Live.</div>
        </div>
      </header>
      <section className="toolbar">
        <select aria-label="State" value={state ?? ''} onChange={(e) => setSearch({ state: e.target.value })}>
          <option value="">Any state</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s.toLowerCase()}
            </option>
          ))}
        </select>
        <select aria-label="Kind" value={kind ?? ''} onChange={(e) => setSearch({ kind: e.target.value })}>
          <option value="">Any kind</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k.toLowerCase()}
            </option>
          ))}
        </select>
        <select aria-label="Cluster" value={clusterId ?? ''} onChange={(e) => setSearch({ cluster: e.target.value })}>
          <option value="">Any cluster</option>
          {clusters.map((cl) => (
            <option key={cl.id} value={cl.id}>
              {cl.name}
            </option>
          ))}
        </select>
        <span className="spacer" />
        {c && (
          <span className="muted">
            {Math.min(first, c.edges.length)} of {c.totalCount}
          </span>
        )}
      </section>
      {result.error && <ErrorNote>{result.error.message}</ErrorNote>}
      {!c ? (
        <Loading what="operations" />
      ) : (
        <section className="card flush">
          <CommandTable commands={c.edges.map((e) => e.node)} empty="No command matches." />
        </section>
      )}
      {c && c.totalCount > first && (
        <div className="list-foot">
          <button type="button" onClick={() => setSearch({ n: String(first + 50) })}>
            Show 50 more
          </button>
        </div>
      )}
    </div>
  );
}
