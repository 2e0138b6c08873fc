/**
 * Scenarios: which clusters to simulate, with which profile, and which faults to inject when.
 * JSON files in simulator/scenarios/, validated here with errors that name the bad path
 * (`clusters[1].size: Too small: expected number to be >0`).
 *
 * A cluster entry with `count` is a template: `{ "name": "as-{i}", "count": 200, ... }` stands
 * for as-1 … as-200, so a fleet of hundreds of clusters is a few lines.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PROFILE_NAMES, type ProfileName } from './profiles.js';

const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TEMPLATE = /^[A-Za-z0-9{][A-Za-z0-9._{}-]*$/;

/** The largest manager clock skew a scenario may ask for (a day either way). */
export const MAX_CLOCK_SKEW_MS = 86_400_000;

const cluster = z.string().min(1);
const member = z.string().min(1);
const ms = z.number().int().nonnegative();

/** Each fault type's own fields; `at`/`onTask` (when) are added for scenario files. */
function faultVariants<T extends z.ZodRawShape>(when: T) {
  return [
    /** A worker's next restart stops it for good: it stays STOPPED (or ends FAILED). */
    z.strictObject({ type: z.literal('never-come-back'), cluster, member: member.optional(), state: z.enum(['STOPPED', 'FAILED']).optional(), ...when }),
    /** A worker's next boot takes durationMs (e.g. beyond the rollout's healthTimeoutMs). */
    z.strictObject({ type: z.literal('slow-boot'), cluster, member: member.optional(), durationMs: z.number().int().positive(), ...when }),
    /** A worker crashes (→ FAILED): now if RUNNING, else as soon as it next is. */
    z.strictObject({ type: z.literal('crash'), cluster, member: member.optional(), ...when }),
    /** A worker's next start ends FAILED. */
    z.strictObject({ type: z.literal('fail-start'), cluster, member: member.optional(), ...when }),
    /** The manager dies: socket dropped, session forgotten; back after durationMs if given (else on manager-restart). */
    z.strictObject({ type: z.literal('manager-crash'), cluster, durationMs: ms.optional(), ...when }),
    /** A crashed manager comes back and registers again. */
    z.strictObject({ type: z.literal('manager-restart'), cluster, ...when }),
    /** The manager loses the OC for durationMs: socket dropped, nothing sent, then it registers again. */
    z.strictObject({ type: z.literal('manager-cutoff'), cluster, durationMs: z.number().int().positive(), ...when }),
    /** The manager re-sends its last accepted membership batch (the OC must ignore it). */
    z.strictObject({ type: z.literal('duplicate-report'), cluster, ...when }),
    /** The manager sends a later membership batch before an earlier one (the OC must refuse the gap). */
    z.strictObject({ type: z.literal('reorder-reports'), cluster, ...when }),
    /** A new worker joins the cluster (named after the cluster's next index unless member is given). */
    z.strictObject({ type: z.literal('worker-join'), cluster, member: member.optional(), ...when }),
    /** A worker leaves the cluster. */
    z.strictObject({ type: z.literal('worker-leave'), cluster, member: member.optional(), ...when }),
  ] as const;
}

export const FaultSchema = z.discriminatedUnion('type', faultVariants({}));
export type Fault = z.infer<typeof FaultSchema>;
export type FaultType = Fault['type'];
export const FAULT_TYPES: readonly FaultType[] = FaultSchema.options.map((o) => o.shape.type.value);

const ScenarioFaultSchema = z.discriminatedUnion(
  'type',
  faultVariants({
    /** Milliseconds after every manager has registered (default 0). */
    at: ms.optional(),
    /** Instead of a time: when the cluster's manager accepts its n-th task (1 = the first). */
    onTask: z.number().int().positive().optional(),
  }),
);
export type ScenarioFault = z.infer<typeof ScenarioFaultSchema>;

const ClusterSchema = z.strictObject({
  /** The cluster's name; with `count`, a template where {i} is 1, 2, … */
  name: z.string().regex(TEMPLATE, 'letters, digits, ".", "_", "-" (and {i} in a template)'),
  kind: z.string().min(1),
  /** Workers in the cluster. */
  size: z.number().int().min(0).max(10_000),
  /** Stamp out this many clusters from this entry (name must contain {i}). */
  count: z.number().int().positive().max(10_000).optional(),
  /** Overrides the scenario's profile for this cluster. */
  profile: z.enum(PROFILE_NAMES).optional(),
  /** What the workers run at the start (default: the kind's usual artifact, version 1.0.0). */
  artifacts: z.array(z.strictObject({ name: z.string().min(1), version: z.string().min(1) })).optional(),
  /** Advertised manager version. */
  managerVersion: z.string().optional(),
  /** Worker port (default: the kind's usual port). */
  port: z.number().int().min(1).max(65_535).optional(),
  /** How far the manager host's clock is off, in ms (positive: fast); every time it reports is shifted by it. */
  clockSkewMs: z.number().int().min(-MAX_CLOCK_SKEW_MS).max(MAX_CLOCK_SKEW_MS).optional(),
  /**
   * The workers by name, as a copy of a real cluster's membership (npm run rehearse): `size` of
   * them, in place of the generated `<cluster>-wNN`; each RUNNING unless it says STOPPED or FAILED.
   */
  members: z
    .array(
      z.strictObject({
        memberId: z.string().min(1).max(200),
        state: z.enum(['RUNNING', 'STOPPED', 'FAILED']).optional(),
        artifacts: z.array(z.strictObject({ name: z.string().min(1), version: z.string().min(1) })).optional(),
      }),
    )
    .optional(),
});

