/**
 * A virtual manager's link to the OC: registering (with the full snapshot), holding one session
 * at a time (its task stream, its calls), and after a refusal, a lost session or a simulated cut-off,
 * backing off and registering again. It sets the manager's status and registration facts.
 */
import { OcError, type RegisterManagerPayload, type Result } from './oc-client.js';
import { errorText, type Session } from './manager-types.js';
import type { VirtualManager } from './manager.js';
import { backoffMs } from './profiles.js';
import type { Rng } from './random.js';
import type { TimerHandle } from './scheduler.js';

export class ManagerConnection {
  /** The session in hand (null between sessions). */
  session: Session | null = null;
  /** Failed attempts since the last success (the backoff grows with it). */
  attempt = 0;
  /** Bumped whenever an answer in flight must be ignored (session dropped, manager stopped). */
  private generation = 0;
  private reconnectTimer: TimerHandle | null = null;
  private cutOffUntil = 0;

  constructor(
    private readonly m: VirtualManager,
    private readonly enrollmentToken: string,
    private readonly rng: Rng,
  ) {}

  connect(): void {
    const m = this.m;
    this.reconnectTimer = null;
    if (m.status === 'stopped' || m.status === 'crashed') return;
    const wait = this.cutOffUntil - m.scheduler.now();
    if (wait > 0) {
      m.status = 'cut-off';
      this.reconnectTimer = m.scheduler.setTimeout(() => this.connect(), wait);
      return;
    }
    m.status = 'registering';
    const gen = ++this.generation;
    const slots = m.registrationSlots;
    if (!slots) {
      this.register(gen, () => {});
      return;
    }
    // One of the fleet's registration slots while the call is out (a stopped or dropped manager gives its slot back at once).
    void slots.acquire().then((release) => {
      if (gen !== this.generation) release();
      else this.register(gen, release);
    });
  }

  /** The registerManager call, its snapshot taken now (the slot may have been a while coming). */
  private register(gen: number, release: () => void): void {
    const m = this.m;
    const input = m.registrationSnapshot();
    const sentAt = m.scheduler.now();
    m.transport.registerManager(this.enrollmentToken, input).then(
      (res) => {
        release();
        if (gen !== this.generation) return;
        if (!res.ok) {
          const reason = `registerManager refused: ${res.error.code} ${res.error.message}`;
          this.retryLater(reason);
          m.hooks.registrationFailed?.(m, reason);
          return;
        }
        m.enrollmentRefused = false;
        this.openSession(res.value);
      },
      (err: unknown) => {
        release();
        if (gen !== this.generation) return;
        m.enrollmentRefused = err instanceof OcError && err.kind === 'auth';
        const hint = m.enrollmentRefused ? ' (is the enrollment token a MANAGER token that exists and is not revoked?)' : '';
        const reason = `registerManager failed: ${errorText(err)}${hint}`;
        if (err instanceof OcError && err.kind === 'overloaded') {
          // The OC did nothing and said when to come back: then, spread over as long again so the
          // fleet does not return at one instant. Not a failure of the OC: the backoff does not grow.
          const wait = err.retryAfterMs + Math.round(this.rng.float(0, err.retryAfterMs));
          this.retryIn(wait, reason, 'info');
        } else if (err instanceof OcError && err.kind === 'network' && err.timedOut) {
          // The OC may still be working on the call that timed out: give it at least as long again.
          const backoff = backoffMs(m.profile, this.attempt + 1, this.rng);
          this.attempt++;
          this.retryIn(Math.max(backoff, m.scheduler.now() - sentAt), reason, this.attempt >= 5 ? 'error' : 'warn');
        } else {
          this.retryLater(reason);
        }
        m.hooks.registrationFailed?.(m, reason);
      },
    );
  }

