/** The rollout strategy's fields, with the OC's defaults, for the restart, deploy and patch dialogs. */
import { fmtMs } from '../lib/format';
import { type Strategy, strategyProblems } from '../lib/plan';

export function StrategyFields({ value, onChange, workerCount }: { value: Strategy; onChange: (s: Strategy) => void; workerCount: number | null }) {
  const problems = strategyProblems(value, workerCount);
  const num = (k: keyof Strategy, label: string, hint: string) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <input
        type="number"
        name={k}
        min={0}
        step={1}
        value={Number.isNaN(value[k] as number) ? '' : (value[k] as number)}
        onChange={(e) => onChange({ ...value, [k]: e.target.value === '' ? Number.NaN : Number(e.target.value) })}
        aria-invalid={problems[k] ? true : undefined}
      />
      <span className={problems[k] ? 'field-hint bad-text' : 'field-hint'}>{problems[k] ?? hint}</span>
    </label>
  );
  return (
    <fieldset className="strategy">
      <legend>Strategy</legend>
      <div className="field-grid">
        {num('batchSize', 'Batch size', 'workers taken out at a time (1: round-robin)')}
        {num('healthTimeoutMs', 'Health timeout (ms)', `each worker must be running again within ${fmtMs(value.healthTimeoutMs || 0)}`)}
        {num('pauseBetweenBatchesMs', 'Pause between batches (ms)', 'wait after each batch')}
        {num('maxFailures', 'Failures tolerated', 'failed workers before the rollout stops')}
        <label className="field">
          <span className="field-label">Beyond that</span>
          <select name="onFailure" value={value.onFailure} onChange={(e) => onChange({ ...value, onFailure: e.target.value as Strategy['onFailure'] })}>
            <option value="ABORT">Abort (skip the rest)</option>
            <option value="PAUSE">Pause for an operator</option>
          </select>
          <span className="field-hint">when more workers fail than tolerated</span>
        </label>
      </div>
    </fieldset>
  );
}

export function hasProblems(s: Strategy, workerCount: number | null): boolean {
  return Object.keys(strategyProblems(s, workerCount)).length > 0;
}
