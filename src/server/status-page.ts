import { escapeHtml } from '../publish/dashboards/html.ts';
import type { WarehouseStatus } from './status.ts';

const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : v.toLocaleString('en-US'));

function table(caption: string, head: string[], rows: (string | number | null)[][], numeric: boolean[]): string {
  if (!rows.length) return `<section><h2>${escapeHtml(caption)}</h2><p class="empty-state">None yet.</p></section>`;
  const th = head.map((h, i) => `<th scope="col"${numeric[i] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(typeof c === 'number' ? num(c) : (c ?? ''))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<section><h2>${escapeHtml(caption)}</h2><div class="table-scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table></div></section>`;
}

/** The warehouse status: table counts, recent runs, quarantine. Body HTML for the layout. */
export function statusBody(s: WarehouseStatus): string {
  return [
    `<p class="as-of">Data as of <time datetime="${escapeHtml(s.dataAsOf ?? '')}">${escapeHtml(s.dataAsOf ?? 'never loaded')}</time> · data version ${s.dataVersion}</p>`,
    table('Warehouse tables', ['Table', 'Rows'], s.tables.map((t) => [t.table_name, t.row_count]), [false, true]),
    table(
      'Recent pipeline runs',
      ['Run', 'Pipeline', 'Entity', 'Status', 'Started (UTC)', 'Duration (ms)', 'Rows read', 'Rows loaded', 'Quarantined', 'Error'],
      s.recentRuns.map((r) => [r.run_id, r.pipeline, r.entity, r.status, r.started_at, r.duration_ms, r.rows_read, r.rows_loaded, r.rows_quarantined, r.error]),
      [true, false, false, false, false, true, true, true, true, false],
    ),
    table(
      'Quarantine by pipeline',
      ['Pipeline', 'Rows quarantined', 'Problems', 'Last run', 'Most common reason'],
      s.quarantine.map((q) => [q.pipeline, q.rows_quarantined, q.problems, q.last_run_id, q.most_common_reason]),
      [false, true, true, true, false],
    ),
  ].join('\n');
}
