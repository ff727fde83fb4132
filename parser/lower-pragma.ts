/**
 * Every PRAGMA, lowered (SQLite's answers, https://www.sqlite.org/pragma.html):
 *
 *   - catalog PRAGMAs (`table_info`, `index_list`, …) → a SELECT over a virtual table
 *     (parser/lower-introspect.ts);
 *   - the settings ModelVault keeps (`user_version`, `foreign_keys`, `journal_mode`, `synchronous`,
 *     `integrity_check`) → PragmaStmt the connection runs;
 *   - tuning knobs of SQLite's pager and planner that change no answer (`cache_size`,
 *     `temp_store`, `mmap_size`, `busy_timeout`, …) → remembered per connection and read back as
 *     set, as legacy start-up code expects; they change nothing in ModelVault;
 *   - `case_sensitive_like`, per connection (the session LIKE reads);
 *   - switches that would change answers (`count_changes`, `query_only`, …) read their default,
 *     and setting the default is accepted; another value is NotSupportedError;
 *   - a few answers and actions (`encoding`, `collation_list`, `database_list`, `optimize`,
 *     `wal_checkpoint`, `data_version`);
 *   - any other PRAGMA SQLite knows is NotSupportedError naming it; a name SQLite does not know
 *     either is ignored, no rows, as SQLite ignores it.
 */
import { NotSupportedError } from '../src/errors';
import { CATALOG_PRAGMAS } from '../planner/introspect/virtual';
import type { VirtualTable } from '../planner/introspect/virtual';
import type { OutputColumn, PragmaSetting, Statement } from './ir';
import type { PragmaAst } from './sql/ast';
import type { ParamCollector } from './params';
import { catalogPragma } from './lower-introspect';

/**
 * SQLite's sqlite3Atoi for `PRAGMA user_version = v`: the leading integer (decimal, or hex with
 * 0x) of the text; 0 when there is none or it does not fit 32 bits.
 */
export function pragmaInt(text: string): number {
  const hex = /^0x([0-9a-f]+)$/i.exec(text);
  if (hex) {
    if (hex[1].length > 8) return 0;
    return Number.parseInt(hex[1], 16) | 0;
  }
  const m = /^[+-]?\d+/.exec(text);
  if (!m) return 0;
  const v = BigInt(m[0]);
  return v >= -2147483648n && v <= 2147483647n ? Number(v) : 0;
}

/** A 64-bit pragma value (`cache_size`, `mmap_size`): the leading integer, 0 for none. */
function pragmaNumber(text: string): number {
  const m = /^[+-]?\d+/.exec(text.trim());
  if (!m) return 0;
  const v = BigInt(m[0]);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(v > limit ? limit : v < -limit ? -limit : v);
}

/** SQLite's boolean pragma values: on/yes/true, off/no/false, or a number (non-zero is on). */
function pragmaBool(text: string): number {
  const w = text.toLowerCase();
  if (w === 'on' || w === 'yes' || w === 'true') return 1;
  if (w === 'off' || w === 'no' || w === 'false') return 0;
  return pragmaInt(text) !== 0 ? 1 : 0;
}

/** A pragma value that is one of named levels (`temp_store = MEMORY`) or their number. */
function pragmaLevel(levels: readonly string[]): (text: string) => number {
  return (text) => {
    const at = levels.indexOf(text.toLowerCase());
    return at >= 0 ? at : pragmaInt(text);
  };
}

function settingColumns(name: PragmaSetting): OutputColumn[] {
  const type =
    name === 'journal_mode' || name === 'integrity_check' || name === 'quick_check' ? 'text' : 'integer';
  return [{ name, type, nullable: false }];
}

/** SQLite's synchronous levels; ModelVault syncs every commit once, which is FULL (2). */
const synchronousLevel = pragmaLevel(['off', 'normal', 'full', 'extra']);

function settingPragma(name: PragmaSetting, ast: PragmaAst, sql: string): Statement {
  const columns = settingColumns(name);
  if (!ast.hasValue || ast.value === null) return { kind: 'pragma', name, value: null, columns };
  const value = ast.value;
  switch (name) {
    case 'user_version':
      return { kind: 'setUserVersion', value: pragmaInt(value) };
    case 'foreign_keys':
      return { kind: 'pragma', name, value: pragmaBool(value), columns };
    case 'journal_mode':
      return { kind: 'pragma', name, value: value.toLowerCase(), columns };
    case 'synchronous': {
      // OFF and NORMAL ask for less than every commit's fsync, which ModelVault still does (the
      // setting reads 2 after); EXTRA asks for more than it does: refused rather than promised.
      if (synchronousLevel(value) > 2)
        throw new NotSupportedError(
          `PRAGMA synchronous = ${value}: ModelVault syncs each commit once (synchronous = FULL)`,
          'NOT_SUPPORTED',
          { sql },
        );
      return { kind: 'pragma', name, value: 2, columns };
    }
    case 'integrity_check':
    case 'quick_check':
      // `(N)`: at most N rows of problems; `(t)`: SQLite checks table t only (here: the file).
      return { kind: 'pragma', name, value: /^[+-]?\d+$/.test(value) ? pragmaInt(value) : value, columns };
    default:
      return { kind: 'pragma', name, value: null, columns };
  }
}

