/**
 * `dump <file> [--dialect sqlite|postgres]`: the schema and every row as SQL text, streamed row
 * by row. The SQLite dialect replays the catalog's own CREATE statements (sqlite_master), so
 * `sqlite3 new.db < dump.sql` gives the same tables, indexes and rows; the PostgreSQL dialect
 * translates column types (docs/cli.md lists the mapping) and writes standard literals.
 */
import type { Connection } from '../../cursor/index';
import { openSnapshotReader } from './open';
import { quoteName, sqlLiteralOf } from './values';
import type { Dialect } from './values';
import { OperationalError } from '../errors';
import type { Io } from './io';

interface TableEntry {
  name: string;
  sql: string;
}

/** Rows per INSERT statement: fewer statements load faster, and each stays of modest size. */
const ROWS_PER_INSERT = 100;

export function dumpCommand(io: Io, file: string, dialect: Dialect, only?: string[]): void {
  const reader = openSnapshotReader(file);
  try {
    dumpFrom(io, reader.conn, reader.txnId, file, dialect, only);
  } finally {
    reader.close();
  }
}

function dumpFrom(
  io: Io,
  conn: Connection,
  txnId: number,
  file: string,
  dialect: Dialect,
  only?: string[],
): void {
  const view = conn.database.storage.committedView();
  const tables = (
    conn
      .execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      )
      .fetchAll() as unknown[][]
  ).map(([name, sql]) => ({ name: String(name), sql: String(sql) }));
  const wanted = only ? new Set(only) : null;
  if (wanted) {
    for (const name of wanted)
      if (!tables.some((t) => t.name === name))
        throw new OperationalError(`no such table: ${name}`, 'OPERATIONAL');
  }
  const chosen = wanted ? tables.filter((t) => wanted.has(t.name)) : tables;
  io.out(`-- ModelVault dump of ${file} at transaction ${txnId} (${dialect} dialect)\n`);
  if (dialect === 'sqlite') io.out('PRAGMA foreign_keys=OFF;\n');
  io.out(dialect === 'sqlite' ? 'BEGIN TRANSACTION;\n' : 'BEGIN;\n');
  for (const t of chosen) {
    io.out(`${dialect === 'sqlite' ? t.sql : postgresTable(conn, t.name)};\n`);
    dumpRows(io, conn, t, dialect);
  }
  for (const t of chosen) {
    for (const stmt of indexStatements(conn, t.name, dialect)) io.out(`${stmt}\n`);
  }
  if (!wanted) {
    // Views, when the catalog has them, after the tables they read.
    const views = conn
      .execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND sql IS NOT NULL ORDER BY name")
      .fetchAll() as unknown[][];
    for (const [sql] of views) io.out(`${String(sql)};\n`);
  }
  if (dialect === 'sqlite') {
    const seq = conn.execute('SELECT name, seq FROM sqlite_sequence ORDER BY name').fetchAll() as unknown[][];
    const kept = seq.filter(([name]) => chosen.some((t) => t.name === name));
    if (kept.length > 0) {
      io.out('DELETE FROM sqlite_sequence;\n');
      for (const [name, n] of kept)
        io.out(
          `INSERT INTO sqlite_sequence VALUES(${sqlLiteralOf(name, dialect)},${sqlLiteralOf(n, dialect)});\n`,
        );
    }
    if (view.userVersion !== 0 && !wanted) io.out(`PRAGMA user_version = ${view.userVersion};\n`);
  }
  io.out('COMMIT;\n');
}

function dumpRows(io: Io, conn: Connection, t: TableEntry, dialect: Dialect): void {
  const cur = conn.execute(`SELECT * FROM ${quoteName(t.name)}`);
  const columns = (cur.description ?? []).map((d) => quoteName(d[0]));
  const head = `INSERT INTO ${quoteName(t.name)} (${columns.join(', ')}) VALUES\n`;
  for (;;) {
    const batch = cur.fetchMany(ROWS_PER_INSERT) as unknown[][];
    if (batch.length === 0) break;
    const values = batch.map((row) => `  (${row.map((v) => sqlLiteralOf(v, dialect)).join(', ')})`);
    io.out(`${head}${values.join(',\n')};\n`);
  }
}

interface IndexListRow {
  name: string;
  unique: boolean;
  origin: string;
  partial: boolean;
}

/**
 * The table's indexes as CREATE INDEX statements (its UNIQUE constraints too, in PostgreSQL). An
 * index on a field inside an object column (`address.city`) has no counterpart on either side,
 * whose column holds the whole object: it becomes a comment saying so.
 */
