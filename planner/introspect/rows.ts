/**
 * Rows of the virtual tables (planner/introspect/virtual.ts) from a read view's catalog. Names are
 * matched like SQLite's (tables and indexes ignore case). Row shapes follow SQLite's; where
 * ModelVault's catalog differs (docs/sql.md, "Introspection") the difference is noted here.
 */
import type { ReadView } from '../../storage/engine';
import type { CollectionSchema, NormalizedField, NormalizedIndex } from '../../storage/schema/normalize';
import { declaredDesc, indexPaths } from '../../storage/schema/normalize';
import {
  columnName,
  constraintIndexes,
  createIndexSql,
  createTableSql,
  declaredType,
  isAutoindex,
  keyIsRowid,
  primaryKeyPaths,
  sqlLiteral,
  visibleFields,
} from './create-sql';
import type { VirtualSource, VirtualTable } from './virtual';
import { foreignKeyCheckRows, foreignKeyListRows } from './foreign-key-rows';

type Row = unknown[];

interface Table {
  readonly id: number;
  readonly schema: CollectionSchema;
  /** Per index with SQL text (a partial or expression index): which key columns are expressions, and whether it has a WHERE. */
  readonly sqlIndexes: ReadonlyMap<
    string,
    { readonly exprColumns: readonly boolean[]; readonly partial: boolean }
  >;
}

/** Collections in creation order (collection ids grow), as SQLite lists its schema. */
function tables(view: ReadView): Table[] {
  const out: Table[] = [];
  for (const v of view.collections.values()) {
    const sqlIndexes = new Map<string, { exprColumns: readonly boolean[]; partial: boolean }>();
    for (const ix of v.indexStates) if (ix.sqlAccessor) sqlIndexes.set(ix.def.name, ix.sqlAccessor);
    out.push({ id: v.meta.id, schema: v.meta.schema, sqlIndexes });
  }
  return out.sort((a, b) => a.id - b.id);
}

