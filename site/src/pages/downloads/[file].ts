// Every table as static CSV and JSON (harness/site/downloads.ts), written next to the pages.
import type { APIRoute } from 'astro';
import { allDownloads, toCsv, toJson } from '../../../../harness/site/downloads.ts';
import { data, names } from '../../lib/data';

export function getStaticPaths() {
  return allDownloads(data, names).flatMap((t) => [
    { params: { file: `${t.slug}.csv` }, props: { body: toCsv(t) } },
    { params: { file: `${t.slug}.json` }, props: { body: toJson(t) } },
  ]);
}

export const GET: APIRoute = ({ params, props }) =>
  new Response((props as { body: string }).body, { headers: { 'Content-Type': params.file!.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/json' } });
