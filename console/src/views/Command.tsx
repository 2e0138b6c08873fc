/** A command, live: progress, batches with one chip per worker step, why it waits, its history; pause, resume, promote, cancel. */
import { useCallback, useState } from 'react';
import { useMutation, useSubscription } from 'urql';
import { label } from '../components/CommandTable';
import { Counts, Dialog, ErrorNote, Link, Loading, ProgressBar, StateBadge } from '../components/ui';
import { graphql, readFragment } from '../gql';
import type { CommandDetailFragment } from '../gql/graphql';
import { fmtDateTime, fmtDuration, fmtMs, fmtTime, shortId, TERMINAL } from '../lib/format';
import { paths } from '../lib/router';
import { canOperate, useLiveQuery, useNow, useSession, useTitle } from '../lib/session';
import { Batches, canaryWaiting, OperationDetail, PatchChildren, PromoteDialog, strategyExtras } from '../components/CommandSections';
import { canRollback, RollbackButton, RollbackLinks } from '../components/RollbackAction';

const CommandDetail = graphql(`
  fragment CommandDetail on Command {
    id
    kind
    state
    message
    pauseRequested
    cancelRequested
    hold { reason since by message }
    requestedBy
    createdAt
    startedAt
    finishedAt
    operation
    arguments
    result
    cluster { id name manager { id connected } }
    parent { id kind artifact { name version } }
    rollbackOf { id state }
    rolledBackBy { id state }
    strategy { batchSize healthTimeoutMs pauseBetweenBatchesMs maxFailures onFailure canary autoPromoteAfterMs minHealthyMs progressDeadlineMs }
    artifact { name version url sha256 }
    progress { total pending running succeeded failed skipped }
    steps { index memberId state message startedAt finishedAt }
    tasks { id action memberIds state message deliveries createdAt updatedAt }
    history { at state message }
    children {
      id
      state
      message
      startedAt
      finishedAt
      cluster { id name }
      progress { total pending running succeeded failed skipped }
    }
  }
`);

const CommandQuery = graphql(`
  query CommandView($id: ID!) {
    command(id: $id) { ...CommandDetail }
  }
`);

const CommandSub = graphql(`
  subscription CommandLive($id: ID!) {
    commandUpdated(id: $id) { ...CommandDetail }
  }
`);

const PauseMutation = graphql(`
  mutation PauseCommand($id: ID!) {
    pauseCommand(id: $id) { __typename ... on Error { code message } }
  }
`);
const ResumeMutation = graphql(`
  mutation ResumeCommand($id: ID!) {
    resumeCommand(id: $id) { __typename ... on Error { code message } }
  }
`);
const PromoteMutation = graphql(`
  mutation PromoteCommand($id: ID!) {
    promoteCommand(id: $id) { __typename ... on Error { code message } }
  }
`);
const CancelMutation = graphql(`
  mutation CancelCommand($id: ID!) {
    cancelCommand(id: $id) { __typename ... on Error { code message } }
  }
`);

type Cmd = CommandDetailFragment;

export function CommandView({ id }: { id: string }) {
  const [result, refresh] = useLiveQuery({ query: CommandQuery, variables: { id } });
  const [live, setLive] = useState<Cmd | null>(null);
  useSubscription({ query: CommandSub, variables: { id } }, (_, ev) => {
    setLive(readFragment(CommandDetail, ev.commandUpdated));
    return ev;
  });
  const fetched = result.data?.command ? readFragment(CommandDetail, result.data.command) : null;
  // The newest of what was read and what was pushed (a re-read after a reconnect wins over an old push).
  const cmd = pickNewest(fetched ?? null, live);
  if (result.error && !cmd) return <ErrorNote>Could not read the command: {result.error.message}</ErrorNote>;
  if (!cmd) return result.data ? <NotFoundCommand /> : <Loading what="the command" />;
  return <CommandBody cmd={cmd} onChanged={refresh} />;
}

