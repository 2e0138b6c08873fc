ALTER TABLE "command_steps" ADD COLUMN "baseline" jsonb;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "state_changes" integer DEFAULT 0 NOT NULL;