function indexStatements(conn: Connection, table: string, dialect: Dialect): string[] {
  const columns = new Set(
    (conn.execute(`PRAGMA table_info(${quoteName(table)})`).fetchAll() as unknown[][]).map((r) =>
      String(r[1]),
    ),
  );
  const sqlOf = new Map(
    (
      conn
        .execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", [table])
        .fetchAll() as unknown[][]
    ).map(([name, sql]) => [String(name), sql === null ? null : String(sql)]),
  );
  const list = (conn.execute(`PRAGMA index_list(${quoteName(table)})`).fetchAll() as unknown[][]).map(
    (r): IndexListRow => ({
      name: String(r[1]),
      unique: Number(r[2]) === 1,
      origin: String(r[3]),
      partial: Number(r[4]) === 1,
    }),
  );
  const out: string[] = [];
  for (const ix of list.sort((a, b) => a.name.localeCompare(b.name))) {
    const sql = sqlOf.get(ix.name) ?? null;
    // Primary keys are part of CREATE TABLE; in SQLite, UNIQUE constraints too.
    if (ix.origin === 'pk' || (dialect === 'sqlite' && sql === null)) continue;
    const keyColumns = (
      conn.execute(`PRAGMA index_xinfo(${quoteName(ix.name)})`).fetchAll() as unknown[][]
    ).filter((r) => Number(r[1]) >= 0 && Number(r[5]) === 1);
    const inside = keyColumns.map((r) => String(r[2])).filter((c) => !columns.has(c));
    if (inside.length > 0) {
      out.push(`-- index ${ix.name} skipped: ${inside.join(', ')} is a field inside an object column`);
      continue;
    }
    if (dialect === 'sqlite') {
      out.push(`${sql};`);
      continue;
    }
    // Its WHERE and expressions are SQLite SQL, which PostgreSQL may read differently.
    const expressions = (
      conn.execute(`PRAGMA index_xinfo(${quoteName(ix.name)})`).fetchAll() as unknown[][]
    ).some((r) => Number(r[1]) === -2);
    if (ix.partial || expressions) {
      out.push(`-- index ${ix.name} skipped: a partial or expression index (${sql ?? ''})`);
      continue;
    }
    const cols = keyColumns.map((r) => `${quoteName(String(r[2]))}${Number(r[3]) === 1 ? ' DESC' : ''}`);
    out.push(
      `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteName(ix.name)} ON ${quoteName(table)} (${cols.join(', ')});`,
    );
  }
  return out;
}

/** A PostgreSQL CREATE TABLE for `table`, from PRAGMA table_info. */
function postgresTable(conn: Connection, table: string): string {
  const info = conn.execute(`PRAGMA table_info(${quoteName(table)})`).fetchAll() as unknown[][];
  const keys: { name: string; seq: number }[] = [];
  const cols = info.map((r) => {
    const name = String(r[1]);
    const declared = String(r[2] ?? '');
    const pgType = postgresType(declared);
    const notNull = Number(r[3]) === 1;
    const pk = Number(r[5]);
    if (pk > 0) keys.push({ name, seq: pk });
    const dflt = r[4] === null ? null : postgresDefault(String(r[4]), pgType);
    return `${quoteName(name)} ${pgType}${notNull || pk > 0 ? ' NOT NULL' : ''}${dflt ? ` DEFAULT ${dflt}` : ''}`;
  });
  if (keys.length > 0)
    cols.push(
      `PRIMARY KEY (${keys
        .sort((a, b) => a.seq - b.seq)
        .map((k) => quoteName(k.name))
        .join(', ')})`,
    );
  return `CREATE TABLE ${quoteName(table)} (\n  ${cols.join(',\n  ')}\n)`;
}

/** A declared SQLite type name as the closest PostgreSQL type (SQLite's affinity rules first). */
export function postgresType(declared: string): string {
  const t = declared.toUpperCase();
  if (t.includes('UNSIGNED BIG INT')) return 'NUMERIC(20)';
  if (t.includes('BOOL')) return 'BOOLEAN';
  if (t.includes('INT')) return 'BIGINT';
  if (t.includes('TIMESTAMP') || t.includes('DATETIME')) return 'TIMESTAMPTZ';
  if (t === 'UUID') return 'UUID';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t === '') return t === '' ? 'TEXT' : 'BYTEA';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'DOUBLE PRECISION';
  if (t === 'LIST' || t === 'OBJECT' || t.includes('JSON')) return 'JSONB';
  return 'NUMERIC';
}

function postgresDefault(sql: string, pgType: string): string | null {
  if (pgType === 'BOOLEAN' && (sql === '0' || sql === '1')) return sql === '1' ? 'TRUE' : 'FALSE';
  if (
    /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|'([^']|'')*'|NULL|CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME)$/i.test(
      sql,
    )
  )
    return sql;
  return null;
}
