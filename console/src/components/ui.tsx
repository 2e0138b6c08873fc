/** Small building blocks shared by the views: state badges (colour + glyph + word), progress, dialogs. */
import { type ReactNode, useEffect, useRef } from 'react';
import { navigate } from '../lib/router';

/** Every state reads by its word and glyph as well as its colour (colour-blind operators). */
const GLYPH: Record<string, string> = {
  HEALTHY: '●',
  DEGRADED: '▲',
  UNAVAILABLE: '■',
  UNREACHABLE: '⊘',
  RUNNING: '●',
  STARTING: '◐',
  STOPPING: '◑',
  STOPPED: '○',
  FAILED: '✕',
  PENDING: '◌',
  PAUSED: '❚❚',
  SUCCEEDED: '✓',
  CANCELLED: '⊘',
  SKIPPED: '–',
  ACCEPTED: '◐',
};

/** `worker`: a worker's state (RUNNING is good news there, green; a command RUNNING is in progress, blue). */
export function StateBadge({ state, label, worker }: { state: string; label?: string; worker?: boolean }) {
  return (
    <span className={`badge ${worker ? 'w' : 'st'}-${state}`} data-state={state}>
      <span className="glyph" aria-hidden="true">
        {GLYPH[state] ?? '•'}
      </span>
      {label ?? state.toLowerCase()}
    </span>
  );
}

export function Link({ to, children, className, title }: { to: string; children: ReactNode; className?: string; title?: string }) {
  return (
    <a
      href={to}
      className={className}
      title={title}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export interface ProgressCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

/** A bar of the steps by state, in the order they end up: succeeded, failed, skipped, running, pending. */
export function ProgressBar({ p, compact }: { p: ProgressCounts; compact?: boolean }) {
  const total = Math.max(1, p.total);
  const parts: [string, number][] = [
    ['SUCCEEDED', p.succeeded],
    ['FAILED', p.failed],
    ['SKIPPED', p.skipped],
    ['RUNNING', p.running],
  ];
  const done = p.succeeded + p.failed + p.skipped;
  return (
    <div className={compact ? 'progress compact' : 'progress'} role="progressbar" aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={done}>
      {parts.map(([s, n]) => (n > 0 ? <span key={s} className={`seg st-${s}`} style={{ width: `${(100 * n) / total}%` }} /> : null))}
    </div>
  );
}

export function Counts({ p }: { p: ProgressCounts }) {
  return (
    <span className="counts">
      <b>{p.succeeded + p.failed + p.skipped}</b>/{p.total} done
      {p.running > 0 && <span className="c-running"> · {p.running} running</span>}
      {p.failed > 0 && <span className="c-failed"> · {p.failed} failed</span>}
      {p.skipped > 0 && <span className="c-skipped"> · {p.skipped} skipped</span>}
    </span>
  );
}

/** A modal dialog on the native <dialog> element (focus trap and Escape for free). */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog wide' : 'dialog'}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header className="dialog-head">
        <h2>{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </header>
      {children}
    </dialog>
  );
}

export function ErrorNote({ children }: { children: ReactNode }) {
  return (
    <div className="note error" role="alert">
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Loading({ what }: { what: string }) {
  return <div className="loading">Loading {what}…</div>;
}

export function Figure({ label, value, sub }: { label: string; value: ReactNode; sub?: ReactNode }) {
  return (
    <div className="figure">
      <div className="figure-label">{label}</div>
      <div className="figure-value">{value}</div>
      {sub != null && <div className="figure-sub">{sub}</div>}
    </div>
  );
}
