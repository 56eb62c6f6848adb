import { asc } from 'drizzle-orm';
import type { CellConfig } from './contract.ts';
import * as schema from './schema.ts';
import { openStore } from './store.ts';

export interface CellContent {
  readonly id: string;
  readonly config: CellConfig;
  readonly status: 'done' | 'failed';
  readonly error: string | null;
  readonly results: readonly {
    readonly scorer: string;
    readonly ood: string;
    readonly fpr95: number;
    readonly auroc: number;
    readonly auprIn: number;
    readonly auprOut: number;
    readonly idAcc: number;
  }[];
  readonly diagnostics: {
    readonly lId: number | null;
    readonly lOod: unknown;
    /** per-epoch records without their wall-clock `seconds` */
    readonly curve: unknown[];
    readonly bestEpoch: number;
    readonly histograms: unknown;
    readonly skipped: unknown;
  } | null;
}

/**
 * What a store holds that does not depend on when, where or in how many shards it was computed:
 * cells sorted by id with their results sorted by (scorer, ood) and their diagnostics, without
 * runs, run ids, timestamps, durations or per-epoch seconds. Two stores hold the same results iff
 * their contents are deep-equal.
 */
export function storeContent(path: string): CellContent[] {
  const store = openStore(path, { readonly: true });
  try {
    const { db } = store;
    const cells = db.select().from(schema.cells).orderBy(asc(schema.cells.id)).all();
    const results = db.select().from(schema.results).orderBy(asc(schema.results.cellId), asc(schema.results.scorer), asc(schema.results.ood)).all();
    const diags = new Map(db.select().from(schema.diagnostics).all().map((d) => [d.cellId, d]));
    const byCell = new Map<string, CellContent['results'][number][]>();
    for (const r of results) {
      const list = byCell.get(r.cellId) ?? [];
      list.push({ scorer: r.scorer, ood: r.ood, fpr95: r.fpr95, auroc: r.auroc, auprIn: r.auprIn, auprOut: r.auprOut, idAcc: r.idAcc });
      byCell.set(r.cellId, list);
    }
    return cells.map((c) => {
      const d = diags.get(c.id);
      return {
        id: c.id,
        config: c.config,
        status: c.status,
        error: c.error,
        results: byCell.get(c.id) ?? [],
        diagnostics: d
          ? {
              lId: d.lId,
              lOod: d.lOod,
              curve: d.curve.map(({ seconds: _, ...rest }) => rest),
              bestEpoch: d.bestEpoch,
              histograms: d.histograms,
              skipped: d.skipped,
            }
          : null,
      };
    });
  } finally {
    store.close();
  }
}