const SETTINGS: ReadonlySet<string> = new Set<PragmaSetting>([
  'user_version',
  'foreign_keys',
  'journal_mode',
  'synchronous',
  'integrity_check',
  'quick_check',
]);

/**
 * A knob of SQLite's that changes no answer: its value as SQLite starts with it (the connection
 * may know better: `cache_size`, `busy_timeout`, cursor/pragmas.ts), how a value is read, and
 * whether setting it answers the new value as a row (SQLite's behaviour per pragma).
 */
interface Tuning {
  readonly initial: number | string;
  readonly parse: (text: string) => number | string;
  readonly echo: boolean;
  /** The result column's name when it is not the PRAGMA's. */
  readonly column?: string;
}

const TUNING: Readonly<Record<string, Tuning>> = {
  cache_size: { initial: -2000, parse: pragmaNumber, echo: false },
  temp_store: { initial: 0, parse: pragmaLevel(['default', 'file', 'memory']), echo: false },
  mmap_size: { initial: 0, parse: pragmaNumber, echo: true },
  wal_autocheckpoint: { initial: 1000, parse: pragmaNumber, echo: true },
  automatic_index: { initial: 1, parse: pragmaBool, echo: false },
  analysis_limit: { initial: 0, parse: pragmaNumber, echo: true },
  threads: { initial: 0, parse: pragmaNumber, echo: true },
  page_size: { initial: 4096, parse: pragmaNumber, echo: false },
  secure_delete: { initial: 0, parse: pragmaBool, echo: true },
  recursive_triggers: { initial: 0, parse: pragmaBool, echo: false },
  reverse_unordered_selects: { initial: 0, parse: pragmaBool, echo: false },
  trusted_schema: { initial: 1, parse: pragmaBool, echo: false },
  legacy_alter_table: { initial: 0, parse: pragmaBool, echo: false },
  read_uncommitted: { initial: 0, parse: pragmaBool, echo: false },
  auto_vacuum: { initial: 0, parse: pragmaLevel(['none', 'full', 'incremental']), echo: false },
  cell_size_check: { initial: 0, parse: pragmaBool, echo: false },
  fullfsync: { initial: 0, parse: pragmaBool, echo: false },
  checkpoint_fullfsync: { initial: 0, parse: pragmaBool, echo: false },
  busy_timeout: { initial: 0, parse: pragmaNumber, echo: true, column: 'timeout' },
  soft_heap_limit: { initial: 0, parse: pragmaNumber, echo: true },
  hard_heap_limit: { initial: 0, parse: pragmaNumber, echo: true },
  journal_size_limit: { initial: -1, parse: pragmaNumber, echo: true },
};

/**
 * Switches that change what statements answer: their default reads back and may be set again;
 * the other value is refused.
 */
const SWITCHES: Readonly<Record<string, number>> = {
  count_changes: 0,
  full_column_names: 0,
  short_column_names: 1,
  query_only: 0,
  defer_foreign_keys: 0,
  ignore_check_constraints: 0,
  writable_schema: 0,
  empty_result_callbacks: 0,
};

/** PRAGMAs that do their work elsewhere in ModelVault, or need none: no result. */
const NO_OPS: ReadonlySet<string> = new Set(['shrink_memory', 'incremental_vacuum']);

/** SQLite's other PRAGMAs, which ModelVault does not answer (NotSupportedError naming them). */
const SQLITE_PRAGMAS: ReadonlySet<string> = new Set([
  'application_id',
  'cache_spill',
  'compile_options',
  'data_store_directory',
  'default_cache_size',
  'freelist_count',
  'function_list',
  'legacy_file_format',
  'max_page_count',
  'module_list',
  'page_count',
  'parser_trace',
  'pragma_list',
  'schema_version',
  'stats',
  'temp_store_directory',
  'vdbe_addoptrace',
  'vdbe_debug',
  'vdbe_listing',
  'vdbe_trace',
]);

function rows(
  name: string,
  columns: readonly OutputColumn[],
  out: readonly (readonly unknown[])[],
): Statement {
  return { kind: 'pragma', name: 'rows', value: null, columns, rows: out, pragma: name };
}

const NONE: readonly OutputColumn[] = [];

function tuningPragma(name: string, t: Tuning, ast: PragmaAst): Statement {
  const type = typeof t.initial === 'number' ? 'integer' : 'text';
  const columns: OutputColumn[] = [{ name: t.column ?? name, type, nullable: false }];
  const value = ast.hasValue && ast.value !== null ? t.parse(ast.value) : null;
  return {
    kind: 'pragma',
    name: 'tuning',
    value,
    columns,
    pragma: name,
    tuning: { initial: t.initial, echo: t.echo },
  };
}

