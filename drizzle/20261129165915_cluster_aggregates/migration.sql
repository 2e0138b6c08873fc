CREATE TABLE "cluster_aggregates" (
	"cluster_id" uuid PRIMARY KEY,
	"total" integer DEFAULT 0 NOT NULL,
	"starting" integer DEFAULT 0 NOT NULL,
	"running" integer DEFAULT 0 NOT NULL,
	"stopping" integer DEFAULT 0 NOT NULL,
	"stopped" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"sampled" integer DEFAULT 0 NOT NULL,
	"cpu_percent_sum" double precision DEFAULT 0 NOT NULL,
	"memory_mb" double precision DEFAULT 0 NOT NULL,
	"requests_per_sec" double precision DEFAULT 0 NOT NULL,
	"errors_per_sec" double precision DEFAULT 0 NOT NULL,
	"stats_min_at" timestamp with time zone,
	"stats_max_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "cluster_aggregates" ADD CONSTRAINT "cluster_aggregates_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;--> statement-breakpoint
-- Hand-written backfill: the aggregates of the clusters that exist (src/db/repositories/topology/aggregates.ts
-- recomputes a cluster's row the same way whenever its workers change). Fresh: sampled in the last 5 minutes.
INSERT INTO "cluster_aggregates" ("cluster_id", "total", "starting", "running", "stopping", "stopped", "failed", "sampled",
  "cpu_percent_sum", "memory_mb", "requests_per_sec", "errors_per_sec", "stats_min_at", "stats_max_at")
SELECT c."id", count(w."id")::int,
  (count(w."id") FILTER (WHERE w."state" = 'STARTING'))::int, (count(w."id") FILTER (WHERE w."state" = 'RUNNING'))::int,
  (count(w."id") FILTER (WHERE w."state" = 'STOPPING'))::int, (count(w."id") FILTER (WHERE w."state" = 'STOPPED'))::int,
  (count(w."id") FILTER (WHERE w."state" = 'FAILED'))::int,
  (count(w."id") FILTER (WHERE w."fresh"))::int,
  coalesce(sum(w."cpu_percent") FILTER (WHERE w."fresh"), 0), coalesce(sum(w."memory_mb") FILTER (WHERE w."fresh"), 0),
  coalesce(sum(w."requests_per_sec") FILTER (WHERE w."fresh"), 0), coalesce(sum(w."errors_per_sec") FILTER (WHERE w."fresh"), 0),
  min(w."stats_at") FILTER (WHERE w."fresh"), max(w."stats_at") FILTER (WHERE w."fresh")
FROM "clusters" c
LEFT JOIN (SELECT *, "stats_at" >= now() - interval '5 minutes' AS "fresh" FROM "workers") w ON w."cluster_id" = c."id"
GROUP BY c."id"
ON CONFLICT ("cluster_id") DO NOTHING;
