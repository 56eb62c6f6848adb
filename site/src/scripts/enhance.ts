/**
 * Progressive enhancement of the static pages (everything is readable without it):
 * - header buttons sort tables[data-sortable] and set aria-sort; the ranking's rank column is
 *   recomputed with the noise rule for the metric sorted by (harness/site/stats.ts), never left stale;
 * - the [data-controls] form: filters (modalities, recipe), a search over methods and a choice of
 *   metric columns, all kept in the URL (?recipe=a2d&q=knn&hide=idAcc), applied on load;
 * - a link to a section inside a closed <details> opens it.
 */
import { confidenceInterval, noiseRanks } from '../../../harness/site/stats.ts';

const num = (s: string | undefined | null) => (s === undefined || s === null || s === '' ? NaN : Number(s));
const live = document.querySelector<HTMLElement>('[data-live]');
const say = (msg: string) => {
  if (live) live.textContent = msg;
};

/** Rewrites the rank cells of a ranking table for the metric `key`, over the rows shown. */
function rerank(table: HTMLTableElement, key: string, label: string) {
  const th = table.querySelector<HTMLElement>('thead th[data-rank-label]');
  const rows = [...table.tBodies[0]!.rows].filter((r) => !r.classList.contains('is-filtered'));
  const cells = rows.map((r) => r.querySelector<HTMLElement>(`[data-key="${key}"]`));
  if (!th || cells.some((c) => !c || c.dataset.n === undefined)) return false;
  const lower = table.querySelector<HTMLElement>(`thead th[data-sort-key="${key}"]`)?.dataset.sortFirst === 'ascending';
  const est = cells.map((c) => {
    const mean = num(c!.dataset.sort);
    return { mean, ci: confidenceInterval(mean, c!.dataset.std === '' ? null : num(c!.dataset.std), num(c!.dataset.n)) };
  });
  const ranks = noiseRanks(est, lower);
  rows.forEach((r, i) => {
    const cell = r.querySelector<HTMLElement>('[data-key="rank"]');
    if (!cell) return;
    const { rank, tied } = ranks[i]!;
    cell.dataset.sort = String(rank);
    cell.dataset.tie = String(tied);
    cell.innerHTML = `${tied ? '<span class="tie" title="tied: intervals overlap">=</span>' : ''}${rank}`;
  });
  th.dataset.rankLabel = label;
  const span = th.querySelector('.rank-by');
  if (span) span.textContent = `by ${label}`;
  return true;
}

