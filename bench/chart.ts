/**
 * Renders the benchmark ratios as an SVG bar chart (docs/performance.svg): one row per workload,
 * a bar for the SQL path and one for the typed API, a vertical line at 1.0× (parity with
 * better-sqlite3), log-scaled so 0.5× and 2× sit at equal distances from it.
 *   node dist/bench/chart.js bench/results/<file>.json   (run.ts calls it after every run)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Figure } from './harness';

export interface ChartRow {
  workload: string;
  sqlite: Figure | null;
  /** better-sqlite3 returning rows as arrays (`.raw(true)`), as the SQL cursor does: the SQL bar's base when present. */
  sqliteRaw?: Figure | null;
  sql: Figure | null;
  typed: Figure | null;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderChart(rows: readonly ChartRow[], subtitle: string): string {
  const labelW = 430;
  const plotW = 420;
  const rowH = 34;
  const top = 56;
  const height = top + rows.length * rowH + 40;
  const width = labelW + plotW + 40;
  const minR = 0.125;
  const maxR = 8;
  const x = (r: number): number =>
    labelW +
    ((Math.log2(Math.min(maxR, Math.max(minR, r))) - Math.log2(minR)) / (Math.log2(maxR) - Math.log2(minR))) *
      plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">ModelVault ÷ better-sqlite3 (higher is better; 1.0× = parity)</text>`,
    `<text x="10" y="38" fill="#555">${esc(subtitle)} — blue: SQL cursor path, orange: typed API</text>`,
  ];
  for (const r of [0.125, 0.25, 0.5, 1, 2, 4, 8]) {
    const xx = x(r).toFixed(1);
    parts.push(
      `<line x1="${xx}" y1="${top - 6}" x2="${xx}" y2="${height - 30}" stroke="${r === 1 ? '#000' : '#ddd'}" stroke-width="${r === 1 ? 1.5 : 1}"/>`,
    );
    parts.push(`<text x="${xx}" y="${height - 14}" text-anchor="middle" fill="#555">${r}×</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="10" y="${y + 19}">${esc(row.workload)}</text>`);
    const bars: [Figure | null, Figure | null, string, number][] = [
      [row.sql, row.sqliteRaw ?? row.sqlite, '#3b7dd8', 4],
      [row.typed, row.sqlite, '#e8892b', 17],
    ];
    for (const [fig, base, color, dy] of bars) {
      if (!fig || !base) continue;
      const ratio = fig.opsPerSec / base.opsPerSec;
      const x0 = x(1);
      const x1 = x(ratio);
      parts.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + dy}" width="${Math.abs(x1 - x0).toFixed(1)}" height="11" fill="${color}"/>`,
      );
      parts.push(
        `<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + dy + 10}" font-size="10" fill="#333">${ratio.toFixed(2)}×</text>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node dist/bench/chart.js bench/results/<file>.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { n: number; date: string; results: ChartRow[] };
  const out = path.join(__dirname, '..', '..', 'docs', 'performance.svg');
  fs.writeFileSync(out, renderChart(data.results, `N = ${data.n}, ${data.date.slice(0, 10)}`));
  console.log(`wrote ${out}`);
}
