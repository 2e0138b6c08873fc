/** Commands as a table (a cluster's, or every one in the operations list). */
import { type FragmentType, graphql, readFragment } from '../gql';
import { fmtAgo, fmtDuration, shortId } from '../lib/format';
import { paths } from '../lib/router';
import { useNow } from '../lib/session';
import { Counts, Empty, Link, ProgressBar, StateBadge } from './ui';

export const CommandRowFragment = graphql(`
  fragment CommandRow on Command {
    id
    kind
    state
    message
    operation
    requestedBy
    createdAt
    startedAt
    finishedAt
    cluster { id name }
    artifact { name version }
    progress { total pending running succeeded failed skipped }
  }
`);

export function CommandTable({ commands, showCluster = true, empty }: { commands: readonly FragmentType<typeof CommandRowFragment>[]; showCluster?: boolean; empty: string }) {
  const now = useNow(5000);
  const rows = commands.map((c) => readFragment(CommandRowFragment, c));
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap">
      <table className="grid commands">
        <thead>
          <tr>
            <th>Command</th>
            {showCluster && <th>Cluster</th>}
            <th>State</th>
            <th className="w-progress">Progress</th>
            <th>Requested</th>
            <th>Took</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} data-command={c.id} data-state={c.state}>
              <td>
                <Link to={paths.command(c.id)} className="strong">
                  {label(c)}
                </Link>
                <div className="muted small">#{shortId(c.id)}</div>
              </td>
              {showCluster && <td>{c.cluster ? <Link to={paths.cluster(c.cluster.name)}>{c.cluster.name}</Link> : <span className="muted">system</span>}</td>}
              <td>
                <StateBadge state={c.state} />
                {c.message && c.state !== 'SUCCEEDED' && <div className="muted small clamp">{c.message}</div>}
              </td>
              <td>
                {c.kind === 'OPERATION' ? (
                  <span className="muted small">–</span>
                ) : (
                  <>
                    <ProgressBar p={c.progress} compact />
                    <Counts p={c.progress} />
                  </>
                )}
              </td>
              <td>
                <div>{fmtAgo(c.createdAt, now)}</div>
                <div className="muted small">by {c.requestedBy}</div>
              </td>
              <td className="muted">{c.startedAt ? fmtDuration((c.finishedAt ? Date.parse(c.finishedAt) : now) - Date.parse(c.startedAt)) : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function label(c: { kind: string; operation?: string | null; artifact?: { name: string; version: string } | null; rollbackOf?: { id: string } | null }): string {
  // A rollback's workers may go back to different versions: then it names none.
  if (c.rollbackOf) return `Rollback${c.artifact ? ` to ${c.artifact.name} ${c.artifact.version}` : ''}${c.kind === 'PATCH' ? ' (system patch)' : ''}`;
  switch (c.kind) {
    case 'RESTART':
      return 'Rolling restart';
    case 'DEPLOY':
      return `Deploy ${c.artifact ? `${c.artifact.name} ${c.artifact.version}` : ''}`;
    case 'PATCH':
      return `System patch ${c.artifact ? `${c.artifact.name} ${c.artifact.version}` : ''}`;
    case 'OPERATION':
      return `Operation ${c.operation ?? ''}`;
    default:
      return c.kind;
  }
}
