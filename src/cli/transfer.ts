/**
 * `import` (CSV or JSON Lines into a table, in batched transactions) and `export` (a table or a
 * query as CSV, JSON Lines or JSON). Both stream: the input is read in chunks and rows are
 * written as they are fetched, so neither holds a whole table in memory.
 */
import * as fs from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Connection } from '../../cursor/index';
import { CsvReader, csvValue } from './csv';
import { openReader, openWriter, requireFile, using } from './open';
import { resultWriter } from './results';
import type { Format } from './results';
import { quoteName } from './values';
import { UsageError, style } from './io';
import type { Io } from './io';
import { DataError } from '../errors';
import { io as io_ } from '../../storage/io-error';

export interface ImportOptions {
  format?: 'csv' | 'jsonl';
  batch: number;
  busyTimeout?: number;
}

function formatOf(input: string, given: 'csv' | 'jsonl' | undefined): 'csv' | 'jsonl' {
  if (given) return given;
  if (/\.csv$/i.test(input)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(input)) return 'jsonl';
  throw new UsageError(`cannot tell the format of ${input}: pass --format csv or --format jsonl`);
}

export async function importCommand(
  io: Io,
  file: string,
  table: string,
  input: string,
  opts: ImportOptions,
): Promise<void> {
  const format = formatOf(input, opts.format);
  const total = input === '-' ? 0 : requireFile(input).size;
  const stream = input === '-' ? process.stdin : fs.createReadStream(input);
  stream.setEncoding('utf8');
  const conn = openWriter(file, { busyTimeoutMs: opts.busyTimeout }, true);
  conn.autocommit = false;
  const bar =
    io.stderrTty && total > 0
      ? new SingleBar({
          format: 'import [{bar}] {percentage}% {value}/{total} bytes',
          stream: process.stderr,
        })
      : null;
  bar?.start(total, 0);
  let columns: string[] | null = null;
  let insert: ((rows: unknown[][]) => void) | null = null;
  let pending: unknown[][] = [];
  let rows = 0;
  let line = 0;
  const flush = (): void => {
    if (pending.length === 0 || !insert) return;
    insert(pending);
    conn.commit();
    rows += pending.length;
    pending = [];
  };
  const accept = (values: unknown[]): void => {
    pending.push(values);
    if (pending.length >= opts.batch) flush();
  };
  try {
    const csv = new CsvReader();
    let partial = '';
    let read = 0;
    const onRecords = (records: string[][]): void => {
      for (const rec of records) {
        line++;
        if (!columns) {
          columns = rec.map((f) => csvValue(f) ?? '');
          insert = prepareTable(
            conn,
            table,
            columns,
            columns.map(() => 'TEXT'),
          );
          continue;
        }
        if (rec.length !== columns.length)
          throw new DataError(
            `${input}: record ${line} (counting the header) has ${rec.length} fields, the header ${columns.length}`,
            'DATA',
          );
        accept(rec.map(csvValue));
      }
    };
    const onLine = (text: string): void => {
      line++;
      if (text.trim() === '') return;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new DataError(`${input}: line ${line} is not JSON: ${(err as Error).message}`, 'DATA');
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
        throw new DataError(`${input}: line ${line} is not a JSON object`, 'DATA');
      const record = obj as Record<string, unknown>;
      if (!columns) {
        columns = Object.keys(record);
        insert = prepareTable(
          conn,
          table,
          columns,
          columns.map((c) => sqlTypeOf(record[c])),
        );
      }
      accept(columns.map((c) => fromJson(record[c])));
    };
    for await (const chunk of stream as AsyncIterable<string>) {
      read += Buffer.byteLength(chunk);
      bar?.update(Math.min(read, total));
      if (format === 'csv') {
        onRecords(csv.push(chunk));
      } else {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) onLine(l);
      }
    }
    if (format === 'csv') onRecords(csv.end());
    else if (partial) onLine(partial);
    flush();
  } finally {
    bar?.stop();
    if (conn.inTransaction) conn.rollback();
    conn.close();
  }
  io.out(`imported ${rows} row${rows === 1 ? '' : 's'} into ${table}\n`);
}

