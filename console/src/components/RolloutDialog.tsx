/**
 * Rolling restart and Deploy artifact: the strategy's fields with their defaults, what will happen
 * (the batches, in order), then a confirmation. A refusal shows the OC's own message.
 */
import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { fmtMs } from '../lib/format';
import { DEFAULT_STRATEGY, planBatches, type Strategy } from '../lib/plan';
import { navigate, paths } from '../lib/router';
import { PreviewNotes, useServerPreview } from './ServerPreview';
import { hasProblems, StrategyFields } from './StrategyFields';
import { Dialog, ErrorNote, StateBadge } from './ui';

const RestartMutation = graphql(`
  mutation RestartCluster($input: RestartClusterInput!) {
    restartCluster(input: $input) {
      __typename
      ... on CommandPayload { command { id } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

const DeployMutation = graphql(`
  mutation DeployArtifact($input: DeployArtifactInput!) {
    deployArtifact(input: $input) {
      __typename
      ... on CommandPayload { command { id } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

export interface DialogWorker {
  memberId: string;
  state: string;
}

export interface Artifact {
  name: string;
  version: string;
  url: string;
  sha256: string;
}

export function RolloutDialog({
  kind,
  cluster,
  workers,
  artifactName,
  onClose,
}: {
  kind: 'RESTART' | 'DEPLOY';
  cluster: { id: string; name: string };
  workers: readonly DialogWorker[];
  artifactName?: string;
  onClose: () => void;
}) {
  const [strategy, setStrategy] = useState<Strategy>(DEFAULT_STRATEGY);
  const [artifact, setArtifact] = useState<Artifact>({ name: artifactName ?? '', version: '', url: '', sha256: '' });
  const [step, setStep] = useState<'edit' | 'confirm'>('edit');
  const [error, setError] = useState<string | null>(null);
  const [restartState, restart] = useMutation(RestartMutation);
  const [deployState, deploy] = useMutation(DeployMutation);
  const busy = restartState.fetching || deployState.fetching;

  const artifactMissing = kind === 'DEPLOY' && (['name', 'version', 'url', 'sha256'] as const).filter((k) => !artifact[k].trim());
  const invalid = hasProblems(strategy, workers.length) || (artifactMissing && artifactMissing.length > 0);
  const trimmed = kind === 'DEPLOY' ? { name: artifact.name.trim(), version: artifact.version.trim(), url: artifact.url.trim(), sha256: artifact.sha256.trim() } : null;
  // The OC's own preview of this input: its batches once it answered, the local plan until then.
  const server = useServerPreview(kind, cluster.id, strategy, trimmed, !invalid && workers.length > 0);
  const byId = new Map(workers.map((w) => [w.memberId, w]));
  const batches = server.preview
    ? server.preview.batches.map((b) => b.map((memberId) => byId.get(memberId) ?? { memberId, state: 'RUNNING' }))
    : planBatches(workers, strategy.batchSize);
  const title = kind === 'RESTART' ? `Rolling restart of ${cluster.name}` : `Deploy an artifact to ${cluster.name}`;
  const verb = kind === 'RESTART' ? 'Restart' : 'Deploy to';

  async function send() {
    setError(null);
    const input = { clusterId: cluster.id, strategy };
    const r =
      kind === 'RESTART'
        ? await restart({ input })
        : await deploy({ input: { ...input, artifact: { name: artifact.name.trim(), version: artifact.version.trim(), url: artifact.url.trim(), sha256: artifact.sha256.trim() } } });
    if (r.error) return setError(r.error.graphQLErrors[0]?.message ?? r.error.message);
    const res = r.data && ('restartCluster' in r.data ? r.data.restartCluster : r.data.deployArtifact);
    if (!res) return setError('The OC gave no answer.');
    if (res.__typename === 'CommandPayload') {
      onClose();
      navigate(paths.command(res.command.id));
      return;
    }
    const field = res.__typename === 'ValidationError' && res.field ? ` (${res.field})` : '';
    setError(`${res.code}: ${res.message}${field}`);
    setStep('edit');
  }

  return (
    <Dialog title={title} onClose={onClose} wide>
      <form
        noValidate
        className="dialog-body"
        onSubmit={(e) => {
          e.preventDefault();
          if (step === 'edit') setStep('confirm');
          else void send();
        }}
      >
        {error && <ErrorNote>{error}</ErrorNote>}
        {step === 'edit' ? (
          <div className="dialog-cols">
            <div>
              {kind === 'DEPLOY' && <ArtifactFields value={artifact} onChange={setArtifact} />}
              <StrategyFields value={strategy} onChange={setStrategy} workerCount={workers.length} />
            </div>
            <div>
              <PlanPreview batches={batches} strategy={strategy} />
              <PreviewNotes {...server} />
            </div>
          </div>
        ) : (
          <div className="confirm" data-testid="confirm">
            <p className="confirm-lead">
              {verb} <b>{workers.length}</b> workers of <b>{cluster.name}</b>
              {kind === 'DEPLOY' && (
                <>
                  {' '}
                  with{' '}
                  <b>
                    {artifact.name} {artifact.version}
                  </b>
                </>
              )}
              , {strategy.batchSize} at a time, in <b>{batches.length}</b> batch{batches.length === 1 ? '' : 'es'}.
            </p>
            <ul className="confirm-list">
              <li>Each worker must be running again within {fmtMs(strategy.healthTimeoutMs)}.</li>
              {strategy.pauseBetweenBatchesMs > 0 && <li>A pause of {fmtMs(strategy.pauseBetweenBatchesMs)} after each batch.</li>}
              <li>
                {strategy.maxFailures === 0 ? 'The first failed worker' : `More than ${strategy.maxFailures} failed workers`}{' '}
                {strategy.onFailure === 'ABORT' ? 'stops the rollout: the workers not started are skipped.' : 'pauses the rollout for an operator.'}
              </li>
            </ul>
            <PlanPreview batches={batches} strategy={strategy} />
            <PreviewNotes {...server} />
          </div>
        )}
        <footer className="dialog-foot">
          {step === 'confirm' && (
            <button type="button" onClick={() => setStep('edit')} disabled={busy}>
              Back
            </button>
          )}
          <span className="spacer" />
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          {step === 'edit' ? (
            <button type="submit" className="primary" disabled={invalid || workers.length === 0}>
              Review…
            </button>
          ) : (
            <button type="submit" className="primary danger-ish" disabled={busy}>
              {busy ? 'Sending…' : kind === 'RESTART' ? `Start rolling restart` : `Start deploy`}
            </button>
          )}
        </footer>
      </form>
    </Dialog>
  );
}

function ArtifactFields({ value, onChange }: { value: Artifact; onChange: (a: Artifact) => void }) {
  const f = (k: keyof Artifact, label: string, placeholder: string) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <input name={`artifact.${k}`} value={value[k]} placeholder={placeholder} spellCheck={false} onChange={(e) => onChange({ ...value, [k]: e.target.value })} />
    </label>
  );
  return (
    <fieldset className="strategy">
      <legend>Artifact</legend>
      <div className="field-grid">
        {f('name', 'Name', 'storefront.war')}
        {f('version', 'Version', '1.1.0')}
      </div>
      {f('url', 'URL', 'https://repo.example/storefront-1.1.0.war')}
      {f('sha256', 'SHA-256', '64 hex digits')}
    </fieldset>
  );
}

export function PlanPreview({ batches, strategy }: { batches: DialogWorker[][]; strategy: Strategy }) {
  return (
    <div className="plan" data-testid="plan">
      <div className="plan-head">
        What will happen: {batches.length} batch{batches.length === 1 ? '' : 'es'}, in this order
      </div>
      <ol className="plan-list">
        {batches.slice(0, 100).map((b, i) => (
          <li key={b[0]!.memberId} className="plan-batch">
            <span className="plan-n">{i + 1}</span>
            <span className="plan-members">
              {b.map((w) => (
                <span key={w.memberId} className="chip">
                  {w.memberId}
                  {w.state !== 'RUNNING' && <StateBadge state={w.state} label={w.state.toLowerCase()} worker />}
                </span>
              ))}
            </span>
            {i < batches.length - 1 && strategy.pauseBetweenBatchesMs > 0 && <span className="muted small">then wait {fmtMs(strategy.pauseBetweenBatchesMs)}</span>}
          </li>
        ))}
        {batches.length > 100 && <li className="muted">… and {batches.length - 100} more batches</li>}
      </ol>
    </div>
  );
}
