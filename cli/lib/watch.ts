/**
 * `--watch`: follow a command until it ends, like `kubectl rollout status`. Updates come from the
 * `commandUpdated` subscription; at each (re)connection, and every 10 s besides, `command(id)`
 * is read again so nothing missed while the connection was down goes unseen. The connection
 * comes back by itself (backoff up to 5 s) when it drops, e.g. while the OC restarts.
 *
 * Exit codes: 0 SUCCEEDED, 1 FAILED, 2 CANCELLED, 3 PAUSED by its failure budget. A pause asked
 * for by an operator is waited out (until resume or cancel), and so is a canary waiting to be
 * promoted (until `oc promote`, its automatic promotion, or cancel).
 */
import { CommandQuery, CommandUpdatedSubscription } from '../documents.js';
import type { CommandFieldsFragment } from '../gql/graphql.js';
import { type Api, live, shortId } from './api.js';
import { CliError, EXIT } from './errors.js';
import { duration, json, type OutputFormat, paint, state, stripAnsi, useColor, visibleLength } from './format.js';

export type Command = CommandFieldsFragment;

type Counts = Command['progress'];

/** A PATCH parent's figures are its children's. */
export function counts(c: Command): Counts {
  if (c.steps.length > 0 || c.children.length === 0) return c.progress;
  const sum: Counts = { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 };
  for (const ch of c.children) for (const k of Object.keys(sum) as (keyof Counts)[]) sum[k] += ch.progress[k];
  return sum;
}

/** Paused because more steps failed than `maxFailures` allows (not by an operator). */
export function pausedByBudget(c: Command): boolean {
  if (c.state !== 'PAUSED') return false;
  if (c.hold) return c.hold.reason === 'FAILURE_BUDGET';
  if (counts(c).failed > c.strategy.maxFailures) return true;
  return c.children.some((ch) => ch.state === 'PAUSED' && ch.progress.failed > c.strategy.maxFailures);
}

export function exitCodeOf(c: Command): number | null {
  switch (c.state) {
    case 'SUCCEEDED':
      return EXIT.OK;
    case 'FAILED':
      return EXIT.ERROR;
    case 'CANCELLED':
      return EXIT.CANCELLED;
    case 'PAUSED':
      return pausedByBudget(c) ? EXIT.PAUSED : null;
    default:
      return null;
  }
}

export function describeCommand(c: Command): string {
  const what = c.kind === 'RESTART' ? 'restart' : c.kind === 'DEPLOY' ? 'deploy' : c.kind === 'PATCH' ? 'patch' : 'operation';
  const target = c.cluster?.name ?? (c.kind === 'PATCH' ? `${c.children.length} cluster${c.children.length === 1 ? '' : 's'}` : '-');
  if (c.kind === 'OPERATION') return `${c.operation ?? 'operation'} on ${target}`;
  const artifact = c.artifact ? ` ${c.artifact.name}@${c.artifact.version}` : '';
  // A rollback's workers may go back to different versions: then it names none.
  if (c.rollbackOf) return `rollback of ${shortId(c.rollbackOf.id)} on ${target}${c.artifact ? ` (back to${artifact})` : ''}`;
  return `${what}${artifact} of ${target}`;
}

/** The batch (0-based) of the step at `index` when every worker stays: the canary first, then batchSize at a time. */
function batchOf(st: Command['strategy'], index: number): number {
  const size = Math.max(1, st.batchSize);
  if (st.canary == null) return Math.floor(index / size);
  return index < st.canary ? 0 : 1 + Math.floor((index - st.canary) / size);
}
const batchCount = (st: Command['strategy'], steps: number) => (steps === 0 ? 0 : batchOf(st, steps - 1) + 1);

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** What a watch prints: permanent lines for every change, and on a terminal one live bar redrawn under them. */
class View {
  private readonly tty: boolean;
  private readonly color: boolean;
  private readonly seen = new Set<string>();
  private lastState = '';
  private lastMessage: string | null = null;
  private current: Command | null = null;
  private barShown = false;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {
    this.tty = Boolean(out.isTTY) && !quiet;
    this.color = useColor(out);
    if (this.tty) this.timer = setInterval(() => this.drawBar(), 125);
  }

