/**
 * The OC's own preview of a rolling restart or a deploy (previewRestart / previewDeploy): the
 * batches it would run, its estimate from the cluster's observed restart times, and its warnings.
 * Asked again (after a short pause) whenever the input changes; nothing is written by asking.
 */
import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { fmtDuration } from '../lib/format';
import type { Strategy } from '../lib/plan';

const PreviewRestartQuery = graphql(`
  query ConsolePreviewRestart($input: RestartClusterInput!) {
    previewRestart(input: $input) {
      __typename
      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }
      ... on Error { code message }
    }
  }
`);

const PreviewDeployQuery = graphql(`
  query ConsolePreviewDeploy($input: DeployArtifactInput!) {
    previewDeploy(input: $input) {
      __typename
      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }
      ... on Error { code message }
    }
  }
`);

const PreviewPatchQuery = graphql(`
  query ConsolePreviewPatch($input: DeployPatchInput!) {
    previewPatch(input: $input) {
      __typename
      ... on RolloutPreview { estimatedDurationMs warnings clusters { batches } }
      ... on Error { code message }
    }
  }
`);

/** `key` once it has stayed the same for a moment (a query per pause in typing, not per keystroke). */
function useSettled(key: string): string {
  const [settled, setSettled] = useState(key);
  useEffect(() => {
    const t = setTimeout(() => setSettled(key), 250);
    return () => clearTimeout(t);
  }, [key]);
  return settled;
}

export interface ServerPreview {
  /** The input it answers for (the dialog uses its batches only while they are the current input's). */
  key: string;
  batches: string[][];
  estimatedDurationMs: number | null;
  warnings: string[];
}

type Answer = { __typename: string; estimatedDurationMs?: number | null; warnings?: string[]; clusters?: { batches: string[][] }[]; message?: string };

/** The OC's preview of the dialog's input; null while it is asked, when the input is not complete, or when the OC refused it. */
export function useServerPreview(
  kind: 'RESTART' | 'DEPLOY',
  clusterId: string,
  strategy: Strategy,
  artifact: { name: string; version: string; url: string; sha256: string } | null,
  ready: boolean,
): { preview: ServerPreview | null; error: string | null } {
  const key = JSON.stringify([kind, clusterId, strategy, artifact]);
  const asked = useSettled(key);
  const input = { clusterId, strategy };
  const [restart] = useQuery({ query: PreviewRestartQuery, variables: { input }, pause: !ready || kind !== 'RESTART' || asked !== key, requestPolicy: 'network-only' });
  const [deploy] = useQuery({
    query: PreviewDeployQuery,
    variables: { input: { ...input, artifact: artifact ?? { name: '', version: '', url: '', sha256: '' } } },
    pause: !ready || kind !== 'DEPLOY' || !artifact || asked !== key,
    requestPolicy: 'network-only',
  });
  const r = kind === 'RESTART' ? restart : deploy;
  const answer = (r.data && ('previewRestart' in r.data ? r.data.previewRestart : r.data.previewDeploy)) as Answer | undefined;
  return settle(key, ready && asked === key && !r.fetching ? answer : undefined);
}

function settle(key: string, answer: Answer | undefined): { preview: ServerPreview | null; error: string | null } {
  if (!answer) return { preview: null, error: null };
  if (answer.__typename !== 'RolloutPreview') return { preview: null, error: answer.message ?? answer.__typename };
  return { preview: { key, batches: answer.clusters?.[0]?.batches ?? [], estimatedDurationMs: answer.estimatedDurationMs ?? null, warnings: answer.warnings ?? [] }, error: null };
}

/** The OC's preview of a system patch (its estimate and warnings; the waves are the page's own). */
export function usePatchPreview(
  input: { artifact: { name: string; version: string; url: string; sha256: string }; kinds: string[] | null; maxParallelClusters: number; strategy: Strategy },
  ready: boolean,
): { preview: ServerPreview | null; error: string | null } {
  const key = JSON.stringify(input);
  const asked = useSettled(key);
  const [r] = useQuery({ query: PreviewPatchQuery, variables: { input }, pause: !ready || asked !== key, requestPolicy: 'network-only' });
  return settle(key, ready && asked === key && !r.fetching ? (r.data?.previewPatch as Answer | undefined) : undefined);
}

/** The estimate and the warnings of the OC's preview, under the plan. */
export function PreviewNotes({ preview, error }: { preview: ServerPreview | null; error: string | null }) {
  if (error) return <p className="muted small" data-testid="preview-notes">The OC would refuse this: {error}</p>;
  if (!preview) return <p className="muted small" data-testid="preview-notes">Asking the OC for its plan…</p>;
  return (
    <div className="preview-notes" data-testid="preview-notes">
      <p className="small">
        {preview.estimatedDurationMs === null ? 'No estimate yet: the cluster has no restart history.' : `Estimated duration: about ${fmtDuration(preview.estimatedDurationMs)}, from this cluster's own restart times.`}
      </p>
      {preview.warnings.length > 0 && (
        <ul className="preview-warnings" data-testid="preview-warnings">
          {preview.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
