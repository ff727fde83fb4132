/**
 * Writes a result set in one of the output formats: `table` (aligned columns for people),
 * `json` (one array), `jsonl` (one object per line), `csv` (RFC 4180 with a header line).
 * json, jsonl and csv stream row by row, so exporting a large table holds one row at a time;
 * table mode has to see every row to size its columns.
 */
import { csvField, displayText, toJson } from './values';
import type { Io, Style } from './io';

export const FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

export interface ResultWriter {
  row(values: readonly unknown[]): void;
  /** Finish the output; returns the number of rows written. */
  end(): number;
}

export function resultWriter(io: Io, format: Format, columns: readonly string[], s: Style): ResultWriter {
  switch (format) {
    case 'json':
      return jsonWriter(io, columns);
    case 'jsonl':
      return lineWriter((v) => io.out(`${JSON.stringify(objectOf(columns, v))}\n`));
    case 'csv':
      io.out(`${columns.map(csvField).join(',')}\r\n`);
      return lineWriter((v) => io.out(`${v.map(csvField).join(',')}\r\n`));
    case 'table':
      return tableWriter(io, columns, s);
  }
}

function objectOf(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  columns.forEach((c, i) => (out[c] = toJson(values[i])));
  return out;
}

function lineWriter(write: (values: readonly unknown[]) => void): ResultWriter {
  let n = 0;
  return {
    row: (v) => {
      write(v);
      n++;
    },
    end: () => n,
  };
}

function jsonWriter(io: Io, columns: readonly string[]): ResultWriter {
  let n = 0;
  return {
    row: (v) => {
      io.out(`${n === 0 ? '[\n' : ',\n'}  ${JSON.stringify(objectOf(columns, v))}`);
      n++;
    },
    end: () => {
      io.out(n === 0 ? '[]\n' : '\n]\n');
      return n;
    },
  };
}

function tableWriter(io: Io, columns: readonly string[], s: Style): ResultWriter {
  const rows: { text: string[]; numeric: boolean[]; nulls: boolean[] }[] = [];
  return {
    row: (v) => {
      rows.push({
        text: v.map((x) => oneLine(displayText(x))),
        numeric: v.map((x) => typeof x === 'number' || typeof x === 'bigint'),
        nulls: v.map((x) => x === null || x === undefined),
      });
    },
    end: () => {
      const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r.text[i].length)));
      io.out(
        `${columns
          .map((c, i) => s.bold(c.padEnd(widths[i])))
          .join(' | ')
          .trimEnd()}\n`,
      );
      io.out(`${widths.map((w) => '-'.repeat(w)).join('-+-')}\n`);
      for (const r of rows) {
        const cells = r.text.map((t, i) => {
          const padded = r.numeric[i] ? t.padStart(widths[i]) : t.padEnd(widths[i]);
          return r.nulls[i] ? s.dim(padded) : padded;
        });
        io.out(`${cells.join(' | ').trimEnd()}\n`);
      }
      io.out(`${s.dim(`(${rows.length} row${rows.length === 1 ? '' : 's'})`)}\n`);
      return rows.length;
    },
  };
}

/** Control characters would break the grid: newlines and tabs show escaped. */
function oneLine(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