  private write(line: string) {
    if (this.quiet) return;
    this.clearBar();
    this.out.write(`${line}\n`);
    this.drawBar();
  }

  note(text: string) {
    this.write(paint(`  ${text}`, 'gray', this.color));
  }

  private once(key: string, line: string) {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.write(line);
  }

  update(c: Command) {
    const first = this.current === null;
    this.current = c;
    const s = (w: string) => state(w, { command: true, on: this.color });
    if (first) {
      const st = c.strategy;
      const rules = `${st.batchSize} at a time, health timeout ${duration(st.healthTimeoutMs)}, ${st.maxFailures} failure${st.maxFailures === 1 ? '' : 's'} allowed then ${st.onFailure.toLowerCase()}`;
      const plan =
        c.kind === 'PATCH'
          ? `${c.children.map((ch) => ch.cluster?.name ?? ch.id).join(', ') || 'no cluster'}; in each cluster ${rules}`
          : `${c.progress.total} worker${c.progress.total === 1 ? '' : 's'}, ${rules}`;
      this.write(`${paint(describeCommand(c), 'bold', this.color)}: ${plan}`);
      this.write(paint(`  command ${shortId(c.id)}`, 'gray', this.color));
    }
    // Batches started and steps finished, in the order they happened.
    const batches = batchCount(c.strategy, c.steps.length);
    const happened: { key: string; at: number; order: number; line: string }[] = [];
    const startedBatches = new Map<number, { at: number; members: string[] }>();
    for (const step of c.steps) {
      if (step.state === 'PENDING' || step.state === 'SKIPPED') continue;
      const b = batchOf(c.strategy, step.index);
      const at = step.startedAt ? Date.parse(step.startedAt) : Date.now();
      const entry = startedBatches.get(b) ?? { at, members: [] };
      entry.at = Math.min(entry.at, at);
      entry.members.push(step.memberId);
      startedBatches.set(b, entry);
      const took = step.startedAt && step.finishedAt ? `  ${paint(duration(Date.parse(step.finishedAt) - Date.parse(step.startedAt)), 'gray', this.color)}` : '';
      const done = step.finishedAt ? Date.parse(step.finishedAt) : Date.now();
      if (step.state === 'SUCCEEDED') happened.push({ key: `step:${step.index}:done`, at: done, order: step.index, line: `  ${paint('✓', 'green', this.color)} ${step.memberId}${took}` });
      if (step.state === 'FAILED')
        happened.push({ key: `step:${step.index}:done`, at: done, order: step.index, line: `  ${paint('✗', 'red', this.color)} ${step.memberId}  ${s('FAILED')}${step.message ? `: ${step.message}` : ''}${took}` });
    }
    for (const [b, { at, members }] of startedBatches) {
      // A batch starts once the one before it has finished, whatever the clocks say.
      const first = c.steps.find((x) => batchOf(c.strategy, x.index) === b)?.index ?? 0;
      const before = c.steps.filter((x) => x.index < first && x.finishedAt).map((x) => Date.parse(x.finishedAt!));
      happened.push({ key: `batch:${b}`, at: Math.max(at, ...before), order: first - 0.5, line: `${paint('▸', 'blue', this.color)} batch ${b + 1}/${batches}: ${members.join(', ')}` });
    }
    for (const h of happened.sort((x, y) => x.at - y.at || x.order - y.order)) this.once(h.key, h.line);
    for (const ch of c.children) {
      const name = ch.cluster?.name ?? ch.id;
      const p = ch.progress;
      if (ch.state === 'RUNNING') this.once(`child:${ch.id}:run`, `${paint('▸', 'blue', this.color)} ${name}: rolling out (${p.total} workers)`);
      if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'PAUSED'].includes(ch.state)) {
        const mark = ch.state === 'SUCCEEDED' ? paint('✓', 'green', this.color) : ch.state === 'FAILED' ? paint('✗', 'red', this.color) : paint('■', 'yellow', this.color);
        this.once(`child:${ch.id}:${ch.state}`, `  ${mark} ${name}  ${s(ch.state)}  ${p.succeeded}/${p.total} succeeded${p.failed ? `, ${p.failed} failed` : ''}${ch.message && ch.state !== 'SUCCEEDED' ? `: ${ch.message}` : ''}`);
      }
    }
    if (c.state !== this.lastState) {
      // Starting is plain from the batches; a pause, a resume or a hold is said.
      if (!first && exitCodeOf(c) === null && !(c.state === 'RUNNING' && this.lastState === 'PENDING')) {
        this.write(`${s(c.state)}${c.message ? `: ${c.message}` : ''}`);
        this.lastMessage = c.message;
      }
      this.lastState = c.state;
    } else if (c.message !== this.lastMessage && c.message && c.state !== 'SUCCEEDED') {
      this.note(c.message);
    }
    this.lastMessage = c.message;
    if (c.pauseRequested && c.state === 'RUNNING') this.once('pause-requested', paint('  pause requested: the batch in flight finishes first', 'yellow', this.color));
    if (c.cancelRequested && !['CANCELLED', 'SUCCEEDED', 'FAILED'].includes(c.state))
      this.once('cancel-requested', paint('  cancel requested: the batch in flight finishes first', 'magenta', this.color));
    if (c.hold?.reason === 'CANARY') this.once(`canary:${c.state}`, paint(`  waiting for its canary to be promoted: \`oc promote ${shortId(c.id)}\` or \`oc cancel ${shortId(c.id)}\``, 'yellow', this.color));
    else if (c.state === 'PAUSED' && !pausedByBudget(c)) this.once(`paused-op:${c.message}`, paint(`  paused by an operator: waiting for \`oc resume ${shortId(c.id)}\` or \`oc cancel ${shortId(c.id)}\``, 'yellow', this.color));
    this.drawBar();
  }

  private bar(): string {
    const c = this.current!;
    const p = counts(c);
    const width = 24;
    const doneN = p.succeeded + p.failed + p.skipped;
    const ok = p.total ? Math.round((p.succeeded / p.total) * width) : 0;
    const bad = p.total ? Math.round(((p.failed + p.skipped) / p.total) * width) : 0;
    const fill = paint('█'.repeat(ok), 'green', this.color) + paint('█'.repeat(Math.min(width - ok, bad)), 'red', this.color) + paint('░'.repeat(Math.max(0, width - ok - bad)), 'gray', this.color);
    const inFlight =
      c.kind === 'PATCH'
        ? c.children
            .filter((ch) => ch.state === 'RUNNING')
            .map((ch) => `${ch.cluster?.name} ${ch.progress.succeeded + ch.progress.failed + ch.progress.skipped}/${ch.progress.total}`)
        : c.steps.filter((s) => s.state === 'RUNNING').map((s) => s.memberId);
    const batchNo = c.steps.find((s) => s.state === 'RUNNING');
    const batches = batchCount(c.strategy, c.steps.length);
    const flight = inFlight.length
      ? c.kind === 'PATCH'
        ? `rolling ${inFlight.join(', ')}`
        : `batch ${batchOf(c.strategy, batchNo!.index) + 1}/${batches}: ${inFlight.join(', ')}`
      : (c.message ?? '');
    const spin = paint(SPINNER[this.frame++ % SPINNER.length]!, 'blue', this.color);
    const tally = `${paint(`✓${p.succeeded}`, 'green', this.color)} ${paint(`✗${p.failed}`, p.failed ? 'red' : 'gray', this.color)}${p.skipped ? ` ${paint(`-${p.skipped}`, 'gray', this.color)}` : ''}`;
    return `${spin} ${fill} ${doneN}/${p.total}  ${state(c.state, { command: true, on: this.color })}  ${tally}  ${flight}  ${paint(duration(Date.now() - this.started), 'gray', this.color)}`;
  }

  private drawBar() {
    if (!this.tty || !this.current) return;
    const cols = this.out.columns || 120;
    let line = this.bar();
    // Cut to the terminal's width (counting visible characters) so the line never wraps.
    if (visibleLength(line) > cols - 1) line = `${stripAnsi(line).slice(0, cols - 2)}…`;
    this.out.write(`\r\x1b[2K${line}`);
    this.barShown = true;
  }

  private clearBar() {
    if (this.tty && this.barShown) this.out.write('\r\x1b[2K');
    this.barShown = false;
  }

  end(c: Command | null) {
    if (this.timer) clearInterval(this.timer);
    this.clearBar();
    this.current = null;
    if (!c || this.quiet) return;
    const p = counts(c);
    const took = c.startedAt && c.finishedAt ? ` in ${duration(Date.parse(c.finishedAt) - Date.parse(c.startedAt))}` : '';
    const tally = [`${p.succeeded} succeeded`, p.failed ? `${p.failed} failed` : '', p.skipped ? `${p.skipped} skipped` : ''].filter(Boolean).join(', ');
    const s = state(c.state, { command: true, on: this.color });
    if (c.state === 'SUCCEEDED') this.out.write(`${paint('✓', 'green', this.color)} ${describeCommand(c)} ${s}${took}: ${tally}\n`);
    else if (c.state === 'PAUSED')
      this.out.write(`${paint('■', 'yellow', this.color)} ${describeCommand(c)} ${s} by its failure budget (${tally})${c.message ? `: ${c.message}` : ''}\n  resume with \`oc resume ${shortId(c.id)}\`, or stop with \`oc cancel ${shortId(c.id)}\`\n`);
    else this.out.write(`${paint('✗', 'red', this.color)} ${describeCommand(c)} ${s}${took} (${tally})${c.message ? `: ${c.message}` : ''}\n`);
  }
}

