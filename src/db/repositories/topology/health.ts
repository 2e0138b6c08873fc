/**
 * A cluster's health (API.md's rules) as SQL: the one definition every topology read shares.
 */
import { sql } from 'drizzle-orm';

/**
 * The health of cluster c over its manager m and its worker counts wc (total, running; null when
 * a left join found no workers): UNREACHABLE without a connected manager, else UNAVAILABLE with
 * no worker RUNNING, HEALTHY with every one RUNNING, DEGRADED otherwise.
 */
export const HEALTH = `(case when m.id is null or not m.connected then 'UNREACHABLE' when coalesce(wc.running, 0) = 0 then 'UNAVAILABLE'
  when wc.running = wc.total then 'HEALTHY' else 'DEGRADED' end)`;
export const healthSql = sql.raw(HEALTH);

/** Worker counts of cluster c as wc (total, running), for HEALTH. */
export const WORKER_COUNTS = `cross join lateral (select count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running
  from workers w where w.cluster_id = c.id) wc`;