function pickNewest(a: Cmd | null, b: Cmd | null): Cmd | null {
  if (!a || !b) return a ?? b;
  return score(b) >= score(a) ? b : a;
}
/** Commands only move forward: more history, more steps finished, a terminal state. */
function score(c: Cmd): number {
  const p = c.progress;
  return c.history.length * 1e6 + (p.succeeded + p.failed + p.skipped) * 1e3 + p.running * 10 + (TERMINAL.has(c.state) ? 5 : 0) + c.tasks.length;
}

function NotFoundCommand() {
  return (
    <div className="page">
      <h1>No such command</h1>
      <p>
        Its cluster may have been removed. <Link to={paths.operations()}>All operations</Link>
      </p>
    </div>
  );
}

function CommandBody({ cmd, onChanged }: { cmd: Cmd; onChanged: () => void }) {
  const { role } = useSession();
  const now = useNow(1000);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [confirmPromote, setConfirmPromote] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pauseState, pause] = useMutation(PauseMutation);
  const [resumeState, resume] = useMutation(ResumeMutation);
  const [promoteState, promote] = useMutation(PromoteMutation);
  const [cancelState, cancel] = useMutation(CancelMutation);
  const busy = pauseState.fetching || resumeState.fetching || promoteState.fetching || cancelState.fetching;
  const canary = cmd.hold?.reason === 'CANARY';

  const act = useCallback(
    async (run: (v: { id: string }) => Promise<{ error?: { message: string; graphQLErrors: { message: string }[] }; data?: Record<string, { __typename: string; code?: string; message?: string }> }>) => {
      setError(null);
      const r = await run({ id: cmd.id });
      if (r.error) return setError(r.error.graphQLErrors[0]?.message ?? r.error.message);
      const res = r.data && Object.values(r.data)[0];
      if (res && res.__typename !== 'CommandPayload') setError(`${res.code}: ${res.message}`);
      onChanged();
    },
    [cmd.id, onChanged],
  );

  const terminal = TERMINAL.has(cmd.state);
  const done = cmd.progress.succeeded + cmd.progress.failed + cmd.progress.skipped;
  useTitle(`${cmd.state.toLowerCase()} ${cmd.kind === 'OPERATION' ? '' : `${done}/${cmd.progress.total} `}· ${label(cmd)}${cmd.cluster ? ` on ${cmd.cluster.name}` : ''}`);
  const operate = canOperate(role) && !terminal && cmd.kind !== 'OPERATION';
  const waiting = whyWaiting(cmd);
  const took = cmd.startedAt ? (cmd.finishedAt ? Date.parse(cmd.finishedAt) : now) - Date.parse(cmd.startedAt) : null;

  return (
    <div className="page command" data-command-state={cmd.state}>
      <nav className="crumbs">
        {cmd.cluster ? (
          <>
            <Link to={paths.fleet()}>Fleet</Link> / <Link to={paths.cluster(cmd.cluster.name)}>{cmd.cluster.name}</Link> /{' '}
          </>
        ) : (
          <>
            <Link to={paths.operations()}>Operations</Link> /{' '}
          </>
        )}
        {cmd.parent && (
          <>
            <Link to={paths.command(cmd.parent.id)}>{label(cmd.parent)}</Link> /{' '}
          </>
        )}
        <span>#{shortId(cmd.id)}</span>
      </nav>
      <header className="page-head">
        <div>
          <h1>
            {label(cmd)}
            {cmd.cluster && <span className="muted"> on {cmd.cluster.name}</span>}
          </h1>
          <div className="head-meta">
            <span data-testid="command-state">
              <StateBadge state={cmd.state} />
            </span>
            <span className="muted">
              requested by <b>{cmd.requestedBy}</b> at {fmtDateTime(cmd.createdAt)}
              {took != null && ` · ${terminal ? 'took' : 'started'} ${fmtDuration(took)}${terminal ? '' : ' ago'}`}
            </span>
            <RollbackLinks cmd={cmd} />
          </div>
        </div>
        {canOperate(role) && canRollback(cmd) && (
          <div className="actions">
            <RollbackButton cmd={cmd} />
          </div>
        )}
        {operate && (
          <div className="actions">
            {canary && (
              <button type="button" className="primary" disabled={busy} onClick={() => setConfirmPromote(true)}>
                ▶ Promote
              </button>
            )}
            {cmd.state === 'PAUSED' ? (
              !canary && (
              <button type="button" className="primary" disabled={busy} onClick={() => void act(resume)}>
                ▶ Resume
              </button>
              )
            ) : (
              <button type="button" disabled={busy || cmd.pauseRequested} onClick={() => void act(pause)}>
                ❚❚ {cmd.pauseRequested ? 'Pausing…' : 'Pause'}
              </button>
            )}
            <button type="button" className="danger" disabled={busy || cmd.cancelRequested} onClick={() => setConfirmCancel(true)}>
              ✕ {cmd.cancelRequested ? 'Cancelling…' : 'Cancel'}
            </button>
          </div>
        )}
      </header>

      {error && <ErrorNote>{error}</ErrorNote>}
      {waiting && (
        <div className={`note ${waiting.tone}`} role="status" data-testid="waiting">
          <b>{waiting.title}</b> {waiting.detail}
        </div>
      )}
      {!waiting && cmd.message && <div className={`note ${cmd.state === 'FAILED' ? 'error' : 'info'}`}>{cmd.message}</div>}

      {cmd.kind !== 'OPERATION' && (
        <section className="card progress-card" aria-label="Progress">
          <div className="progress-line">
            <ProgressBar p={cmd.progress} />
            <span className="pct">{cmd.progress.total ? Math.round((100 * (cmd.progress.succeeded + cmd.progress.failed + cmd.progress.skipped)) / cmd.progress.total) : 0}%</span>
          </div>
          <div className="tallies">
            <Tally n={cmd.progress.succeeded} state="SUCCEEDED" />
            <Tally n={cmd.progress.running} state="RUNNING" />
            <Tally n={cmd.progress.pending} state="PENDING" />
            <Tally n={cmd.progress.failed} state="FAILED" />
            <Tally n={cmd.progress.skipped} state="SKIPPED" />
            <span className="spacer" />
            <Counts p={cmd.progress} />
          </div>
        </section>
      )}

      {cmd.kind === 'PATCH' ? <PatchChildren cmd={cmd} now={now} /> : cmd.kind === 'OPERATION' ? <OperationDetail cmd={cmd} /> : <Batches cmd={cmd} />}

      <div className="cols-2">
        <section className="card" aria-label="History">
          <h2>History</h2>
          <ol className="history">
            {cmd.history.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: history only grows
              <li key={i}>
                <span className="mono muted">{fmtTime(h.at)}</span>
                <StateBadge state={h.state} />
                <span>{h.message}</span>
              </li>
            ))}
          </ol>
        </section>
        <section className="card" aria-label="Details">
          <h2>Details</h2>
          <dl className="kv">
            <dt>Requested by</dt>
            <dd>{cmd.requestedBy}</dd>
            <dt>Created</dt>
            <dd>{fmtDateTime(cmd.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{fmtDateTime(cmd.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{fmtDateTime(cmd.finishedAt)}</dd>
            {cmd.kind !== 'OPERATION' && (
              <>
                <dt>Strategy</dt>
                <dd>
                  {cmd.strategy.batchSize} at a time · health timeout {fmtMs(cmd.strategy.healthTimeoutMs)}
                  {cmd.strategy.pauseBetweenBatchesMs > 0 && ` · pause ${fmtMs(cmd.strategy.pauseBetweenBatchesMs)}`} · {cmd.strategy.maxFailures} failure
                  {cmd.strategy.maxFailures === 1 ? '' : 's'} tolerated, then {cmd.strategy.onFailure.toLowerCase()}
                  {strategyExtras(cmd.strategy)}
                </dd>
              </>
            )}
            {cmd.artifact && (
              <>
                <dt>Artifact</dt>
                <dd>
                  <b>
                    {cmd.artifact.name} {cmd.artifact.version}
                  </b>
                  <div className="muted small mono ellipsis">{cmd.artifact.url}</div>
                  <div className="muted small mono ellipsis">sha256 {cmd.artifact.sha256}</div>
                </dd>
              </>
            )}
            <dt>Id</dt>
            <dd className="mono small">{cmd.id}</dd>
          </dl>
        </section>
      </div>

      {confirmPromote && (
        <PromoteDialog
          cmd={cmd}
          onClose={() => setConfirmPromote(false)}
          onPromote={() => {
            setConfirmPromote(false);
            void act(promote);
          }}
        />
      )}
      {confirmCancel && (
        <Dialog title="Cancel this command?" onClose={() => setConfirmCancel(false)}>
          <div className="dialog-body">
            <p>
              The batch in flight finishes; then the command ends <b>cancelled</b> and the {cmd.progress.pending} worker{cmd.progress.pending === 1 ? '' : 's'} not started{' '}
              {cmd.progress.pending === 1 ? 'is' : 'are'} skipped. This cannot be undone.
            </p>
            <footer className="dialog-foot">
              <span className="spacer" />
              <button type="button" onClick={() => setConfirmCancel(false)}>
                Keep it running
              </button>
              <button
                type="button"
                className="danger solid"
                onClick={() => {
                  setConfirmCancel(false);
                  void act(cancel);
                }}
              >
                Cancel the command
              </button>
            </footer>
          </div>
        </Dialog>
      )}
    </div>
  );
}

function Tally({ n, state }: { n: number; state: string }) {
  return (
    <span className={`tally st-${state}`} data-tally={state}>
      <b>{n}</b> {state.toLowerCase()}
    </span>
  );
}

function whyWaiting(cmd: Cmd): { title: string; detail: string; tone: 'warn' | 'error' | 'info' } | null {
  if (TERMINAL.has(cmd.state)) return null;
  if (cmd.cancelRequested) return { title: 'Cancelling:', detail: 'the batch in flight finishes, then the rest is skipped.', tone: 'warn' };
  if (cmd.hold?.reason === 'CANARY') return canaryWaiting(cmd);
  if (cmd.state === 'PAUSED') {
    const budget = cmd.hold ? cmd.hold.reason === 'FAILURE_BUDGET' : cmd.progress.failed > cmd.strategy.maxFailures;
    const asked = [...cmd.history].reverse().find((h) => /^pause requested by /.test(h.message));
    const who = asked ? `by ${asked.message.replace(/^pause requested by /, '')} at ${fmtTime(asked.at)}` : '';
    const why = cmd.message && cmd.message !== 'paused' ? `${cmd.message.replace(/^paused:?\s*/, '')}.` : '';
    return {
      title: budget ? 'Paused: the failure budget is spent.' : `Paused${!budget && who ? ` ${who}` : ''}.`,
      detail: `${why}${budget ? ` ${cmd.progress.failed} failed, ${cmd.strategy.maxFailures} tolerated.` : ''} The batch in flight finished; nothing else is touched. Resume to continue, or cancel.`.trim(),
      tone: budget ? 'error' : 'warn',
    };
  }
  if (cmd.pauseRequested) return { title: 'Pausing:', detail: 'the batch in flight finishes, then the rollout holds.', tone: 'warn' };
  const managerDown = cmd.cluster?.manager && !cmd.cluster.manager.connected;
  if (managerDown || /manager unreachable/i.test(cmd.message ?? '')) {
    const since = [...cmd.history].reverse().find((h) => /manager unreachable/i.test(h.message));
    return {
      title: 'Waiting: the manager is unreachable.',
      detail: `${since ? `Since ${fmtTime(since.at)}. ` : ''}The rollout holds (nothing counts as failed) and continues when it is back.`,
      tone: 'warn',
    };
  }
  if (cmd.message && /wait|hold|unreachable/i.test(cmd.message)) return { title: 'Waiting:', detail: cmd.message, tone: 'warn' };
  return null;
}