/** Follows command `id` until it ends; resolves with the exit code (see above). */
export function watchCommand(a: Api, id: string, opts: { output: OutputFormat; initial?: Command; stdout?: NodeJS.WriteStream; pollMs?: number }): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const view = new View(out, opts.output === 'json');
  return new Promise<number>((resolve, reject) => {
    let done = false;
    let latest: Command | null = null;
    let unsubscribe: () => void = () => {};
    let readFailures = 0;
    const conn = live(a.target, {
      onConnected: (again) => {
        if (again) view.note('reconnected');
        void resync();
      },
      onDisconnected: (why) => view.note(`${why}: reconnecting…`),
    });
    const poll = setInterval(() => void resync(), opts.pollMs ?? 10_000);
    const stop = (fn: () => void) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      unsubscribe();
      void conn.dispose();
      fn();
    };
    const fail = (e: CliError) => {
      view.end(null);
      reject(e);
    };
    const apply = (c: Command) => {
      if (done) return;
      latest = c;
      view.update(c);
      const code = exitCodeOf(c);
      if (code !== null) {
        stop(() => {
          view.end(c);
          if (opts.output === 'json') out.write(`${json(c)}\n`);
          resolve(code);
        });
      }
    };
    const resync = async () => {
      try {
        const d = await a.request(CommandQuery, { id });
        readFailures = 0;
        if (!d.command) return stop(() => reject(new CliError('NOT_FOUND', `no command with id "${id}"`)));
        apply(d.command);
      } catch (e) {
        if (e instanceof CliError && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN')) return stop(() => fail(e));
        // The OC is away (restarting?): the subscription's reconnection will read again.
        if (readFailures++ === 0 && latest) view.note(e instanceof Error ? e.message : String(e));
      }
    };
    unsubscribe = conn.subscribe(
      CommandUpdatedSubscription,
      { id },
      (d) => apply(d.commandUpdated),
      (e) => stop(() => fail(e)),
    );
    if (opts.initial) apply(opts.initial);
  });
}
