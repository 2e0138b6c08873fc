/** One small cell per worker, coloured by state and shaped too (fill, half-fill, outline, cross). */
import { memo } from 'react';

export interface StripWorker {
  memberId: string;
  state: string;
}

export const WORKER_STATES = ['RUNNING', 'STARTING', 'STOPPING', 'STOPPED', 'FAILED'] as const;
const MAX_CELLS = 120;

export const WorkerStrip = memo(function WorkerStrip({ workers }: { workers: readonly StripWorker[] }) {
  if (workers.length > MAX_CELLS) {
    // A very large cluster: one bar of its states in proportion, with the counts in the tooltip.
    const counts = new Map<string, number>();
    for (const w of workers) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
    const title = WORKER_STATES.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s.toLowerCase()}`).join(', ');
    return (
      <div className="strip-bar" title={title}>
        {WORKER_STATES.map((s) =>
          counts.get(s) ? <span key={s} className={`cell-seg w-${s}`} style={{ flexGrow: counts.get(s) }} /> : null,
        )}
      </div>
    );
  }
  return (
    <div className="strip">
      {workers.map((w) => (
        <span key={w.memberId} className={`cell w-${w.state}`} title={`${w.memberId}: ${w.state.toLowerCase()}`} data-member={w.memberId} data-state={w.state} />
      ))}
    </div>
  );
});

export function StripLegend() {
  return (
    <span className="legend">
      {WORKER_STATES.map((s) => (
        <span key={s} className="legend-item">
          <span className={`cell w-${s}`} aria-hidden="true" /> {s.toLowerCase()}
        </span>
      ))}
    </span>
  );
}
