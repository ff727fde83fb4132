/**
 * Virtual tables: `sqlite_master` (alias `sqlite_schema`), the empty `sqlite_temp_master`,
 * `sqlite_sequence` (the AUTOINCREMENT counters each collection keeps), `sqlite_stat1` (what
 * ANALYZE gathered, in SQLite's text form), and
 * the result sets of the catalog PRAGMAs (`table_info`, `table_xinfo`, `index_list`,
 * `index_info`, `index_xinfo`, `foreign_key_list`, `foreign_key_check`, `table_list`). They are leaves of the one logical plan (planner/logical.ts
 * `virtual`), so WHERE, ORDER BY, aggregates and projections over them run on the ordinary
 * executor; their rows are computed from the statement's read view when the scan starts, so a
 * cached statement always sees the catalog as it is then.
 */
import type { Expr, ValueType } from '../expr';

export type VirtualTable =
  | 'sqlite_master'
  | 'sqlite_temp_master'
  | 'sqlite_sequence'
  | 'sqlite_stat1'
  | 'table_info'
  | 'table_xinfo'
  | 'index_list'
  | 'index_info'
  | 'index_xinfo'
  | 'foreign_key_list'
  | 'foreign_key_check'
  | 'table_list';

export interface VirtualSource {
  readonly table: VirtualTable;
  /**
   * The PRAGMA's argument (a table or index name), evaluated when the scan starts so
   * `pragma_table_info(?)` binds like any parameter; null for the schema tables.
   */
  readonly arg: Expr | null;
  /**
   * The rows, when lowering could compute them: `table_info` of a view, whose columns only the
   * SQL front end can work out (parser/view-columns.ts). Without the trailing rowid.
   */
  readonly rows?: readonly (readonly unknown[])[];
  /** table_list: each view's table_info rows by lower-cased name (worked out by the SQL front end). */
  readonly views?: ViewInfoRows;
  /** sqlite_temp_master: the connection's TEMP views (it keeps them; the temporary database does not). */
  readonly tempViews?: readonly { readonly name: string; readonly sql: string }[];
  /** table_list of `PRAGMA main.table_list`: main's objects only, without temp's schema table. */
  readonly mainOnly?: true;
}

export interface VirtualColumn {
  readonly name: string;
  readonly type: ValueType;
  readonly nullable: boolean;
}

function col(name: string, type: ValueType, nullable = false): VirtualColumn {
  return { name, type, nullable };
}

const MASTER: readonly VirtualColumn[] = [
  col('type', 'text'),
  col('name', 'text'),
  col('tbl_name', 'text'),
  col('rootpage', 'integer'),
  col('sql', 'text', true),
];

const TABLE_INFO: readonly VirtualColumn[] = [
  col('cid', 'integer'),
  col('name', 'text'),
  col('type', 'text'),
  col('notnull', 'integer'),
  col('dflt_value', 'text', true),
  col('pk', 'integer'),
];

const INDEX_INFO: readonly VirtualColumn[] = [
  col('seqno', 'integer'),
  col('cid', 'integer'),
  col('name', 'text', true),
];

/** Result columns of each virtual table, in row order. */
export const VIRTUAL_COLUMNS: Readonly<Record<VirtualTable, readonly VirtualColumn[]>> = {
  sqlite_master: MASTER,
  sqlite_temp_master: MASTER,
  sqlite_sequence: [col('name', 'text'), col('seq', 'integer')],
  sqlite_stat1: [col('tbl', 'text'), col('idx', 'text', true), col('stat', 'text')],
  table_info: TABLE_INFO,
  table_xinfo: [...TABLE_INFO, col('hidden', 'integer')],
  index_list: [
    col('seq', 'integer'),
    col('name', 'text'),
    col('unique', 'integer'),
    col('origin', 'text'),
    col('partial', 'integer'),
  ],
  index_info: INDEX_INFO,
  index_xinfo: [...INDEX_INFO, col('desc', 'integer'), col('coll', 'text'), col('key', 'integer')],
  foreign_key_list: [
    col('id', 'integer'),
    col('seq', 'integer'),
    col('table', 'text'),
    col('from', 'text'),
    col('to', 'text', true),
    col('on_update', 'text'),
    col('on_delete', 'text'),
    col('match', 'text'),
  ],
  foreign_key_check: [
    col('table', 'text'),
    col('rowid', 'integer', true),
    col('parent', 'text'),
    col('fkid', 'integer'),
  ],
  table_list: [
    col('schema', 'text'),
    col('name', 'text'),
    col('type', 'text'),
    col('ncol', 'integer'),
    col('wr', 'integer'),
    col('strict', 'integer'),
  ],
};

/** Table names that read a schema table (SQLite's names and legacy aliases, any case). */
const SCHEMA_TABLES: Readonly<Record<string, VirtualTable>> = {
  sqlite_master: 'sqlite_master',
  sqlite_schema: 'sqlite_master',
  sqlite_temp_master: 'sqlite_temp_master',
  sqlite_temp_schema: 'sqlite_temp_master',
  sqlite_sequence: 'sqlite_sequence',
  sqlite_stat1: 'sqlite_stat1',
};

/** The schema table `name` denotes, or null. */
export function schemaTable(name: string): VirtualTable | null {
  const key = name.toLowerCase();
  return Object.prototype.hasOwnProperty.call(SCHEMA_TABLES, key) ? SCHEMA_TABLES[key] : null;
}

/** The catalog PRAGMAs, which also read as table-valued functions (`pragma_table_info('t')`). */
export const CATALOG_PRAGMAS: readonly VirtualTable[] = [
  'table_info',
  'table_xinfo',
  'index_list',
  'index_info',
  'index_xinfo',
  'foreign_key_list',
  'foreign_key_check',
  'table_list',
];

/**
 * A catalog PRAGMA read as a table-valued function whose argument reads another source's columns
 * (`FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p`, what Kysely's and Drizzle's
 * schema introspection send): planned as a lateral TableFunction (planner/table-function.ts), run
 * once per row of the sources before it, with SQLite's hidden columns `arg` and `schema`.
 */
export type PragmaFn = `pragma_${VirtualTable}`;

/** table_info (or table_xinfo) rows of each view, by lower-cased name: only the SQL front end can work them out. */
export type ViewInfoRows = ReadonlyMap<string, readonly (readonly unknown[])[]>;

/** The columns of a PragmaFn's rows: the PRAGMA's, then the hidden `arg` and `schema`. */
export function pragmaFnColumns(table: VirtualTable): readonly (VirtualColumn & { hidden?: true })[] {
  return [
    ...VIRTUAL_COLUMNS[table],
    { name: 'arg', type: 'text', nullable: true, hidden: true },
    { name: 'schema', type: 'text', nullable: true, hidden: true },
  ];
}

/** The catalog PRAGMA a `pragma_<name>` table-valued function reads, or null. */
export function pragmaTable(name: string): VirtualTable | null {
  const key = name.toLowerCase();
  if (!key.startsWith('pragma_')) return null;
  return CATALOG_PRAGMAS.find((p) => `pragma_${p}` === key) ?? null;
}
