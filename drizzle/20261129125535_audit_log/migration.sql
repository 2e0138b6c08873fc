CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_token_id" uuid,
	"actor_name" text NOT NULL,
	"actor_role" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"args" jsonb,
	"outcome" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "enrolled_by_token_id" uuid;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" ("at");--> statement-breakpoint
CREATE INDEX "audit_log_actor_name_idx" ON "audit_log" ("actor_name","id");--> statement-breakpoint
CREATE INDEX "audit_log_actor_token_idx" ON "audit_log" ("actor_token_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" ("action","id");--> statement-breakpoint
-- Clusters registered before bindings existed stay with the enrollment token of their latest session (hand-written: keep it if this migration is regenerated).
UPDATE "clusters" SET "enrolled_by_token_id" = (SELECT s."enrollment_token_id" FROM "manager_sessions" s WHERE s."cluster_id" = "clusters"."id" ORDER BY s."created_at" DESC LIMIT 1);
