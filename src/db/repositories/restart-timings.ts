/**
 * Observed restart times per cluster, computed from what the OC recorded of its own rollouts:
 * each SUCCEEDED step of a RESTART or DEPLOY (a PATCH's children included) took from its batch's
 * task being handed over (step startedAt) to the OC seeing its worker RUNNING again as a new
 * process (step finishedAt), less the command's `minHealthyMs` soak (the preview adds the soak
 * of the strategy it is asked about). Nothing is stored apart: the figures follow the history.
 */
import { sql } from 'drizzle-orm';
import { ROLLOUT_KINDS } from '../../domain/rollout/kinds.js';
import type { Db } from '../client.js';
import { queryRows } from '../query.js';

/** How many of a cluster's latest rollouts are looked at. */
const RECENT_COMMANDS = 20;

/**
 * The latest `perCluster` restart durations (ms) of each cluster, newest first, in one statement:
 * the cluster's last rollouts by the (cluster_id, created_at) index, then their succeeded steps.
 */
export async function listRecentRestartDurations(db: Db, clusterIds: readonly string[], perCluster: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(clusterIds.map((id) => [id, []]));
  if (clusterIds.length === 0) return out;
  const rows = await queryRows<{ cluster_id: string; ms: number | string }>(
    db,
    sql`select c.id as cluster_id, d.ms from unnest(${sql.param([...new Set(clusterIds)])}::uuid[]) as c(id)
    cross join lateral (
      select greatest(0, extract(epoch from (s.finished_at - s.started_at)) * 1000 - coalesce((cm.strategy->>'minHealthyMs')::float8, 0))::float8 as ms
      from (select id, strategy from commands where cluster_id = c.id and kind = any(${sql.param([...ROLLOUT_KINDS])}::text[])
            order by created_at desc limit ${RECENT_COMMANDS}) cm
      join command_steps s on s.command_id = cm.id
      where s.state = 'SUCCEEDED' and s.started_at is not null and s.finished_at is not null
      order by s.finished_at desc limit ${perCluster}
    ) d`,
  );
  for (const r of rows) out.get(r.cluster_id)?.push(Math.round(Number(r.ms)));
  return out;
}
