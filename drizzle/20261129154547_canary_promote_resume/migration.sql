ALTER TABLE "commands" ADD COLUMN "promoted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "commands" ADD COLUMN "resumed_at" timestamp with time zone;