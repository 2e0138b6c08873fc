/** The parts of the command view that show what ran: batches with a chip per worker step, a patch's clusters, an operation's answer. */
import { ResultView } from './ManagerOperations';
import { Counts, Dialog, Link, ProgressBar, StateBadge } from './ui';
import type { CommandDetailFragment } from '../gql/graphql';
import { fmtDuration, fmtMs, fmtTime, shortId, TERMINAL } from '../lib/format';
import { planBatches } from '../lib/plan';
import { paths } from '../lib/router';

type Cmd = CommandDetailFragment;

/** The batches as they were handed to the manager, then the ones still to come (by batchSize). */
export function Batches({ cmd }: { cmd: Cmd }) {
  const byMember = new Map(cmd.steps.map((s) => [s.memberId, s]));
  const handed = new Set<string>();
  const ran = cmd.tasks
    .filter((t) => t.memberIds.length > 0)
    .map((t) => {
      for (const m of t.memberIds) handed.add(m);
      return { task: t, steps: t.memberIds.map((m) => byMember.get(m)).filter((s) => s !== undefined) };
    });
  const rest = cmd.steps.filter((s) => !handed.has(s.memberId));
  const pending = rest.filter((s) => s.state === 'PENDING');
  // The canary is the first batch; the rest go batchSize at a time.
  const canary = ran.length === 0 && cmd.strategy.canary != null ? cmd.strategy.canary : 0;
  const toCome = [...(canary > 0 && pending.length > 0 ? [pending.slice(0, canary)] : []), ...planBatches(pending.slice(canary), cmd.strategy.batchSize)];
  const settled = rest.filter((s) => s.state !== 'PENDING');
  return (
    <section className="card" aria-label="Batches">
      <h2>
        Batches <span className="muted small">{cmd.strategy.batchSize} worker{cmd.strategy.batchSize === 1 ? '' : 's'} at a time, in member order</span>
      </h2>
      <ol className="batches">
        {ran.map((b, i) => (
          <li key={b.task.id} className="batch" data-batch={i + 1}>
            <div className="batch-head">
              <span className="plan-n">{i + 1}</span>
              <span className="muted small">
                task {b.task.state.toLowerCase()} · {fmtTime(b.task.createdAt)}
                {b.task.deliveries > 1 && ` · delivered ${b.task.deliveries}×`}
                {b.task.message && ` · ${b.task.message}`}
              </span>
            </div>
            <StepChips steps={b.steps} />
          </li>
        ))}
        {toCome.map((b, i) => (
          <li key={b[0]!.memberId} className="batch pending" data-batch={ran.length + i + 1}>
            <div className="batch-head">
              <span className="plan-n">{ran.length + i + 1}</span>
              <span className="muted small">not started</span>
            </div>
            <StepChips steps={b} />
          </li>
        ))}
        {settled.length > 0 && (
          <li className="batch">
            <div className="batch-head">
              <span className="plan-n">–</span>
              <span className="muted small">never handed to the manager</span>
            </div>
            <StepChips steps={settled} />
          </li>
        )}
      </ol>
    </section>
  );
}