/** A worker a scenario names (ClusterSchema's `members`). */
export interface MemberPlan {
  memberId: string;
  state?: 'RUNNING' | 'STOPPED' | 'FAILED';
  artifacts?: { name: string; version: string }[];
}

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  profile: z.enum(PROFILE_NAMES).default('realistic'),
  /**
   * Overrides the profile's reportStats interval for every manager (ms). A fleet's size sets it,
   * not the profile: the OC's load is managers / interval (see scenarios/huge.json).
   */
  statsIntervalMs: z.number().int().min(100).max(86_400_000).optional(),
  seed: z.number().int().nonnegative().optional(),
  clusters: z.array(ClusterSchema).min(1, 'a scenario needs at least one cluster'),
  faults: z.array(ScenarioFaultSchema).default([]),
});

/** A scenario as written (in a file, or in a test). */
export type ScenarioSpec = z.input<typeof ScenarioSchema>;

export interface ClusterPlan {
  name: string;
  kind: string;
  size: number;
  profile: ProfileName;
  artifacts: { name: string; version: string }[] | null;
  managerVersion: string | null;
  port: number | null;
  /** The manager's clock skew in ms (0: in step with the OC). */
  clockSkewMs: number;
  /** Its workers by name (null: generated names). */
  members: MemberPlan[] | null;
}

/** A validated scenario with its cluster templates expanded. */
export interface Scenario {
  name: string;
  description: string;
  profile: ProfileName;
  /** The scenario's reportStats interval (ms), overriding the profile's; null: the profile's. */
  statsIntervalMs: number | null;
  seed: number | null;
  clusters: ClusterPlan[];
  faults: ScenarioFault[];
  totalWorkers: number;
}

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid scenario:\n  ${problems.join('\n  ')}`);
    this.name = 'ScenarioError';
  }
}

/** Validates and expands a scenario; throws ScenarioError listing every problem with its path. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) {
    throw new ScenarioError(source, parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`));
  }
  const spec = parsed.data;
  const problems: string[] = [];
  const clusters: ClusterPlan[] = [];
  spec.clusters.forEach((c, index) => {
    const count = c.count ?? 1;
    const templated = c.name.includes('{i}');
    if (count > 1 && !templated) problems.push(`clusters[${index}].name: with count ${count} the name must contain {i} (e.g. "${c.name}-{i}")`);
    if (!templated && !NAME.test(c.name)) problems.push(`clusters[${index}].name: "${c.name}" is not a valid name`);
    const copies = templated ? count : 1;
    if (c.members) {
      if (copies > 1) problems.push(`clusters[${index}].members: names the workers of one cluster, not of a template`);
      if (c.members.length !== c.size) problems.push(`clusters[${index}].members: ${c.members.length} members for size ${c.size}`);
      const ids = new Set(c.members.map((m) => m.memberId));
      if (ids.size !== c.members.length) problems.push(`clusters[${index}].members: a memberId is used twice`);
    }
    for (let i = 1; i <= copies; i++) {
      clusters.push({
        name: templated ? c.name.replaceAll('{i}', String(i)) : c.name,
        kind: c.kind,
        size: c.size,
        profile: c.profile ?? spec.profile,
        artifacts: c.artifacts ?? null,
        managerVersion: c.managerVersion ?? null,
        port: c.port ?? null,
        clockSkewMs: c.clockSkewMs ?? 0,
        members: c.members ?? null,
      });
    }
  });
  const byName = new Map<string, ClusterPlan>();
  for (const c of clusters) {
    if (byName.has(c.name)) problems.push(`clusters: the name "${c.name}" is used twice (cluster names are unique across the system)`);
    byName.set(c.name, c);
  }
  spec.faults.forEach((f, index) => {
    const target = byName.get(f.cluster);
    if (!target) {
      const known = [...byName.keys()];
      problems.push(`faults[${index}].cluster: no cluster named "${f.cluster}" (clusters: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''})`);
    }
    if (f.at !== undefined && f.onTask !== undefined) problems.push(`faults[${index}]: give "at" or "onTask", not both`);
  });
  if (problems.length > 0) throw new ScenarioError(source, problems);
  return {
    name: spec.name ?? source,
    description: spec.description ?? '',
    profile: spec.profile,
    statsIntervalMs: spec.statsIntervalMs ?? null,
    seed: spec.seed ?? null,
    clusters,
    faults: spec.faults,
    totalWorkers: clusters.reduce((n, c) => n + c.size, 0),
  };
}

/** Validates one programmatic fault (same rules as a scenario's), with errors naming the path. */
export function parseFault(input: unknown): Fault {
  const parsed = FaultSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`not a valid fault: ${parsed.error.issues.map((i) => `${formatPath(i.path, 'fault')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The bundled scenario names (simulator/scenarios/*.json). */
export function listScenarios(): string[] {
  if (!existsSync(SCENARIO_DIR)) return [];
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A bundled scenario by name (`default`, `large`), or a JSON file by path. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const bundled = /^[\w-]+$/.test(nameOrPath) ? resolve(SCENARIO_DIR, `${nameOrPath}.json`) : null;
  const file = bundled && existsSync(bundled) ? bundled : resolve(nameOrPath);
  if (!existsSync(file)) {
    throw new Error(`no scenario "${nameOrPath}": not a bundled one (${listScenarios().join(', ')}) and no file ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`scenario ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseScenario(json, bundled === file ? `scenario "${nameOrPath}"` : file);
}

function formatPath(path: readonly PropertyKey[], root = ''): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(root)';
}
