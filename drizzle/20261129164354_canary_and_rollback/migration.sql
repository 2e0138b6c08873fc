ALTER TABLE "command_steps" ADD COLUMN "artifact" jsonb;--> statement-breakpoint
ALTER TABLE "commands" ADD COLUMN "rollback_of" uuid;--> statement-breakpoint
ALTER TABLE "commands" ADD COLUMN "promoted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "commands" ADD COLUMN "resumed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "commands_rollback_of_idx" ON "commands" ("rollback_of");--> statement-breakpoint
ALTER TABLE "commands" ADD CONSTRAINT "commands_rollback_of_commands_id_fkey" FOREIGN KEY ("rollback_of") REFERENCES "commands"("id") ON DELETE SET NULL;