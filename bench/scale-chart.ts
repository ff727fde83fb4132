/**
 * Renders the scale curve (bench/scale.ts results) as an SVG: one small panel per measure, rows
 * on a log x axis, ModelVault (blue) and SQLite (orange) as two lines on a log y axis, each point
 * labelled with its value. No dependency: the SVG is written by hand.
 *   node dist/bench/scale-chart.js bench/results/scale-<stamp>.json   (scale.ts calls it after a run)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScaleRow } from './scale';

interface Measure {
  title: string;
  unit: string;
  mv: (r: ScaleRow) => number;
  sqlite: (r: ScaleRow) => number;
  /** A target line (ModelVault's goal), or none. */
  target?: (rows: number) => number | null;
}

const MEASURES: readonly Measure[] = [
  {
    title: 'open + first point get',
    unit: 'ms',
    mv: (r) => r.mv.openMs,
    sqlite: (r) => r.sqlite.openMs,
    target: (n) => (n <= 1_000_000 ? 10 : 20),
  },
  {
    title: 'JS heap after open',
    unit: 'MiB',
    mv: (r) => Math.max(r.mv.heapMiB, 0.01),
    sqlite: (r) => Math.max(r.sqlite.heapMiB, 0.01),
    target: () => 20,
  },
  {
    // Per row: a row of the table may hold a partial run whose engines reached different counts.
    title: 'file size per row',
    unit: 'bytes',
    mv: (r) => (r.mvFileMiB * 1048576) / r.rows,
    sqlite: (r) => (r.sqliteFileMiB * 1048576) / (r.sqliteRows ?? r.rows),
  },
  { title: 'point get, cold', unit: 'µs', mv: (r) => r.mv.getUs, sqlite: (r) => r.sqlite.getUs },
  { title: 'point get, warm', unit: 'µs', mv: (r) => r.mv.warmGetUs, sqlite: (r) => r.sqlite.warmGetUs },
  {
    title: 'count(*) WHERE price > 900, cold',
    unit: 'M rows/s',
    mv: (r) => r.mv.count.coldRowsPerSec / 1e6,
    sqlite: (r) => r.sqlite.count.coldRowsPerSec / 1e6,
  },
  {
    title: 'rows WHERE price > 900, cold',
    unit: 'M rows/s',
    mv: (r) => r.mv.scan.coldRowsPerSec / 1e6,
    sqlite: (r) => r.sqlite.scan.coldRowsPerSec / 1e6,
  },
  {
    title: 'rows WHERE price > 900, warm',
    unit: 'M rows/s',
    mv: (r) => r.mv.scan.warmRowsPerSec / 1e6,
    sqlite: (r) => r.sqlite.scan.warmRowsPerSec / 1e6,
  },
  {
    title: 'bulk insert (100k-row transactions)',
    unit: 'k rows/s',
    mv: (r) => r.build.mv.insertRowsPerSec / 1e3,
    sqlite: (r) => r.build.sqlite.insertRowsPerSec / 1e3,
  },
  {
    title: 'compaction (MV compact, SQLite VACUUM)',
    unit: 's',
    mv: (r) => r.mv.compactSec,
    sqlite: (r) => r.sqlite.compactSec,
  },
];

const COLORS = { mv: '#1f77b4', sqlite: '#ff7f0e', target: '#2ca02c' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toPrecision(2);
}

function rowsLabel(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
}

function panel(m: Measure, table: readonly ScaleRow[], x0: number, y0: number, w: number, h: number): string {
  const pad = { left: 46, right: 14, top: 26, bottom: 26 };
  const pw = w - pad.left - pad.right;
  const ph = h - pad.top - pad.bottom;
  const ns = table.map((r) => r.rows);
  const values = table.flatMap((r) => [m.mv(r), m.sqlite(r), ...(m.target ? [m.target(r.rows) ?? 0] : [])]);
  const positive = values.filter((v) => v > 0);
  const lo = Math.log10(Math.min(...positive)) - 0.15;
  const hi = Math.log10(Math.max(...positive)) + 0.15;
  const xlo = Math.log10(Math.min(...ns));
  const xhi = Math.log10(Math.max(...ns));
  const px = (n: number): number =>
    x0 + pad.left + (xhi === xlo ? pw / 2 : ((Math.log10(n) - xlo) / (xhi - xlo)) * pw);
  const py = (v: number): number =>
    y0 + pad.top + ph - ((Math.log10(Math.max(v, 1e-9)) - lo) / (hi - lo)) * ph;
  const out: string[] = [];
  out.push(
    `<rect x="${x0 + pad.left}" y="${y0 + pad.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ddd"/>`,
  );
  out.push(
    `<text x="${x0 + pad.left}" y="${y0 + 16}" font-weight="bold">${esc(m.title)} (${esc(m.unit)})</text>`,
  );
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const y = py(10 ** e).toFixed(1);
    out.push(`<line x1="${x0 + pad.left}" x2="${x0 + pad.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${x0 + pad.left - 4}" y="${y}" text-anchor="end" dy="4" fill="#777">${fmt(10 ** e)}</text>`,
    );
  }
  for (const n of ns) {
    out.push(
      `<text x="${px(n).toFixed(1)}" y="${y0 + h - 8}" text-anchor="middle" fill="#555">${rowsLabel(n)}</text>`,
    );
  }
  const line = (f: (r: ScaleRow) => number | null, color: string, dashed: boolean, labels: boolean): void => {
    const pts = table
      .map((r) => [r.rows, f(r)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== null && p[1] > 0);
    if (pts.length === 0) return;
    const d = pts.map(([n, v], i) => `${i ? 'L' : 'M'}${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
    );
    if (!labels) return;
    for (const [n, v] of pts) {
      out.push(`<circle cx="${px(n).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"/>`);
      out.push(
        `<text x="${(px(n) + 5).toFixed(1)}" y="${(py(v) - 5).toFixed(1)}" fill="${color}" font-size="10">${fmt(v)}</text>`,
      );
    }
  };
  const target = m.target;
  if (target) line((r) => target(r.rows), COLORS.target, true, false);
  line(m.sqlite, COLORS.sqlite, false, true);
  line(m.mv, COLORS.mv, false, true);
  return out.join('\n');
}

export function renderScaleChart(table: readonly ScaleRow[], subtitle: string): string {
  const cols = 2;
  const w = 430;
  const h = 190;
  const top = 60;
  const rows = Math.ceil(MEASURES.length / cols);
  const width = cols * w + 20;
  const height = top + rows * h + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="10" y="20" font-size="15" font-weight="bold">Scale curve: ModelVault and better-sqlite3, fresh process per probe</text>',
    `<text x="10" y="38" fill="#555">${esc(subtitle)} — blue: ModelVault, orange: SQLite, green dashes: issue 15 target; log scales</text>`,
  ];
  MEASURES.forEach((m, i) => {
    parts.push(panel(m, table, 10 + (i % cols) * w, top + Math.floor(i / cols) * h, w, h));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node dist/bench/scale-chart.js bench/results/scale-<stamp>.json');
  const { table, date } = JSON.parse(fs.readFileSync(file, 'utf8')) as { table: ScaleRow[]; date: string };
  const out = path.join(__dirname, '..', '..', 'docs', 'performance-scale.svg');
  fs.writeFileSync(out, renderScaleChart(table, `${date.slice(0, 10)}, ${path.basename(file)}`));
  console.log(`wrote ${out}`);
}

if (require.main === module) main();
