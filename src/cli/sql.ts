/**
 * `sql <file> <statement> [params...]`: run SQL and print what it returns. Text with several
 * statements runs them in order (parameters bind to the last). A file opens read-only when
 * every statement only reads (or with `--readonly`), so queries run beside a live writer.
 */
import type { Connection } from '../../cursor/index';
import { openReader, openWriter, using } from './open';
import type { OpenFlags } from './open';
import { resultWriter } from './results';
import type { Format } from './results';
import { splitStatements } from './statements';
import { UsageError, style } from './io';
import type { Io } from './io';

export interface SqlOptions extends OpenFlags {
  format: Format;
  readonly?: boolean;
  /** `name=value` pairs for named placeholders (`:name`, `@name`, `$name`). */
  named?: string[];
}

/** Statements that never write: a reader's connection can run them. */
const READ_ONLY = /^\s*(SELECT|EXPLAIN|VALUES|WITH\s+(?![\s\S]*\b(INSERT|UPDATE|DELETE|REPLACE)\b))/i;

export function isReadOnlySql(sql: string): boolean {
  return READ_ONLY.test(sql) || /^\s*PRAGMA\s+[\w.]+\s*(\(\s*[\w"'.]+\s*\))?\s*$/i.test(sql);
}

/**
 * A command-line parameter as a value: integers (bigint beyond 2^53), reals, `null`, `true`,
 * `false` and JSON strings (`'"42"'`) by their JSON meaning; anything else is text.
 */
export function parseParam(text: string): unknown {
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text);
    return Number.isSafeInteger(Number(big)) ? Number(big) : big;
  }
  if (/^-?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Named parameters from `--param name=value` options, values read as parseParam does. */
export function namedParams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).replace(/^[:@$]/, '');
    if (eq < 1 || !/^\w+$/.test(name)) throw new UsageError(`--param expects name=value, got '${pair}'`);
    out[name] = parseParam(pair.slice(eq + 1));
  }
  return out;
}

export function runSqlCommand(io: Io, file: string, text: string, params: string[], opts: SqlOptions): void {
  const named = opts.named?.length ? namedParams(opts.named) : null;
  if (named && params.length > 0)
    throw new UsageError('give parameters by position or by --param name=value, not both');
  const { statements, rest } = splitStatements(text);
  if (rest) statements.push(rest);
  if (statements.length === 0) throw new UsageError('no SQL statement given');
  const readOnly = opts.readonly === true || statements.every(isReadOnlySql);
  const conn = readOnly ? openReader(file) : openWriter(file, opts, true);
  using(conn, (c) => {
    statements.forEach((sql, i) => {
      const last = i === statements.length - 1;
      runStatement(io, c, sql, last ? (named ?? params.map(parseParam)) : [], opts.format);
    });
  });
}

/** Run one statement and write its result (rows, or a count of changed rows in table format). */
export function runStatement(
  io: Io,
  conn: Connection,
  sql: string,
  params: unknown[] | Record<string, unknown>,
  format: Format,
): void {
  const given = Array.isArray(params) ? params.length > 0 : Object.keys(params).length > 0;
  const cur = conn.execute(sql, given ? params : undefined);
  const desc = cur.description;
  if (!desc) {
    if (format === 'table' && cur.rowCount >= 0 && /^\s*(INSERT|UPDATE|DELETE|REPLACE)/i.test(sql))
      io.out(`${style(io, 'out').dim(`(${cur.rowCount} row${cur.rowCount === 1 ? '' : 's'} changed)`)}\n`);
    return;
  }
  const writer = resultWriter(
    io,
    format,
    desc.map((d) => d[0]),
    style(io, 'out'),
  );
  for (;;) {
    const batch = cur.fetchMany(512) as unknown[][];
    if (batch.length === 0) break;
    for (const row of batch) writer.row(row);
  }
  writer.end();
}
