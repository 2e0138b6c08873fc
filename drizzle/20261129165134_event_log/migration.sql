CREATE TABLE "event_log" (
	"position" bigint PRIMARY KEY,
	"topic" text NOT NULL,
	"cluster_id" uuid,
	"payload" json NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_log_head" (
	"id" integer PRIMARY KEY,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "event_log_cluster_idx" ON "event_log" ("cluster_id","position");