function StepChips({ steps }: { steps: Cmd['steps'] }) {
  return (
    <div className="steps">
      {steps.map((s) => (
        <div key={s.memberId} className={`step st-${s.state}`} data-member={s.memberId} data-state={s.state}>
          <div className="step-top">
            <StateBadge state={s.state} label="" />
            <span className="mono strong">{s.memberId}</span>
          </div>
          <div className="step-msg small">
            {s.message ?? (s.state === 'RUNNING' ? 'restarting…' : s.state === 'PENDING' ? 'waiting its turn' : s.state.toLowerCase())}
          </div>
          {s.startedAt && (
            <div className="muted tiny">
              {fmtTime(s.startedAt)}
              {s.finishedAt && ` → ${fmtTime(s.finishedAt)} (${fmtDuration(Date.parse(s.finishedAt) - Date.parse(s.startedAt))})`}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

export function PatchChildren({ cmd, now }: { cmd: Cmd; now: number }) {
  const groups = [
    { title: 'Rolling now', items: cmd.children.filter((c) => c.state === 'RUNNING' || c.state === 'PAUSED') },
    { title: 'Waiting their turn', items: cmd.children.filter((c) => c.state === 'PENDING') },
    { title: 'Done', items: cmd.children.filter((c) => TERMINAL.has(c.state)) },
  ];
  return (
    <section className="card" aria-label="Clusters">
      <h2>
        Clusters <span className="count">{cmd.children.length}</span>
      </h2>
      {groups
        .filter((g) => g.items.length > 0)
        .map((g) => (
          <div key={g.title} className="wave">
            <h3 className="sub">
              {g.title} <span className="count">{g.items.length}</span>
            </h3>
            <table className="grid">
              <tbody>
                {g.items.map((c) => (
                  <tr key={c.id} data-child={c.cluster?.name}>
                    <td className="strong">
                      <Link to={paths.command(c.id)}>{c.cluster?.name ?? shortId(c.id)}</Link>
                    </td>
                    <td>
                      <StateBadge state={c.state} />
                    </td>
                    <td className="w-progress">
                      <ProgressBar p={c.progress} compact />
                    </td>
                    <td>
                      <Counts p={c.progress} />
                    </td>
                    <td className="muted small">
                      {c.startedAt ? fmtDuration((c.finishedAt ? Date.parse(c.finishedAt) : now) - Date.parse(c.startedAt)) : ''} {c.message ?? ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      {cmd.children.length === 0 && <p className="muted">No cluster matched.</p>}
    </section>
  );
}

/** The strategy's canary, soak and progress deadline, when set (" · canary 1, promoted by itself after 5 min"). */
export function strategyExtras(st: Cmd['strategy']): string {
  const out: string[] = [];
  if (st.canary != null) out.push(`canary ${st.canary}${st.autoPromoteAfterMs != null ? `, promoted by itself after ${fmtMs(st.autoPromoteAfterMs)} healthy` : ''}`);
  if (st.minHealthyMs > 0) out.push(`must stay up ${fmtMs(st.minHealthyMs)}`);
  if (st.progressDeadlineMs != null) out.push(`progress deadline ${fmtMs(st.progressDeadlineMs)}`);
  return out.map((x) => ` · ${x}`).join('');
}

/** Why a command held for its canary waits (hold CANARY): what ran, and how it goes on. */
export function canaryWaiting(cmd: Cmd): { title: string; detail: string; tone: 'info' } {
  const canary = cmd.steps.filter((s) => s.state !== 'PENDING' && s.state !== 'SKIPPED').map((s) => s.memberId);
  const held = cmd.children.filter((c) => c.state === 'PAUSED').map((c) => c.cluster?.name ?? shortId(c.id));
  const what = cmd.kind === 'PATCH' ? `The canary of ${held.join(', ') || 'a cluster'} succeeded` : `The canary (${canary.join(', ')}) succeeded`;
  const auto = cmd.strategy.autoPromoteAfterMs != null ? `, or by itself once it has been healthy ${fmtMs(cmd.strategy.autoPromoteAfterMs)}` : '';
  return {
    title: 'Waiting for the canary to be promoted.',
    detail: `${what}${cmd.hold ? ` (held since ${fmtTime(cmd.hold.since)})` : ''}; no other worker is touched until it is promoted${auto}. Promote to continue, or cancel.`,
    tone: 'info',
  };
}

export function PromoteDialog({ cmd, onClose, onPromote }: { cmd: Cmd; onClose: () => void; onPromote: () => void }) {
  return (
    <Dialog title="Promote the canary?" onClose={onClose}>
      <div className="dialog-body">
        <p>
          {cmd.kind === 'PATCH' ? (
            <>Every cluster of this patch held for its canary continues with its other workers.</>
          ) : (
            <>
              The rollout continues with the {cmd.progress.pending} worker{cmd.progress.pending === 1 ? '' : 's'} not started, {cmd.strategy.batchSize} at a time.
            </>
          )}{' '}
          Your name is recorded in its history.
        </p>
        <footer className="dialog-foot">
          <span className="spacer" />
          <button type="button" onClick={onClose}>
            Keep it held
          </button>
          <button type="button" className="primary" onClick={onPromote}>
            Promote the canary
          </button>
        </footer>
      </div>
    </Dialog>
  );
}

export function OperationDetail({ cmd }: { cmd: Cmd }) {
  return (
    <div className="cols-2">
      <section className="card">
        <h2>Arguments</h2>
        <pre className="json">{JSON.stringify(cmd.arguments ?? {}, null, 2)}</pre>
      </section>
      <section className="card">
        <h2>Answer</h2>
        {cmd.result == null ? <p className="muted">{TERMINAL.has(cmd.state) ? 'No answer.' : 'Waiting for the manager…'}</p> : <ResultView value={cmd.result} />}
      </section>
    </div>
  );
}
