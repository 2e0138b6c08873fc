ALTER TABLE "clusters" ADD COLUMN "sort_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "clusters_sort_idx" ON "clusters" ("sort_key" collate "C","name" collate "C");