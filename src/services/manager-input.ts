/** What a manager sends, checked (validate*), and what a worker report makes of a stored worker (toWrite, differs). */
import type { DeployedArtifact, ManagerOperationSpec, Worker, WorkerReport, WorkerState } from '../domain/types.js';
import { WORKER_STATES } from '../domain/types.js';
import { ValidationError } from '../domain/errors.js';
import type * as topo from '../db/repositories/topology.js';
import { compileInputSchema } from './operation-args.js';
import { boundedJson, int, list, optionalText, text } from './validate.js';

export function validateWorker(w: WorkerReport, field: string): WorkerReport {
  const memberId = text(w.memberId, `${field}.memberId`, { max: 200 });
  const host = text(w.host, `${field}.host`, { max: 255 });
  if (w.port != null) int(w.port, `${field}.port`, 0, 65535);
  if (w.state != null && !WORKER_STATES.includes(w.state)) throw new ValidationError(`${field}.state must be one of ${WORKER_STATES.join(', ')}`, `${field}.state`);
  if (w.startedAt != null && (!(w.startedAt instanceof Date) || Number.isNaN(w.startedAt.getTime()))) {
    throw new ValidationError(`${field}.startedAt must be a valid date-time`, `${field}.startedAt`);
  }
  if (w.artifacts) {
    list(w.artifacts, `${field}.artifacts`, 100);
    w.artifacts.forEach((a, j) => {
      text(a.name, `${field}.artifacts[${j}].name`, { max: 200 });
      text(a.version, `${field}.artifacts[${j}].version`, { max: 100 });
    });
  }
  return { ...w, memberId, host };
}

export function validateOperations(ops: { name: string; description?: string | null; inputSchema?: unknown }[]): ManagerOperationSpec[] {
  list(ops, 'input.operations', 200);
  const seen = new Set<string>();
  return ops.map((o, i) => {
    const name = text(o.name, `input.operations[${i}].name`, { max: 100, pattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/, patternHint: 'must be an identifier' });
    if (seen.has(name)) throw new ValidationError(`input.operations[${i}].name "${name}" appears twice`, `input.operations[${i}].name`);
    seen.add(name);
    return {
      name,
      description: optionalText(o.description, `input.operations[${i}].description`, { max: 2000, multiline: true }),
      inputSchema: inputSchema(o.inputSchema, `input.operations[${i}].inputSchema`),
    };
  });
}

/** An operation's inputSchema: storable JSON that compiles as a JSON Schema (refused here, not when an operator runs it). */
function inputSchema(value: unknown, field: string): unknown {
  const schema = boundedJson(value ?? null, field, 16 * 1024);
  if (schema !== null) compileInputSchema(schema, field);
  return schema;
}

/**
 * What a report makes of a worker. `stateChangedAt` is the OC's receive time and `stateChanges`
 * counts a change of state the OC sees (1 or 0): the health gate's evidence is the OC's own, never
 * a time read off a manager's clock.
 */
export function toWrite(r: WorkerReport, prev: Worker | null, now: Date): topo.WorkerWrite {
  const state: WorkerState = r.state ?? prev?.state ?? 'RUNNING';
  const artifacts: DeployedArtifact[] = r.artifacts
    ? r.artifacts.map((a) => {
        const kept = prev?.artifacts.find((p) => p.name === a.name && p.version === a.version);
        return { name: a.name, version: a.version, deployedAt: (a.deployedAt ?? (kept ? new Date(kept.deployedAt) : now)).toISOString() };
      })
    : (prev?.artifacts ?? []);
  return {
    memberId: r.memberId,
    host: r.host,
    port: r.port ?? null,
    state,
    startedAt: r.startedAt !== undefined ? (r.startedAt ?? null) : (prev?.startedAt ?? null),
    stateChangedAt: prev && prev.state === state ? prev.stateChangedAt : now,
    stateChanges: prev && prev.state !== state ? 1 : 0,
    artifacts,
  };
}

export function differs(prev: Worker, w: topo.WorkerWrite): boolean {
  return (
    prev.host !== w.host ||
    prev.port !== w.port ||
    prev.state !== w.state ||
    (prev.startedAt?.getTime() ?? null) !== (w.startedAt?.getTime() ?? null) ||
    JSON.stringify(prev.artifacts) !== JSON.stringify(w.artifacts)
  );
}