function findTable(view: ReadView, name: string): Table | null {
  const all = tables(view);
  return (
    all.find((t) => t.schema.name === name) ??
    all.find((t) => t.schema.name.toLowerCase() === name.toLowerCase()) ??
    null
  );
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** An index as the catalog PRAGMAs describe it; the primary key's is synthesized (ModelVault keys rows by it directly). */
interface IndexInfo {
  readonly name: string;
  readonly paths: readonly (readonly string[])[];
  /** Per column, descending (index_xinfo's desc); null when every column ascends. */
  readonly desc: readonly boolean[] | null;
  readonly unique: boolean;
  readonly origin: 'c' | 'u' | 'pk';
  readonly sql: string | null;
  /** Per column, an expression (index_info's cid -2, no name); null when none is. */
  readonly exprColumns: readonly boolean[] | null;
  readonly partial: boolean;
}

/** The table's indexes in creation order: the constraint indexes first, then CREATE INDEX ones. */
function indexesOf(table: Table): IndexInfo[] {
  const { schema } = table;
  return [
    ...constraintIndexes(schema).map((c): IndexInfo => ({
      name: c.name,
      paths: c.paths,
      desc: null,
      unique: true,
      origin: c.origin,
      sql: null,
      exprColumns: null,
      partial: false,
    })),
    ...schema.indexes
      .filter((ix) => !isAutoindex(ix))
      .map((ix: NormalizedIndex): IndexInfo => {
        const special = table.sqlIndexes.get(ix.name);
        return {
          name: ix.name,
          paths: indexPaths(ix),
          desc: declaredDesc(ix),
          unique: ix.kind === 'unique',
          origin: 'c',
          // A partial or expression index shows its statement as written, as SQLite keeps it.
          sql: ix.sql ?? createIndexSql(schema, ix),
          exprColumns: special?.exprColumns ?? null,
          partial: special?.partial === true,
        };
      }),
  ];
}

function findIndex(view: ReadView, name: string): { table: Table; index: IndexInfo } | null {
  const lower = name.toLowerCase();
  let loose: { table: Table; index: IndexInfo } | null = null;
  for (const table of tables(view)) {
    for (const index of indexesOf(table)) {
      if (index.name === name) return { table, index };
      if (loose === null && index.name.toLowerCase() === lower) loose = { table, index };
    }
  }
  return loose;
}

/**
 * `rootpage`: SQLite's b-tree page number. ModelVault has no pages; a table answers its
 * collection id (stable for the life of the file, kept by compaction) and an index 0.
 */
function masterRows(view: ReadView): Row[] {
  const rows: Row[] = [];
  let sequence = false;
  for (const table of tables(view)) {
    const { id, schema } = table;
    rows.push(['table', schema.name, schema.name, id, createTableSql(schema)]);
    for (const ix of indexesOf(table)) {
      // A WITHOUT ROWID table is its primary-key b-tree: SQLite lists no separate index for it.
      if (schema.withoutRowid && ix.origin === 'pk') continue;
      rows.push(['index', ix.name, schema.name, 0, ix.sql]);
    }
    // SQLite creates sqlite_sequence with its first AUTOINCREMENT table.
    if (schema.autoIncrement && !sequence) {
      sequence = true;
      rows.push(['table', 'sqlite_sequence', 'sqlite_sequence', 0, 'CREATE TABLE sqlite_sequence(name,seq)']);
    }
  }
  // Views follow the tables (SQLite lists every entry in creation order); rootpage is 0 as in SQLite.
  for (const v of view.sqlViews ?? []) rows.push(['view', v.name, v.name, 0, v.sql]);
  return rows;
}

/** One row per AUTOINCREMENT table that has had a row: its largest key ever (SQLite's seq). */
function sequenceRows(view: ReadView): Row[] {
  const rows: Row[] = [];
  const byId = [...view.collections.values()].sort((a, b) => a.meta.id - b.meta.id);
  for (const v of byId)
    if (v.meta.schema.autoIncrement && v.seq !== null) rows.push([v.meta.schema.name, v.seq]);
  return rows;
}

/** What ANALYZE gathered, as SQLite's sqlite_stat1 shows it: "rows avg1 avg2 …" per index. */
function statRows(view: ReadView): Row[] {
  const rows: Row[] = [];
  for (const t of view.sqlStats ?? []) {
    if (t.indexes.length === 0) rows.push([t.table, null, String(t.rows)]);
    for (const ix of t.indexes) rows.push([t.table, ix.name, [t.rows, ...ix.avgRows].join(' ')]);
  }
  return rows;
}

/**
 * SQLite shows NOT NULL as declared; a rowid table's primary key is not NOT NULL unless declared so
 * (not recorded: 0); a WITHOUT ROWID or STRICT table's key columns are.
 */
function tableInfoRows(schema: CollectionSchema, extended: boolean): Row[] {
  const keys = primaryKeyPaths(schema);
  // Generated columns are hidden columns in SQLite: table_xinfo alone lists them (hidden 2 for
  // VIRTUAL, 3 for STORED), and table_info numbers the others without them.
  const shown = visibleFields(schema).filter((f) => extended || f.generated === undefined);
  const rowidKey = keyIsRowid(schema);
  return shown.map((f: NormalizedField, cid) => {
    const pkAt = keys.findIndex((k) => samePath(k, f.path));
    // A composite key's columns keep their declared nullability; a single-field key is NOT NULL here.
    // The key columns of a WITHOUT ROWID or STRICT table (but a STRICT table's INTEGER PRIMARY
    // KEY, its rowid) are NOT NULL in SQLite, declared so or not.
    const notnull =
      (pkAt >= 0 && (schema.withoutRowid === true || (schema.strict === true && !rowidKey))) ||
      ((pkAt < 0 || schema.keyIndex !== undefined) && f.type.kind !== 'optional')
        ? 1
        : 0;
    // SQLite shows a default as its SQL text: an expression default is kept as that text.
    const dflt = f.defaultSql ?? (f.default === undefined ? null : sqlLiteral(f.default));
    const row: Row = [cid, columnName(f), declaredType(f), notnull, dflt, pkAt + 1];
    if (extended) row.push(f.generated === undefined ? 0 : f.generated.stored ? 3 : 2);
    return row;
  });
}

function indexListRows(table: Table): Row[] {
  // SQLite lists the most recently created index first.
  return indexesOf(table)
    .reverse()
    .map((ix, seq) => [seq, ix.name, ix.unique ? 1 : 0, ix.origin, ix.partial ? 1 : 0]);
}

function indexInfoRows(schema: CollectionSchema, ix: IndexInfo, extended: boolean): Row[] {
  const fields = visibleFields(schema);
  const rows: Row[] = ix.paths.map((p, seqno) => {
    if (ix.exprColumns?.[seqno]) {
      const row: Row = [seqno, -2, null];
      if (extended) row.push(ix.desc?.[seqno] ? 1 : 0, 'BINARY', 1);
      return row;
    }
    // A path inside an object column is keyed by that column (cid of the field holding it).
    const cid = fields.findIndex(
      (f) => f.path.length <= p.length && samePath(f.path, p.slice(0, f.path.length)),
    );
    const field = fields[cid];
    const row: Row = [seqno, cid, p.join('.')];
    if (extended) row.push(ix.desc?.[seqno] ? 1 : 0, (field?.collate ?? 'binary').toUpperCase(), 1);
    return row;
  });
  if (!extended) return rows;
  // Every SQLite index of a rowid table ends with the rowid, shown by index_xinfo as an auxiliary
  // column. A WITHOUT ROWID table has none: its other indexes end with the key columns they lack,
  // and its key's own index with every other stored column (a VIRTUAL generated one is not).
  if (!schema.withoutRowid) {
    rows.push([rows.length, -1, null, 0, 'BINARY', 0]);
    return rows;
  }
  const keys = primaryKeyPaths(schema);
  const aux =
    ix.origin === 'pk'
      ? fields
          .filter(
            (f) =>
              !keys.some((k) => samePath(k, f.path)) && (f.generated === undefined || f.generated.stored),
          )
          .map((f) => f.path)
      : keys.filter((k) => !ix.paths.some((p, i) => !ix.exprColumns?.[i] && samePath(p, k)));
  for (const p of aux) {
    const cid = fields.findIndex((f) => samePath(f.path, p));
    rows.push([rows.length, cid, p.join('.'), 0, (fields[cid]?.collate ?? 'binary').toUpperCase(), 0]);
  }
  return rows;
}

/**
 * The rows of one virtual table, as of `view`, for the PRAGMA argument `arg`. Each row ends with
 * its hidden rowid (the row's number, as `SELECT rowid` shows), so rows are as wide as the
 * table's schema (parser/lower-introspect.ts).
 */
export function virtualRows(
  table: VirtualTable,
  arg: string | null,
  view: ReadView,
  readRow?: (location: number) => unknown[],
  source?: Pick<VirtualSource, 'views' | 'mainOnly' | 'tempViews'>,
): Row[] {
  return catalogRows(table, arg, view, readRow, source).map((r, i) => [...r, i + 1]);
}

/**
 * PRAGMA table_list: every table and view (`arg` null) or the one `arg` names, then the schema
 * tables. SQLite lists them in the order of its hash tables; here main's tables and views come
 * in creation order, then `sqlite_schema` (and `sqlite_sequence` once an AUTOINCREMENT table
 * exists), then temp's `sqlite_temp_schema`. A connection's temporary tables are not listed.
 */
function tableListRows(
  view: ReadView,
  arg: string | null,
  source: Pick<VirtualSource, 'views' | 'mainOnly'> | undefined,
): Row[] {
  const rows: Row[] = [];
  const all = tables(view);
  for (const { schema } of all) {
    const ncol = tableInfoRows(schema, true).length;
    rows.push(['main', schema.name, 'table', ncol, schema.withoutRowid ? 1 : 0, schema.strict ? 1 : 0]);
  }
  for (const v of view.sqlViews ?? [])
    rows.push(['main', v.name, 'view', source?.views?.get(v.name.toLowerCase())?.length ?? 0, 0, 0]);
  rows.push(['main', 'sqlite_schema', 'table', 5, 0, 0]);
  if (all.some((t) => t.schema.autoIncrement)) rows.push(['main', 'sqlite_sequence', 'table', 2, 0, 0]);
  if (!source?.mainOnly) rows.push(['temp', 'sqlite_temp_schema', 'table', 5, 0, 0]);
  if (arg === null) return rows;
  // SQLite finds the schema tables by their legacy names only (table_list(sqlite_schema) is empty).
  const key = arg.toLowerCase();
  const wanted =
    key === 'sqlite_master' ? 'sqlite_schema' : key === 'sqlite_temp_master' ? 'sqlite_temp_schema' : key;
  if (key === 'sqlite_schema' || key === 'sqlite_temp_schema') return [];
  return rows.filter((r) => String(r[1]).toLowerCase() === wanted);
}

/** SQLite's declared columns of its schema tables (no declared type for sqlite_sequence's and sqlite_stat1's). */
const SCHEMA_TABLE_COLUMNS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  sqlite_master: [
    ['type', 'TEXT'],
    ['name', 'TEXT'],
    ['tbl_name', 'TEXT'],
    ['rootpage', 'INT'],
    ['sql', 'TEXT'],
  ],
  sqlite_sequence: [
    ['name', ''],
    ['seq', ''],
  ],
  sqlite_stat1: [
    ['tbl', ''],
    ['idx', ''],
    ['stat', ''],
  ],
};

