import type { CellConfig } from '../store/contract.ts';
import { cellIdOf } from '../identity/configuration.ts';

export { canonicalJson, sha256Hex } from '../identity/canonical.ts';

/** The cell's stable id: sha256 of its trained model's identity (harness/identity/configuration.ts). */
export function cellId(config: CellConfig): string {
  return cellIdOf(config);
}

/** The key of the trained model behind a cell (the outputs cache's file name): the cell id, since a cell is one trained model. */
export function trainingKey(config: CellConfig): string {
  return cellIdOf(config);
}
