import { and, asc, count, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite';
import { configurationDifferences } from '../identity/configuration.ts';
import type { CellConfig, CellDiagnostics, RunMeta } from './contract.ts';
import * as schema from './schema.ts';

type Db = BunSQLiteDatabase<typeof schema>;

export const METRICS = ['fpr95', 'auroc', 'auprIn', 'auprOut', 'idAcc'] as const;
export type Metric = (typeof METRICS)[number];

/** The OOD column of the Far-OOD average row. */
export const AVERAGE_OOD = 'average';

export interface ResultFilter {
  readonly benchmark?: string;
  readonly recipe?: string;
  /** a modality set, in any order */
  readonly modalities?: readonly string[];
  readonly scorer?: string;
  readonly ood?: string;
  readonly seed?: number;
  readonly split?: number;
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export interface MeanStd {
  readonly mean: number;
  /** sample standard deviation (n - 1); null when n < 2 */
  readonly std: number | null;
}

export interface LeaderboardRow extends Record<Metric, MeanStd> {
  readonly benchmark: string;
  /** modality names joined by '+' */
  readonly modalities: string;
  readonly recipe: string;
  readonly scorer: string;
  /** an OOD set, or 'average' (Far-OOD: per cell mean over OOD sets, then over seeds and splits) */
  readonly ood: string;
  /** cells (seeds x splits) aggregated */
  readonly n: number;
  /** the configuration the row pools (seeds and splits of one configuration only) */
  readonly configuration: ConfigurationInfo;
}

export interface ConfigurationInfo {
  readonly key: string;
  /** default training and scorer settings on the default backend */
  readonly isDefault: boolean;
  /** the configuration the leaderboard ranks for this (benchmark, modalities, recipe, scorer) */
  readonly ranked: boolean;
  /** training config, backend, code versions, data fingerprint, scorer settings */
  readonly settings: Readonly<Record<string, unknown>>;
  /** what differs from the ranked configuration (empty for the ranked one; all of it when none is ranked) */
  readonly differences: readonly string[];
}

export interface LeaderboardOptions {
  /** 'ranked' (default): only each group's ranked configuration; 'all': every configuration, with its differences */
  readonly configurations?: 'ranked' | 'all';
}

export interface ResultItem {
  readonly cellId: string;
  readonly benchmark: string;
  readonly modalities: string;
  readonly recipe: string;
  readonly scorer: string;
  readonly ood: string;
  readonly seed: number;
  readonly split: number;
  readonly fpr95: number;
  readonly auroc: number;
  readonly auprIn: number;
  readonly auprOut: number;
  readonly idAcc: number;
  /** the configuration the row belongs to (LeaderboardRow.configuration.key) */
  readonly configKey: string;
  readonly isDefault: boolean;
  /** the scorer's resolved settings and code version (the cell's config holds training, backend, data) */
  readonly scorerSettings: Readonly<Record<string, unknown>>;
  readonly scorerCode: string;
}

/** A run's provenance (RunMeta) as stored, with its end time and cell count. */
export interface RunItem extends RunMeta {
  readonly id: number;
  readonly endedAt: string | null;
  readonly cells: number;
}

export interface CellItem {
  readonly id: string;
  readonly config: CellConfig;
  readonly status: 'done' | 'failed';
  readonly startedAt: string;
  readonly endedAt: string;
  readonly seconds: number;
  readonly error: string | null;
  readonly results: number;
  /** the run that committed the cell */
  readonly run: Omit<RunItem, 'cells'>;
}

export interface CellFilter {
  readonly benchmark?: string;
  readonly recipe?: string;
  readonly modalities?: readonly string[];
  readonly status?: 'done' | 'failed';
  readonly runId?: number;
}

/** Modality sets compare as sets: 'video+flow' and 'flow+video' are one set. */
export function sameModalitySet(stored: string, asked: readonly string[]): boolean {
  const a = new Set(asked);
  const s = stored.split('+');
  return s.length === a.size && s.every((m) => a.has(m));
}

export function meanStd(xs: readonly number[]): MeanStd {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null };
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

export function createQueries(db: Db) {
  const r = schema.results;
  const c = schema.cells;

  /**
   * The stored spellings (benchmark order) of an asked modality set, looked up among the
   * distinct stored values: linear in what is stored, never in the permutations of what is asked.
   */
  function storedModalityKeys(asked: readonly string[]): string[] {
    const stored = db.selectDistinct({ m: c.modalities }).from(c).all().map((x) => x.m);
    return stored.filter((m) => sameModalitySet(m, asked));
  }

  function resultConditions(f: ResultFilter): SQL[] {
    const conds: SQL[] = [eq(c.status, 'done')];
    if (f.benchmark !== undefined) conds.push(eq(r.benchmark, f.benchmark));
    if (f.recipe !== undefined) conds.push(eq(r.recipe, f.recipe));
    if (f.modalities !== undefined) conds.push(inArray(r.modalities, storedModalityKeys(f.modalities)));
    if (f.scorer !== undefined) conds.push(eq(r.scorer, f.scorer));
    if (f.ood !== undefined) conds.push(eq(r.ood, f.ood));
    if (f.seed !== undefined) conds.push(eq(r.seed, f.seed));
    if (f.split !== undefined) conds.push(eq(r.split, f.split));
    return conds;
  }

  const resultColumns = {
    cellId: r.cellId,
    benchmark: r.benchmark,
    modalities: r.modalities,
    recipe: r.recipe,
    scorer: r.scorer,
    ood: r.ood,
    seed: r.seed,
    split: r.split,
    fpr95: r.fpr95,
    auroc: r.auroc,
    auprIn: r.auprIn,
    auprOut: r.auprOut,
    idAcc: r.idAcc,
    configKey: r.configKey,
    isDefault: r.isDefault,
    scorerSettings: r.scorerSettings,
    scorerCode: r.scorerCode,
  };

  const runColumns = {
    id: schema.runs.id,
    command: schema.runs.command,
    gitCommit: schema.runs.gitCommit,
    harnessVersion: schema.runs.harnessVersion,
    backend: schema.runs.backend,
    machine: schema.runs.machine,
    shard: schema.runs.shard,
    startedAt: schema.runs.startedAt,
    endedAt: schema.runs.endedAt,
  };

  return {
    /** Results of successfully finished cells, ordered by grid coordinates. */
    results(filter: ResultFilter = {}, page?: Page): { total: number; items: ResultItem[] } {
      const where = and(...resultConditions(filter));
      const total = db.select({ n: count() }).from(r).innerJoin(c, eq(c.id, r.cellId)).where(where).get()?.n ?? 0;
      let q = db
        .select(resultColumns)
        .from(r)
        .innerJoin(c, eq(c.id, r.cellId))
        .where(where)
        .orderBy(asc(r.benchmark), asc(r.modalities), asc(r.recipe), asc(r.scorer), asc(r.ood), asc(r.seed), asc(r.split), asc(r.cellId))
        .$dynamic();
      if (page) q = q.limit(page.limit).offset(page.offset);
      return { total, items: q.all() };
    },

    /**
     * Mean and sample standard deviation over seeds and splits of every metric, per (benchmark,
     * modalities, recipe, scorer, OOD set), plus a Far-OOD 'average' row where a group has several
     * OOD sets (each cell's mean over its OOD sets, then mean/std over cells).
     */
    leaderboard(filter: Omit<ResultFilter, 'ood' | 'seed' | 'split'> = {}, options: LeaderboardOptions = {}): LeaderboardRow[] {
      const rows = db
        .select({ ...resultColumns, config: c.config, endedAt: c.endedAt })
        .from(r)
        .innerJoin(c, eq(c.id, r.cellId))
        .where(and(...resultConditions(filter)))
        .all();
      type Row = (typeof rows)[number];
      // One group per configuration: never a mean over two configurations.
      const groups = new Map<string, Row[]>();
      for (const row of rows) {
        const key = JSON.stringify([row.benchmark, row.modalities, row.recipe, row.scorer, row.configKey]);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        g.push(row);
      }
      const settingsOf = (row: Row): Record<string, unknown> => {
        const cfg = row.config as Partial<CellConfig>;
        return {
          dataFingerprint: cfg.dataFingerprint ?? null,
          training: cfg.training ?? null,
          backend: cfg.backend ?? null,
          trainingCode: cfg.trainingCode ?? 'legacy',
          scorerSettings: row.scorerSettings,
          scorerCode: row.scorerCode,
        };
      };
      // The ranked configuration of each (benchmark, modalities, recipe, scorer): the default
      // one, and among default ones (several code versions or data) the most recently computed.
      const ranked = new Map<string, { key: string; settings: Record<string, unknown> }>();
      const latest = new Map<string, string>();
      for (const g of groups.values()) {
        const first = g[0]!;
        if (!first.isDefault) continue;
        const slot = JSON.stringify([first.benchmark, first.modalities, first.recipe, first.scorer]);
        const ended = g.reduce((m, x) => (x.endedAt > m ? x.endedAt : m), '');
        if (!ranked.has(slot) || ended > latest.get(slot)!) {
          ranked.set(slot, { key: first.configKey, settings: settingsOf(first) });
          latest.set(slot, ended);
        }
      }
      const aggregate = (first: Row, ood: string, items: readonly Record<Metric, number>[], configuration: ConfigurationInfo): LeaderboardRow => {
        const metrics = Object.fromEntries(METRICS.map((m) => [m, meanStd(items.map((i) => i[m]))])) as Record<Metric, MeanStd>;
        return { benchmark: first.benchmark, modalities: first.modalities, recipe: first.recipe, scorer: first.scorer, ood, n: items.length, ...metrics, configuration };
      };
      const out: LeaderboardRow[] = [];
      for (const g of groups.values()) {
        const first = g[0]!;
        const slot = ranked.get(JSON.stringify([first.benchmark, first.modalities, first.recipe, first.scorer]));
        const isRanked = slot?.key === first.configKey;
        if (!isRanked && options.configurations !== 'all') continue;
        const settings = settingsOf(first);
        const configuration: ConfigurationInfo = {
          key: first.configKey,
          isDefault: first.isDefault,
          ranked: isRanked,
          settings,
          differences: isRanked ? [] : slot ? configurationDifferences(settings, slot.settings) : ['no default configuration of this method was run'],
        };
        const byOod = new Map<string, Row[]>();
        const byCell = new Map<string, Row[]>();
        for (const row of g) {
          byOod.set(row.ood, [...(byOod.get(row.ood) ?? []), row]);
          byCell.set(row.cellId, [...(byCell.get(row.cellId) ?? []), row]);
        }
        for (const ood of [...byOod.keys()].sort()) out.push(aggregate(first, ood, byOod.get(ood)!, configuration));
        if (byOod.size > 1) {
          const perCell = [...byCell.values()].map(
            (items) => Object.fromEntries(METRICS.map((m) => [m, items.reduce((a, i) => a + i[m], 0) / items.length])) as Record<Metric, number>,
          );
          out.push(aggregate(first, AVERAGE_OOD, perCell, configuration));
        }
      }
      const order = (x: LeaderboardRow) => [x.benchmark, x.modalities, x.recipe, x.scorer, x.configuration.ranked ? '' : x.configuration.key];
      return out.sort((a, b) => {
        const ka = order(a), kb = order(b);
        for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
        return 0; // OOD order within a group is already set (sets sorted, average last)
      });
    },

    runs(): RunItem[] {
      return db
        .select({ ...runColumns, cells: sql<number>`(select count(*) from "cells" where "cells"."run_id" = "runs"."id")` })
        .from(schema.runs)
        .orderBy(asc(schema.runs.id))
        .all();
    },

    cells(filter: CellFilter = {}, page?: Page): { total: number; items: CellItem[] } {
      const conds: SQL[] = [];
      if (filter.benchmark !== undefined) conds.push(eq(c.benchmark, filter.benchmark));
      if (filter.recipe !== undefined) conds.push(eq(c.recipe, filter.recipe));
      if (filter.modalities !== undefined) conds.push(inArray(c.modalities, storedModalityKeys(filter.modalities)));
      if (filter.status !== undefined) conds.push(eq(c.status, filter.status));
      if (filter.runId !== undefined) conds.push(eq(c.runId, filter.runId));
      const where = conds.length ? and(...conds) : undefined;
      const total = db.select({ n: count() }).from(c).where(where).get()?.n ?? 0;
      let q = db
        .select({
          id: c.id,
          config: c.config,
          status: c.status,
          startedAt: c.startedAt,
          endedAt: c.endedAt,
          seconds: c.seconds,
          error: c.error,
          results: sql<number>`(select count(*) from "results" where "results"."cell_id" = "cells"."id")`,
          run: runColumns,
        })
        .from(c)
        .innerJoin(schema.runs, eq(schema.runs.id, c.runId))
        .where(where)
        .orderBy(asc(c.benchmark), asc(c.modalities), asc(c.recipe), asc(c.seed), asc(c.split), asc(c.id))
        .$dynamic();
      if (page) q = q.limit(page.limit).offset(page.offset);
      return { total, items: q.all() };
    },

    /** The benchmarks runs recorded (declarations as the run saw them), by id. */
    benchmarks(): { id: string; origin: string; declaration: Record<string, unknown> }[] {
      return db.select({ id: schema.benchmarks.id, origin: schema.benchmarks.origin, declaration: schema.benchmarks.declaration }).from(schema.benchmarks).orderBy(asc(schema.benchmarks.id)).all();
    },

    /** The cell's diagnostics, `null` when it has none, `undefined` when there is no such cell. */
    diagnostics(cellId: string): CellDiagnostics | null | undefined {
      const cell = db.select({ id: c.id }).from(c).where(eq(c.id, cellId)).get();
      if (!cell) return undefined;
      const d = db.select().from(schema.diagnostics).where(eq(schema.diagnostics.cellId, cellId)).get();
      if (!d) return null;
      return { lId: d.lId, lOod: d.lOod, curve: d.curve, bestEpoch: d.bestEpoch, histograms: d.histograms, skipped: d.skipped };
    },
  };
}

export type StoreQueries = ReturnType<typeof createQueries>;
