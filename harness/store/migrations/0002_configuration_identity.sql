CREATE TABLE `benchmarks` (
	`id` text PRIMARY KEY NOT NULL,
	`origin` text NOT NULL,
	`declaration` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_results` (
	`cell_id` text NOT NULL,
	`benchmark` text NOT NULL,
	`ood` text NOT NULL,
	`modalities` text NOT NULL,
	`recipe` text NOT NULL,
	`scorer` text NOT NULL,
	`scorer_key` text NOT NULL,
	`scorer_settings` text NOT NULL,
	`scorer_code` text NOT NULL,
	`config_key` text NOT NULL,
	`is_default` integer NOT NULL,
	`seed` integer NOT NULL,
	`split` integer NOT NULL,
	`fpr95` real NOT NULL,
	`auroc` real NOT NULL,
	`aupr_in` real NOT NULL,
	`aupr_out` real NOT NULL,
	`id_acc` real NOT NULL,
	PRIMARY KEY(`cell_id`, `scorer_key`, `ood`),
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "results_fpr95" CHECK("__new_results"."fpr95" between 0 and 1),
	CONSTRAINT "results_auroc" CHECK("__new_results"."auroc" between 0 and 1),
	CONSTRAINT "results_aupr_in" CHECK("__new_results"."aupr_in" between 0 and 1),
	CONSTRAINT "results_aupr_out" CHECK("__new_results"."aupr_out" between 0 and 1),
	CONSTRAINT "results_id_acc" CHECK("__new_results"."id_acc" between 0 and 1)
);
--> statement-breakpoint
-- Rows written before configurations were recorded: the scorer settings come from the cell's
-- config, the code version is unknown ("legacy"), and the configuration is the cell's config
-- without seed and split, so older rows still never pool two configurations; none is ranked.
INSERT INTO `__new_results`("cell_id", "benchmark", "ood", "modalities", "recipe", "scorer", "scorer_key", "scorer_settings", "scorer_code", "config_key", "is_default", "seed", "split", "fpr95", "auroc", "aupr_in", "aupr_out", "id_acc") SELECT r."cell_id", r."benchmark", r."ood", r."modalities", r."recipe", r."scorer", 'legacy:' || r."scorer", coalesce(json_extract(c."config", '$.scorers.' || r."scorer"), '{}'), 'legacy', 'legacy:' || r."scorer" || ':' || json_remove(c."config", '$.seed', '$.split', '$.scorers'), 0, r."seed", r."split", r."fpr95", r."auroc", r."aupr_in", r."aupr_out", r."id_acc" FROM `results` r JOIN `cells` c ON c."id" = r."cell_id";--> statement-breakpoint
DROP TABLE `results`;--> statement-breakpoint
ALTER TABLE `__new_results` RENAME TO `results`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `results_board` ON `results` (`benchmark`,`modalities`,`recipe`,`scorer`,`ood`);--> statement-breakpoint
CREATE INDEX `results_config` ON `results` (`config_key`);