/**
 * A connection's temporary schema (issue 13): `CREATE TEMP TABLE` and `temp.t` tables live in a
 * private in-memory database of the connection, opened on first use and gone when it closes, so
 * they are never written to the database file nor seen by another connection or process.
 *
 * Name resolution is SQLite's: an unqualified name is looked up in the temp schema first, then in
 * main; `temp.t` / `main.t` look in that schema only. Each statement then runs whole on the
 * database that owns every table it names (the route): the planner and executor read one engine
 * per statement, except that a query naming tables of both schemas (a join, a subquery) is planned
 * over a view holding both and reads each table's rows from its own store
 * (planner/foreign-tables.ts, cursor/schema-routing.ts); a write of one schema whose queries read
 * the other runs on the schema it writes and reads the other's tables the same way. Only a
 * statement naming a TEMP table and the main table it hides (`t JOIN main.t`) is refused with a
 * NotSupportedError. `sqlite_temp_master` is the temporary database's own catalog, so statements
 * reading it run there too.
 */
import { Database } from '../src/database';
import { NotSupportedError, ProgrammingError } from '../src/errors';
import type { CatalogReader, CatalogView } from '../parser/scope';

export type Schema = 'main' | 'temp';

/** What one statement's lowering found: the schemas of the tables it names. */
export class Route {
  /** Names the statement qualifies (`temp.t`), lower-cased, with their schema. */
  private qualified: ReadonlyMap<string, Schema> = new Map();
  /** Table names the statement's text names (qualified or not), lower-cased. */
  private named: ReadonlySet<string> = new Set();
  /** Schemas of the tables the statement names, and of the schema tables it reads. */
  private readonly seen = new Set<Schema>();
  /**
   * Schemas of tables found that the text does not name: a view's body, or a DDL statement's
   * look through every table for an index name (only the former decides, when nothing is named).
   */
  private readonly indirect = new Set<Schema>();
  /** Each named table looked up, lower-cased, with the schema it was found in; null: a schema table. */
  private readonly found: { name: string | null; schema: Schema }[] = [];

  qualify(names: ReadonlyMap<string, Schema>, unqualified: ReadonlySet<string>): void {
    this.qualified = names;
    this.named = new Set([...names.keys(), ...unqualified]);
    for (const s of names.values()) this.seen.add(s);
  }

  touch(schema: Schema, name: string | null = null): void {
    const key = name === null ? null : name.toLowerCase();
    if (key !== null && !this.named.has(key)) {
      this.indirect.add(schema);
      return;
    }
    this.seen.add(schema);
    this.found.push({ name: key, schema });
  }

  /** The schema an INSERT or CREATE TABLE … AS writes `table` in: as qualified or found, else main. */
  writeSchema(table: string): Schema {
    const key = table.toLowerCase();
    return this.qualified.get(key) ?? this.found.find((f) => f.name === key)?.schema ?? 'main';
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

  /** Lower-cased names of the tables the statement found in `schema`. */
  tablesIn(schema: Schema): Set<string> {
    const out = new Set<string>();
    for (const f of this.found) if (f.schema === schema && f.name !== null) out.add(f.name);
    return out;
  }

  /** Whether the statement qualifies some name (its errors then name the schema). */
  get qualifies(): boolean {
    return this.qualified.size > 0;
  }

  /** The schema a qualifier gives `name`, or undefined. */
  qualifierOf(name: string): Schema | undefined {
    return this.qualified.get(name.toLowerCase());
  }

  /**
   * The schema the statement runs in, or 'both' when it names tables of both. A query (`reads`)
   * also counts the tables of the views it reads (`SELECT … FROM view_of_main JOIN temp_t`); other
   * statements' indirect finds are a look through every table for an index name.
   */
  resolve(reads: boolean): Schema | 'both' {
    const schemas =
      this.seen.size === 0 ? this.indirect : reads ? new Set([...this.seen, ...this.indirect]) : this.seen;
    if (schemas.size > 1) return 'both';
    return schemas.has('temp') ? 'temp' : 'main';
  }
}

/** Whether a statement of `kind` runs a query whose views' tables decide its schema. */
export function readsQuery(kind: string): boolean {
  return kind === 'select' || kind === 'explain' || kind === 'insert' || kind === 'createTableAs';
}

export function mixed(): NotSupportedError {
  return new NotSupportedError(
    'a statement naming both a TEMP table and the main table of the same name it hides',
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

  /** Whether a temporary table has an index called `name` (any case). */
  hasIndex(name: string): boolean {
    const db = this.db;
    if (db === null) return false;
    const lower = name.toLowerCase();
    return db
      .visibleCollectionNames()
      .some((t) =>
        db.visibleCollection(t)?.meta.schema.indexes.some((ix) => ix.name.toLowerCase() === lower),
      );
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
  catalog(
    main: Database,
    route: Route,
    view: (name: string) => CatalogView | undefined,
    viewNames: () => string[] = () => [],
    tempViews: () => CatalogView[] = () => [],
  ): CatalogReader {
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
            route.touch(s.schema, name);
            return { schema: state.meta.schema, compiled: state.compiled };
          }
        }
        return undefined;
      },
      view,
      viewNames,
      tempViews,
      useSchemas: (named, unqualified) => {
        route.qualify(named, unqualified);
        // `t JOIN main.t` with a temp t reads both schemas (the bare t is the temp table).
        for (const [name, schema] of named)
          if (schema === 'main' && unqualified.has(name) && this.hasTable(name)) throw mixed();
      },
      readsSchemaTable: (schema) => route.touch(schema, null),
      // A catalog PRAGMA about a temporary table or index reads the temporary database's catalog.
      readsCatalogOf: (name, schema) => {
        const temp = schema === 'temp' || (schema === null && (this.hasTable(name) || this.hasIndex(name)));
        route.touch(temp ? 'temp' : 'main', null);
      },
    };
  }
}
