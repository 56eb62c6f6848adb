CREATE TABLE `cells` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` integer NOT NULL,
	`config` text NOT NULL,
	`benchmark` text NOT NULL,
	`modalities` text NOT NULL,
	`recipe` text NOT NULL,
	`seed` integer NOT NULL,
	`split` integer NOT NULL,
	`status` text NOT NULL,
	`started_at` text NOT NULL,
	`ended_at` text NOT NULL,
	`seconds` real NOT NULL,
	`error` text,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "cells_status" CHECK("cells"."status" in ('done', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `cells_grid` ON `cells` (`benchmark`,`modalities`,`recipe`);--> statement-breakpoint
CREATE INDEX `cells_run` ON `cells` (`run_id`);--> statement-breakpoint
CREATE TABLE `diagnostics` (
	`cell_id` text PRIMARY KEY NOT NULL,
	`l_id` real NOT NULL,
	`l_ood` text NOT NULL,
	`curve` text NOT NULL,
	`best_epoch` integer NOT NULL,
	`histograms` text NOT NULL,
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `results` (
	`cell_id` text NOT NULL,
	`benchmark` text NOT NULL,
	`ood` text NOT NULL,
	`modalities` text NOT NULL,
	`recipe` text NOT NULL,
	`scorer` text NOT NULL,
	`seed` integer NOT NULL,
	`split` integer NOT NULL,
	`fpr95` real NOT NULL,
	`auroc` real NOT NULL,
	`aupr_in` real NOT NULL,
	`aupr_out` real NOT NULL,
	`id_acc` real NOT NULL,
	PRIMARY KEY(`cell_id`, `scorer`, `ood`),
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "results_fpr95" CHECK("results"."fpr95" between 0 and 1),
	CONSTRAINT "results_auroc" CHECK("results"."auroc" between 0 and 1),
	CONSTRAINT "results_aupr_in" CHECK("results"."aupr_in" between 0 and 1),
	CONSTRAINT "results_aupr_out" CHECK("results"."aupr_out" between 0 and 1),
	CONSTRAINT "results_id_acc" CHECK("results"."id_acc" between 0 and 1)
);
--> statement-breakpoint
CREATE INDEX `results_board` ON `results` (`benchmark`,`modalities`,`recipe`,`scorer`,`ood`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`command` text NOT NULL,
	`git_commit` text,
	`harness_version` text NOT NULL,
	`backend` text NOT NULL,
	`machine` text NOT NULL,
	`shard` text,
	`started_at` text NOT NULL,
	`ended_at` text
);
--> statement-breakpoint
CREATE TABLE `submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL
);
