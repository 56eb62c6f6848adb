/** The results store: open it, query it, merge shards, compare contents. */
export type * from './contract.ts';
export { openStore, writeCell, modalitiesKey, MIGRATIONS_FOLDER, type Store, type StoreDb, type OpenStoreOptions } from './store.ts';
export { createQueries, meanStd, sameModalitySet, METRICS, AVERAGE_OOD, type StoreQueries, type LeaderboardRow, type ResultFilter, type CellFilter, type MeanStd, type Metric, type Page, type ResultItem, type RunItem, type CellItem } from './queries.ts';
export { mergeStores, type MergeReport } from './merge.ts';
export { storeContent, type CellContent } from './content.ts';
