CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"role" text NOT NULL,
	"cluster_name" text,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "cluster_stats" (
	"cluster_id" uuid,
	"bucket" timestamp with time zone,
	"snapshots" integer NOT NULL,
	"cpu_percent" double precision NOT NULL,
	"memory_mb" double precision NOT NULL,
	"requests_per_sec" double precision NOT NULL,
	"errors_per_sec" double precision NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cluster_stats_pkey" PRIMARY KEY("cluster_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "clusters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "command_events" (
	"id" bigserial PRIMARY KEY,
	"command_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"state" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "command_steps" (
	"command_id" uuid,
	"index" integer,
	"member_id" text NOT NULL,
	"state" text NOT NULL,
	"message" text,
	"task_id" uuid,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "command_steps_pkey" PRIMARY KEY("command_id","index")
);
--> statement-breakpoint
CREATE TABLE "commands" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"cluster_id" uuid,
	"parent_id" uuid,
	"strategy" jsonb NOT NULL,
	"artifact" jsonb,
	"kinds" jsonb,
	"max_parallel_clusters" integer,
	"operation" text,
	"arguments" jsonb,
	"result" jsonb,
	"requested_by" text NOT NULL,
	"message" text,
	"pause_requested" boolean DEFAULT false NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"accepted_failures" integer DEFAULT 0 NOT NULL,
	"wake_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "manager_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"manager_id" uuid NOT NULL,
	"cluster_id" uuid NOT NULL,
	"enrollment_token_id" uuid,
	"token_name" text NOT NULL,
	"token_hash" text NOT NULL,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "manager_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"command_id" uuid NOT NULL,
	"cluster_id" uuid NOT NULL,
	"action" text NOT NULL,
	"member_ids" jsonb DEFAULT '[]' NOT NULL,
	"artifact" jsonb,
	"operation" text,
	"arguments" jsonb,
	"state" text NOT NULL,
	"message" text,
	"result" jsonb,
	"deliveries" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "managers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"cluster_id" uuid NOT NULL,
	"host" text NOT NULL,
	"url" text NOT NULL,
	"version" text,
	"operations" jsonb DEFAULT '[]' NOT NULL,
	"connected" boolean DEFAULT true NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"cluster_id" uuid NOT NULL,
	"member_id" text NOT NULL,
	"host" text NOT NULL,
	"port" integer,
	"state" text NOT NULL,
	"started_at" timestamp with time zone,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"artifacts" jsonb DEFAULT '[]' NOT NULL,
	"stats_at" timestamp with time zone,
	"cpu_percent" double precision,
	"memory_mb" double precision,
	"requests_per_sec" double precision,
	"errors_per_sec" double precision
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_idx" ON "api_tokens" ("token_hash");--> statement-breakpoint
CREATE INDEX "cluster_stats_bucket_idx" ON "cluster_stats" ("bucket");--> statement-breakpoint
CREATE UNIQUE INDEX "clusters_name_idx" ON "clusters" ("name");--> statement-breakpoint
CREATE INDEX "clusters_kind_idx" ON "clusters" ("kind");--> statement-breakpoint
CREATE INDEX "command_events_command_idx" ON "command_events" ("command_id","id");--> statement-breakpoint
CREATE INDEX "commands_cluster_idx" ON "commands" ("cluster_id","created_at");--> statement-breakpoint
CREATE INDEX "commands_parent_idx" ON "commands" ("parent_id");--> statement-breakpoint
CREATE INDEX "commands_state_idx" ON "commands" ("state");--> statement-breakpoint
CREATE INDEX "commands_created_idx" ON "commands" ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "commands_one_active_rollout_idx" ON "commands" ("cluster_id") WHERE "state" in ('PENDING','RUNNING','PAUSED') and "kind" in ('RESTART','DEPLOY');--> statement-breakpoint
CREATE UNIQUE INDEX "manager_sessions_hash_idx" ON "manager_sessions" ("token_hash");--> statement-breakpoint
CREATE INDEX "manager_sessions_cluster_idx" ON "manager_sessions" ("cluster_id");--> statement-breakpoint
CREATE INDEX "manager_tasks_cluster_state_idx" ON "manager_tasks" ("cluster_id","state");--> statement-breakpoint
CREATE INDEX "manager_tasks_command_idx" ON "manager_tasks" ("command_id");--> statement-breakpoint
CREATE UNIQUE INDEX "managers_cluster_idx" ON "managers" ("cluster_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workers_cluster_member_idx" ON "workers" ("cluster_id","member_id");--> statement-breakpoint
CREATE INDEX "workers_cluster_state_idx" ON "workers" ("cluster_id","state");--> statement-breakpoint
ALTER TABLE "cluster_stats" ADD CONSTRAINT "cluster_stats_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "command_events" ADD CONSTRAINT "command_events_command_id_commands_id_fkey" FOREIGN KEY ("command_id") REFERENCES "commands"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "command_steps" ADD CONSTRAINT "command_steps_command_id_commands_id_fkey" FOREIGN KEY ("command_id") REFERENCES "commands"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "commands" ADD CONSTRAINT "commands_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "manager_sessions" ADD CONSTRAINT "manager_sessions_manager_id_managers_id_fkey" FOREIGN KEY ("manager_id") REFERENCES "managers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "manager_sessions" ADD CONSTRAINT "manager_sessions_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "manager_tasks" ADD CONSTRAINT "manager_tasks_command_id_commands_id_fkey" FOREIGN KEY ("command_id") REFERENCES "commands"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "manager_tasks" ADD CONSTRAINT "manager_tasks_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "managers" ADD CONSTRAINT "managers_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_cluster_id_clusters_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE;