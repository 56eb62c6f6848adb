/**
 * Where datasets and derived features live on this machine.
 *
 * - Data folder (read only by the harness): `--data-dir`, else env `MULTIOOD_DATA`, else
 *   `~/.multiood/data`. One sub-folder per dataset, e.g. `<dataDir>/utd-mhad/{Inertial,Skeleton,Depth}`.
 * - Cache folder (derived features, safe to delete): env `MULTIOOD_CACHE`, else `~/.cache/multiood`.
 *   Never the data folder: that may be a read-only share (CI mounts ../shared read-only).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** The data folder: the flag, else $MULTIOOD_DATA, else ~/.multiood/data (absolute). */
export function resolveDataDir(flag?: string, env: Env = process.env): string {
  const chosen = nonEmpty(flag) ?? nonEmpty(env.MULTIOOD_DATA) ?? join(homedir(), '.multiood', 'data');
  return resolve(expandHome(chosen));
}

/** The cache folder for derived features: $MULTIOOD_CACHE, else ~/.cache/multiood (absolute). */
export function cacheDir(env: Env = process.env): string {
  return resolve(expandHome(nonEmpty(env.MULTIOOD_CACHE) ?? join(homedir(), '.cache', 'multiood')));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** `~` and `~/x` as a shell would expand them (a flag value passed in quotes reaches us unexpanded). */
function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}