/** Creates `table` when missing; returns a function inserting rows of `columns`. */
function prepareTable(
  conn: Connection,
  table: string,
  columns: string[],
  types: string[],
): (rows: unknown[][]) => void {
  if (columns.length === 0) throw new DataError('the input names no columns', 'DATA');
  const exists = (
    conn
      .execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
      .fetchOne() as unknown[]
  )[0];
  if (Number(exists) === 0) {
    conn.execute(
      `CREATE TABLE ${quoteName(table)} (${columns.map((c, i) => `${quoteName(c)} ${types[i]}`).join(', ')})`,
    );
    conn.commit(); // the table exists even when no row follows
  }
  const declared = new Map<string, string>();
  for (const r of conn.execute(`PRAGMA table_info(${quoteName(table)})`).fetchAll() as unknown[][])
    declared.set(String(r[1]), String(r[2] ?? '').toUpperCase());
  const convert = columns.map((c) => converter(declared.get(c) ?? ''));
  const sql = `INSERT INTO ${quoteName(table)} (${columns.map(quoteName).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  return (rows) => {
    for (const row of rows) for (let i = 0; i < row.length; i++) row[i] = convert[i](row[i]);
    conn.executeMany(sql, rows);
  };
}

/** Text to the value a column of declared type `t` stores (SQLite's affinity rules pick the kind). */
function converter(t: string): (v: unknown) => unknown {
  if (t.includes('BOOL'))
    return (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v);
  if (t.includes('INT'))
    return (v) => {
      if (typeof v !== 'string' || !/^\s*-?\d+\s*$/.test(v)) return v;
      const big = BigInt(v.trim());
      return Number.isSafeInteger(Number(big)) ? Number(big) : big;
    };
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB'))
    return (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);
  if (t.includes('BLOB'))
    return (v) => (typeof v === 'string' && /^([0-9a-fA-F]{2})*$/.test(v) ? Buffer.from(v, 'hex') : v);
  return (v) => v;
}

function sqlTypeOf(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'INTEGER' : 'REAL';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (typeof v === 'string') return 'TEXT';
  if (v !== null && typeof v === 'object' && '$base64' in v) return 'BLOB';
  // Columns are strictly typed: JSON text for objects, arrays and a first value of null.
  return 'TEXT';
}

/** A JSON value as a parameter: `{"$base64": …}` is a blob; other objects and arrays JSON text. */
function fromJson(v: unknown): unknown {
  if (v === undefined) return null;
  if (v !== null && typeof v === 'object') {
    const b64 = (v as { $base64?: unknown }).$base64;
    if (typeof b64 === 'string' && Object.keys(v).length === 1) return Buffer.from(b64, 'base64');
    return JSON.stringify(v);
  }
  return v;
}

export interface ExportOptions {
  format: Format;
  to?: string;
}

/**
 * Writes to a file through a buffer, so large exports make few system calls. A failed write (a
 * full disk) is the library's OperationalError (FULL or IO); `abort` removes the partial file.
 */
function fileIo(io: Io, path: string): Io & { close(): void; abort(): void } {
  const fd = io_(`cannot create ${path}`, () => fs.openSync(path, 'w'));
  let buf: string[] = [];
  let size = 0;
  let closed = false;
  const flush = (): void => {
    if (buf.length === 0) return;
    const bytes = Buffer.from(buf.join(''), 'utf8');
    buf = [];
    size = 0;
    io_(`write to ${path} failed`, () => {
      for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    });
  };
  const closeFd = (): void => {
    if (closed) return;
    closed = true;
    fs.closeSync(fd);
  };
  return {
    ...io,
    stdoutTty: false,
    out: (text) => {
      buf.push(text);
      size += text.length;
      if (size >= 1 << 16) flush();
    },
    close: () => {
      flush();
      closeFd();
    },
    abort: () => {
      closeFd();
      fs.rmSync(path, { force: true });
    },
  };
}

export function exportCommand(io: Io, file: string, source: string, opts: ExportOptions): void {
  using(openReader(file), (conn) => {
    const isQuery = /^\s*(SELECT|WITH|VALUES)\b/i.test(source);
    const sql = isQuery ? source : `SELECT * FROM ${quoteName(source)}`;
    const total = isQuery ? 0 : (conn.database.storage.committedView().collections.get(source)?.pk.size ?? 0);
    const out = opts.to ? fileIo(io, opts.to) : null;
    const target = out ?? io;
    const bar =
      out && io.stderrTty && total > 0
        ? new SingleBar({
            format: 'export [{bar}] {percentage}% {value}/{total} rows',
            stream: process.stderr,
          })
        : null;
    bar?.start(total, 0);
    try {
      const cur = conn.execute(sql);
      const writer = resultWriter(
        target,
        opts.format,
        (cur.description ?? []).map((d) => d[0]),
        style(target, 'out'),
      );
      let n = 0;
      for (;;) {
        const batch = cur.fetchMany(1024) as unknown[][];
        if (batch.length === 0) break;
        for (const row of batch) writer.row(row);
        n += batch.length;
        bar?.update(Math.min(n, total));
      }
      writer.end();
      out?.close();
      if (out) io.out(`exported ${n} row${n === 1 ? '' : 's'} to ${opts.to}\n`);
    } catch (err) {
      // No partial file that looks like an export.
      out?.abort();
      throw err;
    } finally {
      bar?.stop();
    }
  });
}
