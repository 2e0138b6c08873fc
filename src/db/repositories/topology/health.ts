/**
 * A cluster's health (API.md's rules) as SQL: the one definition every topology read shares.
 */
import { sql } from 'drizzle-orm';

/**
 * The health of cluster c over its manager m and its aggregates wc (total, running: AGGREGATES_JOIN
 * of ./aggregates.ts; null when the cluster has no row yet): UNREACHABLE without a connected manager, else UNAVAILABLE with
 * no worker RUNNING, HEALTHY with every one RUNNING, DEGRADED otherwise.
 */
export const HEALTH = `(case when m.id is null or not m.connected then 'UNREACHABLE' when coalesce(wc.running, 0) = 0 then 'UNAVAILABLE'
  when wc.running = wc.total then 'HEALTHY' else 'DEGRADED' end)`;
export const healthSql = sql.raw(HEALTH);
