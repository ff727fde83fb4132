/**
 * Differential statements over the schema of the case's table: `sqlite_master` queries (never
 * its `sql` text or `rootpage`, which ModelVault regenerates / numbers its own way; docs/sql.md
 * "Introspection"), the catalog PRAGMAs as statements and as table-valued functions, and the
 * settings PRAGMAs' reads. Every one is a read, compared row by row with SQLite's answer.
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';

const select = (sql: string, ordered = true): Stmt => ({ sql, params: [], ordered, kind: 'select' });

/** Predicates over sqlite_master's comparable columns. */
const masterWhere = (indexNames: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom("type = 'table'", "type = 'index'", "tbl_name = 't'", "name LIKE 't%'", 'sql IS NULL'),
    fc.constantFrom('t', 'nope', ...indexNames).map((n) => `name = '${n}'`),
    fc.constantFrom("type <> 'index'", "name GLOB 't_*'", 'length(name) > 3', "upper(type) = 'INDEX'"),
  );

function masterQuery(indexNames: string[]): fc.Arbitrary<Stmt> {
  return fc
    .tuple(
      fc.constantFrom('sqlite_master', 'sqlite_schema', 'main.sqlite_master'),
      fc.option(masterWhere(indexNames), { freq: 3 }),
      fc.constantFrom(
        'type, name, tbl_name',
        'name',
        'count(*)',
        'upper(name), sql IS NULL',
        "name || ':' || tbl_name",
        'type, count(*)',
      ),
      fc.boolean(),
    )
    .map(([table, where, items, desc]) => {
      const w = where === null ? '' : ` WHERE ${where}`;
      if (items === 'count(*)') return select(`SELECT count(*) FROM ${table}${w}`);
      if (items === 'type, count(*)')
        return select(`SELECT type, count(*) FROM ${table}${w} GROUP BY type ORDER BY type`);
      return select(`SELECT ${items} FROM ${table}${w} ORDER BY 1${desc ? ' DESC' : ''}`);
    });
}

function pragmaStatement(indexNames: string[]): fc.Arbitrary<Stmt> {
  const onTable = fc
    .tuple(
      fc.constantFrom('table_info', 'table_xinfo', 'index_list'),
      fc.constantFrom('t', 'T', "'t'", 'nope'),
      fc.constantFrom('(', ' = ', 'main.('),
    )
    .map(([p, arg, form]) =>
      form === ' = '
        ? `PRAGMA ${p} = ${arg}`
        : form === 'main.('
          ? `PRAGMA main.${p}(${arg})`
          : `PRAGMA ${p}(${arg})`,
    );
  const onIndex = fc
    .tuple(fc.constantFrom('index_info', 'index_xinfo'), fc.constantFrom('nope', ...indexNames))
    .map(([p, ix]) => `PRAGMA ${p}(${ix})`);
  const settings = fc.constantFrom('PRAGMA user_version', 'PRAGMA synchronous', 'PRAGMA journal_mode');
  return fc.oneof(onTable, onIndex, settings).map((sql) => select(sql));
}

function tableValued(cols: Col[]): fc.Arbitrary<Stmt> {
  const names = ['id', ...cols.map((c) => c.name)];
  return fc
    .tuple(
      fc.constantFrom('pragma_table_info', 'pragma_table_xinfo'),
      fc.option(
        fc.oneof(
          fc.constantFrom('pk = 1', 'notnull = 1', 'pk = 0 AND notnull = 0', "type = 'TEXT'", 'cid >= 2'),
          fc.constantFrom(...names).map((n) => `name = '${n}'`),
        ),
        { freq: 2 },
      ),
      fc.constantFrom('name, type', 'count(*)', 'cid, "notnull", pk', 'max(cid)'),
    )
    .map(([fn, where, items]) => {
      const w = where === null ? '' : ` WHERE ${where}`;
      const agg = items.includes('(');
      return select(`SELECT ${items} FROM ${fn}('t')${w}${agg ? '' : ' ORDER BY cid'}`);
    });
}

export function introspectionStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  const indexNames = cols.filter((c) => c.indexed).map((c) => `t_${c.name}`);
  return fc.oneof(masterQuery(indexNames), pragmaStatement(indexNames), tableValued(cols));
}
