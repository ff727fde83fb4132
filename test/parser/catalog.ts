/**
 * Test catalogs for the SQL front end, built with the real schema layer (normalize + compile) so
 * the lowering is tested against the same accessors the engine hands it.
 */
import type { CatalogReader } from '../../parser/lower-statement';
import { lowerStatement } from '../../parser/lower-statement';
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