/**
 * table_info of a schema table, as SQLite answers it: `sqlite_master` and its aliases always,
 * `sqlite_sequence` once an AUTOINCREMENT table exists, `sqlite_stat1` once ANALYZE has stored figures.
 */
function schemaTableInfo(view: ReadView, arg: string, extended: boolean): Row[] {
  const key = arg.toLowerCase();
  let cols: readonly (readonly [string, string])[] | undefined;
  if (
    key === 'sqlite_master' ||
    key === 'sqlite_schema' ||
    key === 'sqlite_temp_master' ||
    key === 'sqlite_temp_schema'
  )
    cols = SCHEMA_TABLE_COLUMNS.sqlite_master;
  else if (key === 'sqlite_sequence' && tables(view).some((t) => t.schema.autoIncrement))
    cols = SCHEMA_TABLE_COLUMNS.sqlite_sequence;
  else if (key === 'sqlite_stat1' && (view.sqlStats?.length ?? 0) > 0)
    cols = SCHEMA_TABLE_COLUMNS.sqlite_stat1;
  return (cols ?? []).map(([name, type], cid) => [cid, name, type, 0, null, 0, ...(extended ? [0] : [])]);
}

/** virtualRows without the trailing rowid (what a lateral PRAGMA function joins, planner/table-function.ts). */
export function catalogRows(
  table: VirtualTable,
  arg: string | null,
  view: ReadView,
  readRow?: (location: number) => unknown[],
  source?: Pick<VirtualSource, 'views' | 'mainOnly' | 'tempViews'>,
): Row[] {
  switch (table) {
    case 'table_list':
      return tableListRows(view, arg, source);
    case 'foreign_key_list':
      return foreignKeyListRows(view, arg);
    case 'foreign_key_check':
      if (!readRow) return [];
      return foreignKeyCheckRows(view, arg, readRow);
    case 'sqlite_master':
      return masterRows(view);
    case 'sqlite_temp_master':
      // A connection runs every statement that reads it on its temporary database
      // (cursor/temp-schema.ts), whose own catalog is the temp schema; its TEMP views follow.
      return [
        ...masterRows(view),
        ...(source?.tempViews ?? []).map((v) => ['view', v.name, v.name, 0, v.sql]),
      ];
    case 'sqlite_sequence':
      return sequenceRows(view);
    case 'sqlite_stat1':
      return statRows(view);
    case 'table_info':
    case 'table_xinfo': {
      const found = arg === null ? null : findTable(view, arg);
      if (found) return tableInfoRows(found.schema, table === 'table_xinfo');
      return arg === null ? [] : schemaTableInfo(view, arg, table === 'table_xinfo');
    }
    case 'index_list': {
      const found = arg === null ? null : findTable(view, arg);
      return found ? indexListRows(found) : [];
    }
    case 'index_info':
    case 'index_xinfo': {
      const found = arg === null ? null : findIndex(view, arg);
      return found ? indexInfoRows(found.table.schema, found.index, table === 'index_xinfo') : [];
    }
  }
}
