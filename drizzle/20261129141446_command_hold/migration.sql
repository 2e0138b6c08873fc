ALTER TABLE "commands" ADD COLUMN "pause_requested_by" text;--> statement-breakpoint
ALTER TABLE "commands" ADD COLUMN "hold" jsonb;--> statement-breakpoint
-- Commands already waiting when this runs: their hold, from what the planners wrote before holds were data.
UPDATE "commands" SET "hold" = jsonb_build_object(
  'reason', CASE WHEN "state" = 'RUNNING' THEN 'MANAGER_UNREACHABLE' WHEN "message" LIKE 'paused: %' THEN 'FAILURE_BUDGET' ELSE 'OPERATOR' END,
  'since', to_jsonb("updated_at"),
  'by', NULL
) WHERE ("state" = 'RUNNING' AND "message" = 'waiting: manager unreachable') OR "state" = 'PAUSED';