function switchPragma(name: string, fixed: number, ast: PragmaAst, sql: string): Statement {
  const columns: OutputColumn[] = [{ name, type: 'integer', nullable: false }];
  if (!ast.hasValue || ast.value === null) return rows(name, columns, [[fixed]]);
  if (pragmaBool(ast.value) !== fixed)
    throw new NotSupportedError(
      `PRAGMA ${name} = ${ast.value}: only ${fixed}, SQLite's default, is supported`,
      'NOT_SUPPORTED',
      { sql },
    );
  return rows(name, NONE, []);
}

function otherPragma(name: string, ast: PragmaAst, sql: string): Statement {
  const tuning = TUNING[name];
  if (tuning !== undefined) return tuningPragma(name, tuning, ast);
  if (Object.prototype.hasOwnProperty.call(SWITCHES, name))
    return switchPragma(name, SWITCHES[name], ast, sql);
  if (NO_OPS.has(name)) return rows(name, NONE, []);
  switch (name) {
    case 'encoding':
      // Text is UTF-8 throughout; asking for another encoding changes nothing, as in SQLite once
      // a database has content.
      return ast.hasValue
        ? rows(name, NONE, [])
        : rows(name, [{ name, type: 'text', nullable: false }], [['UTF-8']]);
    case 'optimize':
      // Nothing for ModelVault to tune (`ANALYZE` stays explicit); SQLite lists what it ran: none.
      return rows(name, [{ name, type: 'text', nullable: false }], []);
    case 'locking_mode':
      // Writers of a file always hold its lock for their lifetime; the answer is the mode in force.
      return rows(name, [{ name, type: 'text', nullable: false }], [['normal']]);
    case 'collation_list':
      return rows(
        name,
        [
          { name: 'seq', type: 'integer', nullable: false },
          { name: 'name', type: 'text', nullable: false },
        ],
        [
          [0, 'RTRIM'],
          [1, 'NOCASE'],
          [2, 'BINARY'],
        ],
      );
    case 'case_sensitive_like':
      // Per connection; SQLite answers a read with no result at all.
      return {
        kind: 'pragma',
        name,
        value: ast.hasValue && ast.value !== null ? pragmaBool(ast.value) : null,
        columns: NONE,
      };
    case 'database_list':
    case 'wal_checkpoint':
      return { kind: 'pragma', name, value: ast.value, columns: connectionColumns(name) };
    case 'data_version':
      // Read-only: a value given is ignored and the version answered, as in SQLite.
      return { kind: 'pragma', name, value: null, columns: [{ name, type: 'integer', nullable: false }] };
  }
  if (SQLITE_PRAGMAS.has(name)) throw new NotSupportedError(`PRAGMA ${ast.name}`, 'NOT_SUPPORTED', { sql });
  // SQLite ignores a PRAGMA it does not know: no error, no rows.
  return rows(name, NONE, []);
}

function connectionColumns(name: 'database_list' | 'wal_checkpoint'): OutputColumn[] {
  const int = (n: string): OutputColumn => ({ name: n, type: 'integer', nullable: false });
  const text = (n: string): OutputColumn => ({ name: n, type: 'text', nullable: false });
  return name === 'database_list'
    ? [int('seq'), text('name'), text('file')]
    : [int('busy'), int('log'), int('checkpointed')];
}

export function lowerPragma(ast: PragmaAst, params: ParamCollector, sql: string): Statement {
  const name = ast.name.toLowerCase();
  const schema = ast.schema?.toLowerCase() ?? null;
  // `PRAGMA temp.table_info(t)`: the connection's temporary schema (a catalog PRAGMA only).
  const temp = schema === 'temp' && (CATALOG_PRAGMAS as readonly string[]).includes(name);
  if (schema !== null && schema !== 'main' && !temp) {
    throw new NotSupportedError(
      `PRAGMA ${ast.schema}.${ast.name}: only the main database exists`,
      'NOT_SUPPORTED',
      { sql },
    );
  }
  if ((CATALOG_PRAGMAS as readonly string[]).includes(name)) {
    // table_list lists main's objects (and temp's schema table); a temporary database's are not listed.
    if (name === 'table_list' && temp)
      throw new NotSupportedError(`PRAGMA ${ast.schema}.${ast.name}`, 'NOT_SUPPORTED', { sql });
    if (ast.value !== null && name !== 'table_list')
      params.catalogObjectRead?.(ast.value, schema === 'temp' ? 'temp' : schema === 'main' ? 'main' : null);
    return catalogPragma(name as VirtualTable, ast.value, params, name === 'table_list' && schema === 'main');
  }
  if (SETTINGS.has(name)) return settingPragma(name as PragmaSetting, ast, sql);
  return otherPragma(name, ast, sql);
}
