/**
 * `datasets fetch utd-mhad`: the official UTD-MHAD archives (Inertial.zip, Skeleton.zip,
 * Depth.zip), every extracted file checked against `utd-mhad.sha256.json`, installed as
 * `<dataDir>/utd-mhad/{Inertial,Skeleton,Depth}/...` (the layout datasets/utd-mhad reads).
 *
 * The manifest holds relative paths and SHA-256 hashes only; `make-utd-mhad-manifest.ts`
 * regenerates it from a verified copy of the dataset.
 */
import { fetchVerifiedArchives, Sha256ManifestSchema, type FetchArchivesResult, type Sha256Manifest } from './verified-archives.ts';
import manifestJson from './utd-mhad.sha256.json';

export const UTD_MHAD_ID = 'utd-mhad';
export const UTD_MHAD_DEFAULT_URL = 'https://www.utdallas.edu/~kehtar/UTD-MHAD/';
export const UTD_MHAD_ARCHIVES = ['Inertial', 'Skeleton', 'Depth'] as const;

export function utdMhadManifest(): Sha256Manifest {
  return Sha256ManifestSchema.parse(manifestJson);
}

/** --base-url, else $MULTIOOD_UTD_MHAD_URL, else the authors' page; always ending in '/'. */
export function utdMhadBaseUrl(flag?: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const chosen = [flag, env.MULTIOOD_UTD_MHAD_URL].find((v) => v !== undefined && v.trim() !== '') ?? UTD_MHAD_DEFAULT_URL;
  return chosen.endsWith('/') ? chosen : `${chosen}/`;
}

export interface FetchUtdMhadOptions {
  readonly dataDir: string;
  readonly baseUrl?: string;
  /** Default: the committed manifest (tests inject a subset). */
  readonly manifest?: Sha256Manifest;
  readonly onProgress?: (line: string) => void;
}

export async function fetchUtdMhad(o: FetchUtdMhadOptions): Promise<FetchArchivesResult> {
  const base = utdMhadBaseUrl(o.baseUrl);
  return fetchVerifiedArchives({
    name: UTD_MHAD_ID,
    dataDir: o.dataDir,
    archives: UTD_MHAD_ARCHIVES.map((folder) => ({ url: new URL(`${folder}.zip`, base).href, folder })),
    manifest: o.manifest ?? utdMhadManifest(),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}
