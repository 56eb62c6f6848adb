import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { CellConfig, CellDiagnostics } from './contract.ts';

/**
 * The results database. Tables are generated into migrations (drizzle-kit generate, committed in
 * ./migrations) and applied when a store is opened. Results repeat the cell's grid coordinates
 * (benchmark, modalities, recipe, seed, split) so the leaderboard reads one table.
 */

/** One invocation of the harness (a shard of a sharded run is its own run). */
export const runs = sqliteTable('runs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  command: text('command').notNull(),
  gitCommit: text('git_commit'),
  harnessVersion: text('harness_version').notNull(),
  backend: text('backend').notNull(),
  machine: text('machine').notNull(),
  shard: text('shard'),
  startedAt: text('started_at').notNull(),
  endedAt: text('ended_at'),
});

/** One point of the grid: a trained model scored by every scorer. `id` is the hash of `config`. */
export const cells = sqliteTable(
  'cells',
  {
    id: text('id').primaryKey(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id),
    /** the CellConfig as JSON */
    config: text('config', { mode: 'json' }).$type<CellConfig>().notNull(),
    benchmark: text('benchmark').notNull(),
    /** modality names joined by '+', in the benchmark's concatenation order */
    modalities: text('modalities').notNull(),
    recipe: text('recipe').notNull(),
    seed: integer('seed').notNull(),
    split: integer('split').notNull(),
    status: text('status', { enum: ['done', 'failed'] }).notNull(),
    startedAt: text('started_at').notNull(),
    endedAt: text('ended_at').notNull(),
    seconds: real('seconds').notNull(),
    error: text('error'),
  },
  (t) => [
    check('cells_status', sql`${t.status} in ('done', 'failed')`),
    index('cells_grid').on(t.benchmark, t.modalities, t.recipe),
    index('cells_run').on(t.runId),
  ],
);

/** One (cell, scorer, OOD set) evaluation; metrics are fractions in [0, 1]. */
export const results = sqliteTable(
  'results',
  {
    cellId: text('cell_id')
      .notNull()
      .references(() => cells.id, { onDelete: 'cascade' }),
    benchmark: text('benchmark').notNull(),
    ood: text('ood').notNull(),
    modalities: text('modalities').notNull(),
    recipe: text('recipe').notNull(),
    scorer: text('scorer').notNull(),
    /** hash of the scorer and its resolved settings: one cell may be scored with several settings */
    scorerKey: text('scorer_key').notNull(),
    /** the scorer's resolved settings */
    scorerSettings: text('scorer_settings', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** version of the scorer's code (and the evaluation's) that computed the row */
    scorerCode: text('scorer_code').notNull(),
    /** the configuration the row belongs to: the cell's config minus seed and split, plus scorer settings and code */
    configKey: text('config_key').notNull(),
    /** whether the configuration is the benchmark's default (default training and scorer settings, default backend) */
    isDefault: integer('is_default', { mode: 'boolean' }).notNull(),
    seed: integer('seed').notNull(),
    split: integer('split').notNull(),
    fpr95: real('fpr95').notNull(),
    auroc: real('auroc').notNull(),
    auprIn: real('aupr_in').notNull(),
    auprOut: real('aupr_out').notNull(),
    idAcc: real('id_acc').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cellId, t.scorerKey, t.ood] }),
    check('results_fpr95', sql`${t.fpr95} between 0 and 1`),
    check('results_auroc', sql`${t.auroc} between 0 and 1`),
    check('results_aupr_in', sql`${t.auprIn} between 0 and 1`),
    check('results_aupr_out', sql`${t.auprOut} between 0 and 1`),
    check('results_id_acc', sql`${t.idAcc} between 0 and 1`),
    index('results_board').on(t.benchmark, t.modalities, t.recipe, t.scorer, t.ood),
    index('results_config').on(t.configKey),
  ],
);

/**
 * The benchmarks results were computed on, as declared when the run planned them (title,
 * setting, origin, classes, partitions...), so that the API and the site can describe a
 * user's declared benchmark without its folder.
 */
export const benchmarks = sqliteTable('benchmarks', {
  id: text('id').primaryKey(),
  origin: text('origin').notNull(),
  /** the declaration as the API serves it */
  declaration: text('declaration', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** Per-cell training diagnostics for the site (JSON columns). */
export const diagnostics = sqliteTable('diagnostics', {
  cellId: text('cell_id')
    .primaryKey()
    .references(() => cells.id, { onDelete: 'cascade' }),
  /** modality prediction discrepancy on ID test; null with one modality */
  lId: real('l_id'),
  /** OOD set -> l_OOD */
  lOod: text('l_ood', { mode: 'json' }).$type<CellDiagnostics['lOod']>().notNull(),
  /** per-epoch records */
  curve: text('curve', { mode: 'json' }).$type<CellDiagnostics['curve']>().notNull(),
  bestEpoch: integer('best_epoch').notNull(),
  /** scorer -> { edges, counts: set -> counts } */
  histograms: text('histograms', { mode: 'json' }).$type<CellDiagnostics['histograms']>().notNull(),
  /** scorers that could not run on the cell's model: [{ scorer, reason }] */
  skipped: text('skipped', { mode: 'json' }).$type<NonNullable<CellDiagnostics['skipped']>>().notNull().default([]),
});

/** Leaderboard submissions (filled later). */
export const submissions = sqliteTable('submissions', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  title: text('title').notNull(),
  payload: text('payload').notNull(),
  createdAt: text('created_at').notNull(),
});
