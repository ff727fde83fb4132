/**
 * Test catalogs for the SQL front end, built with the real schema layer (normalize + compile) so
 * the lowering is tested against the same accessors the engine hands it.
 */
import type { CatalogReader } from '../../parser/lower-statement';
import { lowerStatement } from '../../parser/lower-statement';
import type { LoweredStatement, SelectStmt } from '../../parser/ir';
import type { LogicalPlan } from '../../planner/logical';
import type { FieldDescriptor, IndexDescriptor } from '../../storage/schema/descriptors';
import { normalizeCollection } from '../../storage/schema/normalize';
import type { CollectionSchema } from '../../storage/schema/normalize';
import { compileSchema } from '../../storage/schema/compile';
import type { CompiledSchema } from '../../storage/schema/compile';

export interface TestCatalog extends CatalogReader {
  /** Register a collection from typed-API descriptors. */
  add(name: string, fields: FieldDescriptor[], primaryKey: string, indexes?: IndexDescriptor[]): TestCatalog;
  /** Register a collection from a CREATE TABLE statement, lowered by the front end under test. */
  ddl(sql: string): TestCatalog;
}

export function makeCatalog(): TestCatalog {
  const tables = new Map<string, { schema: CollectionSchema; compiled: CompiledSchema }>();
  const catalog: TestCatalog = {
    collection: (name) => tables.get(name),
    names: () => [...tables.keys()],
    add(name, fields, primaryKey, indexes = []) {
      const schema = normalizeCollection(name, fields, primaryKey, indexes);
      tables.set(name, { schema, compiled: compileSchema(schema) });
      return catalog;
    },
    ddl(sql) {
      const { stmt } = lowerStatement(sql, catalog);
      if (stmt.kind !== 'createTable') throw new Error(`not CREATE TABLE: ${sql}`);
      return catalog.add(stmt.name, [...stmt.fields], stmt.primaryKey, [...stmt.indexes]);
    },
  };
  return catalog;
}

/**
 * The catalog most tests use:
 * - books: INTEGER PRIMARY KEY, text, nullable integer, real, blob, bool
 * - users: typed-API collection with multi-segment and object paths
 * - logs: no primary key (hidden __rowid)
 * - s: the SQLITE-SEMANTICS §10 table (dept, name, sal)
 */
export function standardCatalog(): TestCatalog {
  return makeCatalog()
    .ddl(
      'CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER, price REAL, cover BLOB, available BOOLEAN)',
    )
    .add(
      'users',
      [
        { path: 'id', type: 'int64' },
        { path: 'email', type: 'string' },
        { path: ['profile', 'timezone'], type: { optional: 'string' } },
        {
          path: 'address',
          type: {
            object: [
              { path: 'city', type: 'string' },
              { path: 'zip', type: { optional: 'string' } },
            ],
          },
        },
        { path: 'status', type: { enum: ['active', 'banned'] } },
        { path: 'tags', type: { list: 'string' } },
        { path: 'born', type: { optional: 'timestamp' } },
      ],
      'id',
      [{ name: 'users_email', path: 'email', kind: 'unique' }],
    )
    .ddl('CREATE TABLE logs (msg TEXT, level INTEGER)')
    .ddl('CREATE TABLE s (dept TEXT, name TEXT PRIMARY KEY, sal INTEGER)');
}

let shared: TestCatalog | null = null;

/** One standard catalog shared by tests that never add to it. */
export function sharedCatalog(): TestCatalog {
  shared ??= standardCatalog();
  return shared;
}

/** Lower against the standard catalog (or `catalog`). */
export function lower(sql: string, catalog: CatalogReader = sharedCatalog()): LoweredStatement {
  return lowerStatement(sql, catalog);
}

export function lowerSelectStmt(sql: string, catalog: CatalogReader = sharedCatalog()): SelectStmt {
  const { stmt } = lowerStatement(sql, catalog);
  if (stmt.kind !== 'select') throw new Error(`not a SELECT: ${sql}`);
  return stmt;
}

/** Node kinds from the leaf (scan) up to the root. */
export function layerKinds(plan: LogicalPlan): string[] {
  const kinds: string[] = [];
  let node: LogicalPlan | null = plan;
  while (node) {
    kinds.unshift(node.kind === 'filter' && node.input.kind === 'aggregate' ? 'having' : node.kind);
    node = 'input' in node ? node.input : null;
  }
  return kinds;
}

/** The plan node of `kind` (the first met walking down from the root). */
export function findNode<K extends LogicalPlan['kind']>(
  plan: LogicalPlan,
  kind: K,
): Extract<LogicalPlan, { kind: K }> {
  let node: LogicalPlan = plan;
  for (;;) {
    if (node.kind === kind) return node as Extract<LogicalPlan, { kind: K }>;
    if (!('input' in node)) throw new Error(`no ${kind} node`);
    node = node.input;
  }
}

/** The error `fn` throws (fails the test when it returns). */
export function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('expected an error, but nothing was thrown');
}