for (const table of document.querySelectorAll<HTMLTableElement>('table[data-sortable]')) {
  const body = table.tBodies[0];
  if (!body) continue;
  for (const th of table.querySelectorAll<HTMLElement>('thead th[data-sort-key]')) {
    const key = th.dataset.sortKey!;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.title = 'Sort by this column';
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener('click', () => {
      const current = th.getAttribute('aria-sort');
      const dir = current === 'ascending' ? 'descending' : current === 'descending' ? 'ascending' : th.dataset.sortFirst || 'ascending';
      for (const other of table.querySelectorAll('thead th[aria-sort]')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', dir);
      const value = (row: HTMLTableRowElement) => row.querySelector<HTMLElement>(`[data-key="${key}"]`)?.dataset.sort;
      const rows = [...body.rows];
      rows.sort((a, b) => {
        const va = value(a), vb = value(b);
        const na = num(va), nb = num(vb);
        if (va === undefined || (Number.isNaN(na) && !Number.isNaN(nb))) return 1;
        if (vb === undefined || (Number.isNaN(nb) && !Number.isNaN(na))) return -1;
        const d = !Number.isNaN(na) && !Number.isNaN(nb) ? na - nb : String(va).localeCompare(String(vb));
        return dir === 'ascending' ? d : -d;
      });
      body.append(...rows);
      table.dispatchEvent(new Event('sorted'));
      const label = th.dataset.label ?? th.textContent?.trim() ?? key;
      if (key !== 'rank') rerank(table, key, label);
      say(`${table.caption?.textContent?.trim() ?? 'Table'}: sorted by ${label}, ${dir}.`);
    });
  }
}

/** Long rankings show their top rows first (table[data-collapse]); filters, search or the button show the rest. */
const collapsers: (() => void)[] = [];
for (const table of document.querySelectorAll<HTMLTableElement>('table[data-collapse]')) {
  const limit = Number(table.dataset.collapse);
  const body = table.tBodies[0];
  if (!body || !(body.rows.length > limit + 5)) continue;
  let expanded = false;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'show-all';
  const apply = () => {
    const filtering = [...body.rows].some((r) => r.classList.contains('is-filtered'));
    [...body.rows].forEach((r, i) => r.classList.toggle('is-collapsed', !expanded && !filtering && i >= limit));
    button.hidden = filtering;
    button.textContent = expanded ? `Show the top ${limit} only` : `Show all ${body.rows.length} rows`;
    button.setAttribute('aria-expanded', String(expanded));
  };
  button.addEventListener('click', () => {
    expanded = !expanded;
    apply();
  });
  table.closest('.table-wrap')?.after(button);
  table.addEventListener('sorted', apply);
  collapsers.push(apply);
  apply();
}

const main = document.querySelector('main')!;
const COLS = ['fpr95', 'auroc', 'idAcc', 'n'];

function fixSpans() {
  for (const th of document.querySelectorAll<HTMLTableCellElement>('th[data-span-cols]')) {
    const shown = th.dataset.spanCols!.split(',').filter((c) => !main.classList.contains(`hide-${c}`)).length;
    th.colSpan = Math.max(1, shown);
    th.classList.toggle('is-hidden-group', shown === 0);
    th.style.display = shown === 0 ? 'none' : '';
  }
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-controls]')) {
  form.hidden = false;
  const selects = [...form.querySelectorAll<HTMLSelectElement>('select[data-filter]')];
  const search = form.querySelector<HTMLInputElement>('input[data-search-input]');
  const toggles = [...form.querySelectorAll<HTMLInputElement>('input[data-col-toggle]')];
  const params = new URLSearchParams(location.search);
  for (const sel of selects) {
    const v = params.get(sel.dataset.filter!);
    if (v !== null && [...sel.options].some((o) => o.value === v)) sel.value = v;
  }
  if (search) search.value = params.get('q') ?? '';
  const hidden = new Set((params.get('hide') ?? '').split(',').filter((c) => COLS.includes(c)));
  for (const t of toggles) t.checked = !hidden.has(t.value);

  const apply = (updateUrl: boolean) => {
    const want: Record<string, string> = {};
    for (const sel of selects) want[sel.dataset.filter!] = sel.value;
    const q = (search?.value ?? '').trim().toLowerCase();
    for (const el of document.querySelectorAll<HTMLElement>('[data-filter-modalities], [data-filter-recipe], [data-search]')) {
      const m = el.dataset.filterModalities, r = el.dataset.filterRecipe, text = el.dataset.search;
      const hide =
        (want.modalities && m !== undefined && m !== want.modalities) ||
        (want.recipe && r !== undefined && r !== want.recipe && !(r === 'baseline' && el.closest('table.paper'))) ||
        (q !== '' && text !== undefined && !q.split(/\s+/).every((w) => text.includes(w)));
      el.classList.toggle('is-filtered', Boolean(hide));
    }
    for (const t of toggles) main.classList.toggle(`hide-${t.value}`, !t.checked);
    fixSpans();
    for (const table of document.querySelectorAll<HTMLTableElement>('table#ranking')) {
      const sorted = table.querySelector<HTMLElement>('thead th[aria-sort]');
      const key = sorted?.dataset.sortKey;
      if (key && key !== 'rank') rerank(table, key, sorted!.dataset.label ?? key);
    }
    for (const c of collapsers) c();
    const ranking = document.querySelector<HTMLTableElement>('table#ranking');
    if (ranking) {
      const shown = [...ranking.tBodies[0]!.rows].filter((r) => !r.classList.contains('is-filtered')).length;
      const count = document.querySelector<HTMLElement>('[data-shown]');
      if (count) count.textContent = `${shown} of ${ranking.tBodies[0]!.rows.length} shown`;
    }
    if (updateUrl) {
      const next = new URLSearchParams(location.search);
      for (const sel of selects) sel.value ? next.set(sel.dataset.filter!, sel.value) : next.delete(sel.dataset.filter!);
      q ? next.set('q', search!.value.trim()) : next.delete('q');
      const off = toggles.filter((t) => !t.checked).map((t) => t.value);
      off.length ? next.set('hide', off.join(',')) : next.delete('hide');
      const qs = next.toString();
      history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}${location.hash}`);
    }
  };
  form.addEventListener('change', () => apply(true));
  search?.addEventListener('input', () => apply(true));
  form.addEventListener('submit', (e) => e.preventDefault());
  form.querySelector('[data-reset]')?.addEventListener('click', () => {
    for (const sel of selects) sel.value = '';
    if (search) search.value = '';
    for (const t of toggles) t.checked = true;
    apply(true);
  });
  apply(false);
}

function openTarget() {
  if (!location.hash) return;
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  let d = target?.closest('details');
  let opened = false;
  while (d) {
    if (!d.open) {
      d.open = true;
      opened = true;
    }
    d = d.parentElement?.closest('details') ?? null;
  }
  if (opened) target!.scrollIntoView();
}
openTarget();
window.addEventListener('hashchange', openTarget);
