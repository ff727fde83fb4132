/**
 * A connection's temporary schema (issue 13): `CREATE TEMP TABLE` and `temp.t` tables live in a
 * private in-memory database of the connection, opened on first use and gone when it closes, so
 * they are never written to the database file nor seen by another connection or process.
 *
 * Name resolution is SQLite's: an unqualified name is looked up in the temp schema first, then in
 * main; `temp.t` / `main.t` look in that schema only. Each statement then runs whole on the
 * database that owns every table it names (the route): the planner and executor read one engine
 * per statement, so a statement naming tables of both schemas (a join, INSERT … SELECT across
 * them) is refused with a NotSupportedError rather than half-run. `sqlite_temp_master` is the
 * temporary database's own catalog, so statements reading it run there too.
 */
import { Database } from '../src/database';
import { NotSupportedError, ProgrammingError } from '../src/errors';
import type { CatalogReader, CatalogView } from '../parser/scope';

export type Schema = 'main' | 'temp';

/** What one statement's lowering found: the schemas of the tables it names. */
export class Route {
  /** Names the statement qualifies (`temp.t`), lower-cased, with their schema. */
  private qualified: ReadonlyMap<string, Schema> = new Map();
  private readonly seen = new Set<Schema>();

  qualify(names: ReadonlyMap<string, Schema>): void {
    this.qualified = names;
    for (const s of names.values()) this.seen.add(s);
  }

  touch(schema: Schema): void {
    this.seen.add(schema);
  }

  /** Whether a lookup of `name` may reach `schema` (a qualified name only its own). */
  allows(schema: Schema, name: string | null): boolean {
    if (name === null) return true;
    const only = this.qualified.get(name.toLowerCase());
    return only === undefined || only === schema;
  }

  /**
   * SQLite names a missing qualified table with its schema ("no such table: temp.t"): `err`
   * reworded so when it is about such a name.
   */
  reword(err: unknown): unknown {
    if (!(err instanceof ProgrammingError) || err.code !== 'NO_SUCH_COLLECTION') return err;
    const m = /^no such table: (.*)$/.exec(err.message);
    const schema = m ? this.qualified.get(m[1].toLowerCase()) : undefined;
    if (m && schema) err.message = `no such table: ${schema}.${m[1]}`;
    return err;
  }

  /** The schema the statement runs in; a NotSupportedError when it names tables of both. */
  resolve(): Schema {
    if (this.seen.size > 1) throw mixed();
    return this.seen.has('temp') ? 'temp' : 'main';
  }
}

function mixed(): NotSupportedError {
  return new NotSupportedError(
    'a statement naming both TEMP and main tables (joins and INSERT … SELECT across the two schemas)',
  );
}

function findName(names: readonly string[], name: string): string | undefined {
  if (names.includes(name)) return name;
  const lower = name.toLowerCase();
  return names.find((n) => n.toLowerCase() === lower);
}

export class TempSchema {
  private db: Database | null = null;

  constructor(private readonly options: { safeIntegers?: boolean; foreignKeys?: boolean }) {}

  /** The temporary database, opened on first use. */
  get database(): Database {
    this.db ??= Database.openInMemory({
      ...(this.options.safeIntegers === undefined ? {} : { safeIntegers: this.options.safeIntegers }),
      ...(this.options.foreignKeys === undefined ? {} : { foreignKeys: this.options.foreignKeys }),
    });
    return this.db;
  }

  /** The temporary database if it was opened. */
  get opened(): Database | null {
    return this.db;
  }

  get inTransaction(): boolean {
    return this.db !== null && this.db.isOpen && this.db.inTransaction;
  }

  hasTable(name: string): boolean {
    return this.db !== null && findName(this.db.visibleCollectionNames(), name) !== undefined;
  }

  commit(): void {
    if (this.inTransaction) this.db?.commit();
  }

  rollback(): void {
    if (this.inTransaction) this.db?.rollback();
  }

  /** Drop every temporary table with the database (connection close). */
  close(): void {
    this.db?.close();
    this.db = null;
  }

  /**
   * The catalog one statement is lowered against: temp tables shadow main ones, as `route`
   * (which records where each name was found) allows; views are `views`' as before.
   */
  catalog(main: Database, route: Route, view: (name: string) => CatalogView | undefined): CatalogReader {
    const temp = this.db;
    const schemas = (name: string | null): { schema: Schema; db: Database }[] => [
      ...(temp && route.allows('temp', name) ? [{ schema: 'temp' as const, db: temp }] : []),
      ...(route.allows('main', name) ? [{ schema: 'main' as const, db: main }] : []),
    ];
    return {
      names: () => schemas(null).flatMap((s) => s.db.visibleCollectionNames()),
      collection: (name) => {
        for (const s of schemas(name)) {
          const state = s.db.visibleCollection(name);
          if (state) {
            route.touch(s.schema);
            return { schema: state.meta.schema, compiled: state.compiled };
          }
        }
        return undefined;
      },
      view,
      useSchemas: (named, unqualified) => {
        route.qualify(named);
        // `t JOIN main.t` with a temp t reads both schemas (the bare t is the temp table).
        for (const [name, schema] of named)
          if (schema === 'main' && unqualified.has(name) && this.hasTable(name)) throw mixed();
      },
      readsSchemaTable: (schema) => route.touch(schema),
    };
  }
}
