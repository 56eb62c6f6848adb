PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_diagnostics` (
	`cell_id` text PRIMARY KEY NOT NULL,
	`l_id` real,
	`l_ood` text NOT NULL,
	`curve` text NOT NULL,
	`best_epoch` integer NOT NULL,
	`histograms` text NOT NULL,
	`skipped` text DEFAULT '[]' NOT NULL,
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_diagnostics`("cell_id", "l_id", "l_ood", "curve", "best_epoch", "histograms") SELECT "cell_id", "l_id", "l_ood", "curve", "best_epoch", "histograms" FROM `diagnostics`;--> statement-breakpoint
DROP TABLE `diagnostics`;--> statement-breakpoint
ALTER TABLE `__new_diagnostics` RENAME TO `diagnostics`;--> statement-breakpoint
PRAGMA foreign_keys=ON;