  private openSession(payload: RegisterManagerPayload): void {
    const m = this.m;
    m.registrations++;
    const s: Session = {
      no: m.registrations,
      token: payload.sessionToken,
      managerId: payload.manager.id,
      clusterId: payload.cluster.id,
      seq: 0,
      acked: 0,
      unacked: [],
      lastAckedBatch: null,
      inflight: false,
      retries: 0,
      stream: null,
      connected: false,
      flushTimer: null,
      statsTimer: null,
      statsInflight: false,
    };
    this.session = s;
    m.status = 'online';
    this.attempt = 0;
    m.lastError = null;
    m.clusterId = payload.cluster.id;
    m.managerId = payload.manager.id;
    m.log('info', `registered: session #${s.no}, cluster ${payload.cluster.id}, ${m.workers.size} workers`);
    s.stream = m.transport.subscribeTasks(s.token, {
      connected: () => {
        if (this.session === s) s.connected = true;
      },
      task: (task) => {
        if (this.session === s) m.taskDelivered(task, s);
      },
      ended: (err) => {
        if (this.session === s) this.sessionLost(`task stream ended: ${err.message}`);
      },
    });
    m.sessionOpened(s);
  }

  /** The session is gone (socket closed, token refused): register again after a backoff. */
  sessionLost(reason: string): void {
    if (!this.session) return;
    this.generation++;
    this.teardown(false);
    this.retryLater(reason);
  }

  private retryLater(reason: string): void {
    if (this.m.status === 'stopped' || this.m.status === 'crashed') return;
    this.attempt++;
    this.retryIn(backoffMs(this.m.profile, this.attempt, this.rng), reason, this.attempt >= 5 ? 'error' : 'warn');
  }

  private retryIn(delay: number, reason: string, level: 'info' | 'warn' | 'error'): void {
    const m = this.m;
    if (m.status === 'stopped' || m.status === 'crashed') return;
    m.lastError = reason;
    m.status = 'backoff';
    m.log(level, `${reason}; registering again in ${delay} ms (attempt ${this.attempt})`);
    this.clearReconnect();
    this.reconnectTimer = m.scheduler.setTimeout(() => this.connect(), delay);
  }

  /** Drop the session in hand (`abrupt`: without a close frame) and any pending reconnect. */
  drop(abrupt: boolean): void {
    this.generation++;
    this.teardown(abrupt);
    this.clearReconnect();
    this.reconnectTimer = null;
  }

  /** Fault: cut off from the OC for `ms`; while the manager runs, the socket drops and it reconnects after. */
  cutOff(ms: number): void {
    const m = this.m;
    const until = m.scheduler.now() + ms;
    this.cutOffUntil = Math.max(this.cutOffUntil, until);
    if (m.status === 'crashed' || m.status === 'idle') return; // honoured when it (re)starts
    m.log('warn', `cut off from the OC for ${ms} ms (simulated)`);
    this.generation++;
    this.teardown(true);
    this.clearReconnect();
    m.status = 'cut-off';
    this.attempt = 0;
    this.reconnectTimer = m.scheduler.setTimeout(() => this.connect(), this.cutOffUntil - m.scheduler.now());
  }

  /** Calls the OC on session `s`, unless the session is gone or the manager is cut off. */
  call<T>(s: Session, fn: (token: string) => Promise<Result<T>>): Promise<Result<T>> {
    if (this.session !== s) return Promise.reject(new OcError('network', 'session closed'));
    if (this.cutOffUntil > this.m.scheduler.now()) return Promise.reject(new OcError('network', 'cut off from the OC (simulated)'));
    return fn(s.token);
  }

  private teardown(abrupt: boolean): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    const { scheduler } = this.m;
    if (s.flushTimer !== null) scheduler.clearTimeout(s.flushTimer);
    if (s.statsTimer !== null) scheduler.clearTimeout(s.statsTimer);
    s.flushTimer = null;
    s.statsTimer = null;
    s.stream?.close(abrupt);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) this.m.scheduler.clearTimeout(this.reconnectTimer);
  }
}
