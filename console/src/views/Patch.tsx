/** A system-wide patch (deployPatch): an artifact to every cluster of some kinds, a few clusters at a time. */
import { useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { PreviewNotes, usePatchPreview } from '../components/ServerPreview';
import { StrategyFields, hasProblems } from '../components/StrategyFields';
import { ErrorNote, StateBadge } from '../components/ui';
import { graphql } from '../gql';
import { naturalCompare } from '../lib/format';
import { DEFAULT_STRATEGY, type Strategy } from '../lib/plan';
import { navigate, paths } from '../lib/router';
import { canOperate, useSession, useTitle } from '../lib/session';

const PatchClustersQuery = graphql(`
  query PatchClusters {
    clusters(first: 500) { totalCount edges { node { id name kind health workerCount } } }
  }
`);

const DeployPatchMutation = graphql(`
  mutation DeployPatch($input: DeployPatchInput!) {
    deployPatch(input: $input) {
      __typename
      ... on CommandPayload { command { id } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

export function PatchView() {
  useTitle('System patch');
  const { role } = useSession();
  const [clusters] = useQuery({ query: PatchClustersQuery });
  const all = useMemo(() => (clusters.data?.clusters.edges ?? []).map((e) => e.node).sort((a, b) => naturalCompare(a.name, b.name)), [clusters.data]);
  const kinds = useMemo(() => [...new Set(all.map((c) => c.kind))].sort(), [all]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [artifact, setArtifact] = useState({ name: '', version: '', url: '', sha256: '' });
  const [parallel, setParallel] = useState(1);
  const [strategy, setStrategy] = useState<Strategy>(DEFAULT_STRATEGY);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [state, send] = useMutation(DeployPatchMutation);

  const targets = all.filter((c) => chosen.size === 0 || chosen.has(c.kind));
  const waves: (typeof targets)[] = [];
  for (let i = 0; i < targets.length; i += Math.max(1, parallel)) waves.push(targets.slice(i, i + Math.max(1, parallel)));
  const missing = (['name', 'version', 'url', 'sha256'] as const).filter((k) => !artifact[k].trim());
  const invalid = missing.length > 0 || hasProblems(strategy, null) || !(parallel >= 1);
  const input = {
    artifact: { name: artifact.name.trim(), version: artifact.version.trim(), url: artifact.url.trim(), sha256: artifact.sha256.trim() },
    kinds: chosen.size ? [...chosen].sort() : null,
    maxParallelClusters: parallel,
    strategy,
  };
  // The OC's own preview of this patch: its estimate and its warnings.
  const server = usePatchPreview(input, !invalid && targets.length > 0);

  if (!canOperate(role)) {
    return (
      <div className="page">
        <h1>System patch</h1>
        <p className="muted">Your role ({role}) may watch patches under Operations but not start one.</p>
      </div>
    );
  }

  async function submit() {
    setError(null);
    const r = await send({ input });
    if (r.error) return setError(r.error.graphQLErrors[0]?.message ?? r.error.message);
    const res = r.data?.deployPatch;
    if (res?.__typename === 'CommandPayload') navigate(paths.command(res.command.id));
    else if (res) setError(`${res.code}: ${res.message}${res.__typename === 'ValidationError' && res.field ? ` (${res.field})` : ''}`);
    setConfirm(false);
  }

  const field = (k: keyof typeof artifact, label: string, placeholder: string) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <input name={`artifact.${k}`} value={artifact[k]} placeholder={placeholder} spellCheck={false} onChange={(e) => setArtifact({ ...artifact, [k]: e.target.value })} />
    </label>
  );

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>System patch</h1>
          <div className="muted">Deploy one artifact to every cluster of the chosen kinds, a few clusters at a time. A failed cluster stops the clusters not yet started.</div>
        </div>
      </header>
      {error && <ErrorNote>{error}</ErrorNote>}
      <form
        noValidate
        className="cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (!confirm) setConfirm(true);
          else void submit();
        }}
      >
        <div className="card">
          <fieldset className="strategy">
            <legend>Artifact</legend>
            <div className="field-grid">
              {field('name', 'Name', 'integration-flows.car')}
              {field('version', 'Version', '1.0.1')}
            </div>
            {field('url', 'URL', 'https://repo.example/…')}
            {field('sha256', 'SHA-256', '64 hex digits')}
          </fieldset>
          <fieldset className="strategy">
            <legend>Clusters</legend>
            <div className="checks">
              {kinds.map((k) => (
                <label key={k} className="check">
                  <input
                    type="checkbox"
                    checked={chosen.has(k)}
                    onChange={(e) => {
                      const n = new Set(chosen);
                      if (e.target.checked) n.add(k);
                      else n.delete(k);
                      setChosen(n);
                    }}
                  />{' '}
                  {k} <span className="muted">({all.filter((c) => c.kind === k).length})</span>
                </label>
              ))}
              <span className="muted small">{chosen.size === 0 ? 'No kind chosen: every cluster.' : ''}</span>
            </div>
            <label className="field">
              <span className="field-label">Clusters at a time</span>
              <input type="number" min={1} value={Number.isNaN(parallel) ? '' : parallel} onChange={(e) => setParallel(Number(e.target.value))} />
              <span className="field-hint">maxParallelClusters (default 1)</span>
            </label>
          </fieldset>
          <StrategyFields value={strategy} onChange={setStrategy} workerCount={null} />
        </div>
        <div className="card">
          <h2>
            What will happen: {targets.length} cluster{targets.length === 1 ? '' : 's'} in {waves.length} wave{waves.length === 1 ? '' : 's'}
          </h2>
          <ol className="plan-list">
            {waves.slice(0, 50).map((w, i) => (
              <li key={w[0]!.id} className="plan-batch">
                <span className="plan-n">{i + 1}</span>
                <span className="plan-members">
                  {w.map((c) => (
                    <span key={c.id} className="chip">
                      {c.name} <span className="muted">{c.workerCount}w</span>
                      {c.health !== 'HEALTHY' && <StateBadge state={c.health} />}
                    </span>
                  ))}
                </span>
              </li>
            ))}
            {waves.length > 50 && <li className="muted">… and {waves.length - 50} more waves</li>}
          </ol>
          <p className="muted small">Waves are indicative: a cluster starts as soon as a slot frees up.</p>
          {!invalid && targets.length > 0 && <PreviewNotes {...server} />}
          <footer className="dialog-foot">
            {confirm ? (
              <>
                <span className="warn-text">
                  Patch {targets.length} clusters with {artifact.name} {artifact.version}?
                </span>
                <span className="spacer" />
                <button type="button" onClick={() => setConfirm(false)}>
                  Back
                </button>
                <button type="submit" className="primary" disabled={state.fetching}>
                  {state.fetching ? 'Sending…' : 'Start the patch'}
                </button>
              </>
            ) : (
              <>
                <span className="spacer" />
                <button type="submit" className="primary" disabled={invalid || targets.length === 0}>
                  Review…
                </button>
              </>
            )}
          </footer>
        </div>
      </form>
    </div>
  );
}
