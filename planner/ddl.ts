/**
 * The DDL executor: applies CREATE / DROP / ALTER plans (planner/ddl-plan.ts) and `PRAGMA
 * user_version = n` to the engine's catalog inside its open write transaction, with SQLite's
 * rules (names shared by tables and views, IF [NOT] EXISTS, renames followed by the foreign keys
 * that name the table or column). Atomicity of a statement is the caller's savepoint.
 */
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import {
  indexDescriptor,
  indexPaths,
  isCompositeIndex,
  normalizeCollection,
  toFieldDescriptor,
} from '../storage/schema/normalize';
import type { CollectionSchema, NormalizedField, NormalizedIndex } from '../storage/schema/normalize';
import type { NormalizedForeignKey } from '../storage/schema/foreign-keys';
import { normalizeForeignKeys } from '../storage/schema/foreign-keys';
import { IntegrityError, ProgrammingError, QueryError, SchemaError } from '../src/errors';
import type { AddColumnStmt, DdlPlan, DropColumnStmt, RenameColumnStmt, RenameTableStmt } from './ddl-plan';
import { rowOfState } from '../storage/collection-state';
import type { ForeignKeyGuard } from './foreign-keys';
import type { WriteResult } from './write';
import { collectionOrThrow, sqlError } from './write-values';
import { compileSchema } from '../storage/schema/compile';
import { analyze } from './analyze';

function findIndexOwner(engine: Engine, name: string): CollectionState | undefined {
  for (const c of engine.collectionNames()) {
    const state = engine.collection(c);
    if (state?.meta.schema.indexes.some((ix) => ix.name === name)) return state;
  }
  return undefined;
}

/** The flags a table was declared with (AUTOINCREMENT, STRICT, WITHOUT ROWID), which normalizing drops. */
function tableFlags(
  schema: CollectionSchema,
): Pick<CollectionSchema, 'autoIncrement' | 'strict' | 'withoutRowid'> {
  return {
    ...(schema.autoIncrement ? { autoIncrement: true as const } : {}),
    ...(schema.strict ? { strict: true as const } : {}),
    ...(schema.withoutRowid ? { withoutRowid: true as const } : {}),
  };
}

/** Re-normalizing a changed schema must not drop what the table was declared with (flags, foreign keys). */
function keepTableOptions(before: CollectionSchema, next: CollectionSchema): CollectionSchema {
  const out = { ...next, ...tableFlags(before), ...(before.checks ? { checks: before.checks } : {}) };
  return before.foreignKeys ? { ...out, foreignKeys: before.foreignKeys } : out;
}

/**
 * SQLite rewrites the foreign keys of every table that references a renamed table or column:
 * `rename(fk)` returns the changed constraint, or the same object when it is unaffected.
 */
function renameReferences(
  engine: Engine,
  rename: (fk: NormalizedForeignKey, child: string) => NormalizedForeignKey,
): void {
  for (const name of engine.collectionNames()) {
    const state = engine.collection(name);
    const fks = state?.meta.schema.foreignKeys;
    if (!state || !fks) continue;
    const next = fks.map((fk) => rename(fk, name));
    if (next.some((fk, i) => fk !== fks[i]))
      engine.alterCollection({ ...state.meta.schema, foreignKeys: next });
  }
}

/**
 * ADD COLUMN … REFERENCES: the new column's constraint joins the table's. With enforcement on,
 * SQLite refuses a non-NULL default (every existing row would reference it unchecked).
 */
function withForeignKey(schema: CollectionSchema, stmt: AddColumnStmt, enforced: boolean): CollectionSchema {
  if (!stmt.foreignKey) return schema;
  if (enforced && (stmt.field.default !== undefined || stmt.field.defaultSql !== undefined))
    throw new SchemaError('Cannot add a REFERENCES column with non-NULL default value', 'SCHEMA');
  const names = schema.fields.filter((f) => f.path.length === 1).map((f) => f.path[0]);
  const added = normalizeForeignKeys(schema.name, [stmt.foreignKey], names);
  return { ...schema, foreignKeys: [...(schema.foreignKeys ?? []), ...added] };
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A composite primary key survives re-normalizing its schema. */
function keyOptions(schema: CollectionSchema): { keyIndex?: string } {
  return schema.keyIndex === undefined ? {} : { keyIndex: schema.keyIndex };
}

function withIndexes(schema: CollectionSchema, indexes: CollectionSchema['indexes']): CollectionSchema {
  return { ...schema, indexes };
}

/**
 * The schema under a new table name. SQLite renames the indexes of UNIQUE constraints with the
 * table (sqlite_autoindex_<table>_<n>); other index names stay. Renamed index trees are kept
 * in memory and rebuilt from the rows when the log is replayed.
 */
function renamedTable(schema: CollectionSchema, stmt: RenameTableStmt): CollectionSchema {
  const to = stmt.to;
  const prefix = `sqlite_autoindex_${schema.name}_`;
  const indexes = withIndexSql(schema.indexes, stmt.indexSql).map((ix) =>
    ix.name.startsWith(prefix) && /^\d+$/.test(ix.name.slice(prefix.length))
      ? { ...ix, name: `sqlite_autoindex_${to}_${ix.name.slice(prefix.length)}` }
      : ix,
  );
  const renamed = (name: string): string =>
    indexes[schema.indexes.findIndex((ix) => ix.name === name)]?.name ?? name;
  const next = { ...schema, name: to, indexes };
  return schema.keyIndex === undefined ? next : { ...next, keyIndex: renamed(schema.keyIndex) };
}

/** `schema` with top-level field `column` named `to`; the key and index paths through it follow. */
function renamedColumn(schema: CollectionSchema, stmt: RenameColumnStmt): CollectionSchema {
  const { column, to } = stmt;
  const from = schema.fields[column].path[0];
  const rename = (path: readonly string[]): string[] =>
    path[0] === from ? [to, ...path.slice(1)] : [...path];
  // The generated expressions that read the column, rewritten when the statement was lowered.
  const texts = new Map((stmt.generated ?? []).map((g) => [g.column, g.sql]));
  const checks = stmt.checks ? { checks: stmt.checks.map((c) => ({ ...c })) } : {};
  const field = (f: NormalizedField, i: number): NormalizedField => {
    const renamed = i === column ? { ...f, path: [to] } : f;
    const sql = texts.get(i);
    return sql === undefined || !f.generated ? renamed : { ...renamed, generated: { ...f.generated, sql } };
  };
  return {
    ...schema,
    ...checks,
    fields: schema.fields.map(field),
    primaryKey: rename(schema.primaryKey),
    indexes: withIndexSql(schema.indexes, stmt.indexSql).map((ix) =>
      isCompositeIndex(ix)
        ? { ...ix, path: indexPaths(ix).map(rename) }
        : { ...ix, path: rename(ix.path as string[]) },
    ),
  };
}

/** `indexes` with the CREATE INDEX statements a rename rewrote (ALTER TABLE, lowered). */
function withIndexSql(
  indexes: readonly NormalizedIndex[],
  rewritten: readonly { name: string; sql: string }[] | undefined,
): NormalizedIndex[] {
  if (!rewritten) return [...indexes];
  const texts = new Map(rewritten.map((r) => [r.name, r.sql]));
  return indexes.map((ix) => {
    const sql = texts.get(ix.name);
    return sql === undefined ? ix : { ...ix, sql };
  });
}

/**
 * Apply one DDL plan to the engine's catalog in its open write transaction. `fk` (DROP TABLE):
 * the foreign-key guard when enforcement is on; `enforced`: whether it is (ADD COLUMN … REFERENCES).
 */
export function executeDdl(
  engine: Engine,
  stmt: DdlPlan,
  fk: ForeignKeyGuard | null,
  enforced = false,
): WriteResult {
  switch (stmt.kind) {
    case 'createView': {
      const key = stmt.name.toLowerCase();
      const table = engine.collectionNames().find((n) => n.toLowerCase() === key);
      const views = engine.sqlViewList();
      const old = views.find((v) => v.name.toLowerCase() === key);
      if (table !== undefined || old) {
        if (stmt.ifNotExists) return { rowCount: 0 };
        throw new SchemaError(`${old ? 'view' : 'table'} ${stmt.name} already exists`, 'SCHEMA');
      }
      engine.setSqlViews([...views, { name: stmt.name, sql: stmt.sql }]);
      return { rowCount: 0 };
    }
    case 'dropView': {
      const key = stmt.name.toLowerCase();
      const views = engine.sqlViewList();
      if (!views.some((v) => v.name.toLowerCase() === key)) {
        const table = engine.collectionNames().find((n) => n.toLowerCase() === key);
        if (table !== undefined) throw new QueryError(`use DROP TABLE to delete table ${table}`, 'QUERY');
        if (stmt.ifExists) return { rowCount: 0 };
        throw new ProgrammingError(`no such view: ${stmt.name}`, 'NO_SUCH_COLLECTION');
      }
      engine.setSqlViews(views.filter((v) => v.name.toLowerCase() !== key));
      return { rowCount: 0 };
    }
    case 'createTable': {
      const viewName = engine.sqlViewList().find((v) => v.name.toLowerCase() === stmt.name.toLowerCase());
      if (viewName) {
        if (stmt.ifNotExists) return { rowCount: 0 };
        throw new SchemaError(`view ${stmt.name} already exists`, 'SCHEMA');
      }
      if (engine.collection(stmt.name)) {
        if (stmt.ifNotExists) return { rowCount: 0 };
        throw new SchemaError(`table ${stmt.name} already exists`, 'SCHEMA');
      }
      const options = {
        ...(stmt.keyIndex === undefined ? {} : { keyIndex: stmt.keyIndex }),
        ...(stmt.foreignKeys === undefined ? {} : { foreignKeys: stmt.foreignKeys }),
        ...(stmt.checks === undefined ? {} : { checks: stmt.checks }),
      };
      const schema = normalizeCollection(stmt.name, stmt.fields, stmt.primaryKey, stmt.indexes, options);
      if (stmt.autoIncrement) schema.autoIncrement = true;
      if (stmt.strict) schema.strict = true;
      if (stmt.withoutRowid) schema.withoutRowid = true;
      engine.registerCollection(schema);
      return { rowCount: 0 };
    }
    case 'dropTable': {
      const state = engine.collection(stmt.name);
      const asView = state
        ? undefined
        : engine.sqlViewList().find((v) => v.name.toLowerCase() === stmt.name.toLowerCase());
      if (asView) throw new QueryError(`use DROP VIEW to delete view ${asView.name}`, 'QUERY');
      if (state && fk !== null) fk.emptyBeforeDrop(state);
      if (!engine.dropCollection(stmt.name) && !stmt.ifExists)
        throw new ProgrammingError(`no such table: ${stmt.name}`, 'NO_SUCH_COLLECTION');
      return { rowCount: 0 };
    }
    case 'createIndex': {
      const state = collectionOrThrow(engine, stmt.collection);
      if (findIndexOwner(engine, stmt.name)) {
        if (stmt.ifNotExists) return { rowCount: 0 };
        throw new SchemaError(`index ${stmt.name} already exists`, 'SCHEMA');
      }
      const schema = state.meta.schema;
      const descriptors = schema.indexes.map(indexDescriptor);
      const next = normalizeCollection(
        schema.name,
        schema.fields.map(toFieldDescriptor),
        [...schema.primaryKey],
        [
          ...descriptors,
          // A single column keeps `path`, unless declared DESC (which only `paths` + `desc` carry).
          {
            ...(stmt.paths.length === 1 && stmt.desc[0] !== true
              ? { name: stmt.name, path: stmt.path, kind: stmt.unique ? 'unique' : 'index' }
              : {
                  name: stmt.name,
                  paths: stmt.paths,
                  desc: stmt.desc,
                  kind: stmt.unique ? 'unique' : 'index',
                }),
            ...(stmt.sql === undefined ? {} : { sql: stmt.sql }),
          },
        ],
        keyOptions(schema),
      );
      engine.alterCollection(keepTableOptions(schema, next));
      return { rowCount: 0 };
    }
    case 'dropIndex': {
      const state = findIndexOwner(engine, stmt.name);
      if (!state) {
        if (stmt.ifExists) return { rowCount: 0 };
        throw new ProgrammingError(`no such index: ${stmt.name}`, 'NO_SUCH_INDEX');
      }
      // SQLite's words: the index a PRIMARY KEY made goes only with its table.
      if (state.meta.schema.keyIndex === stmt.name)
        throw new SchemaError(
          `index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped`,
          'SCHEMA',
        );
      engine.alterCollection(
        withIndexes(
          state.meta.schema,
          state.meta.schema.indexes.filter((ix) => ix.name !== stmt.name),
        ),
      );
      return { rowCount: 0 };
    }
    case 'addColumn': {
      const state = collectionOrThrow(engine, stmt.collection);
      // Existing rows would need the expression's value: SQLite refuses it unless the table is empty.
      if (stmt.field.defaultSql !== undefined && state.pk.size > 0)
        throw new SchemaError('Cannot add a column with non-constant default', 'SCHEMA');
      const schema = state.meta.schema;
      const next = normalizeCollection(
        schema.name,
        [...schema.fields.map(toFieldDescriptor), stmt.field],
        [...schema.primaryKey],
        schema.indexes.map(indexDescriptor),
        keyOptions(schema),
      );
      const kept = keepTableOptions(schema, next);
      const checked = stmt.checks ? { ...kept, checks: [...(kept.checks ?? []), ...stmt.checks] } : kept;
      const altered = withForeignKey(checked, stmt, enforced);
      if (stmt.field.generated !== undefined && state.pk.size > 0)
        engine.rewriteCollection(schema.name, altered, rowsWithNewColumn(engine, state, altered));
      else {
        // SQLite checks the rows already there against a new column's CHECK (with its default).
        if (stmt.checks && state.pk.size > 0) {
          const rows = rowsWithNewColumn(engine, state, altered);
          while (rows.next().done !== true);
        }
        engine.alterCollection(altered);
      }
      return { rowCount: 0 };
    }
    case 'renameTable': {
      const state = collectionOrThrow(engine, stmt.from);
      engine.renameCollection(stmt.from, renamedTable(state.meta.schema, stmt));
      renameReferences(engine, (k) => (sameName(k.table, stmt.from) ? { ...k, table: stmt.to } : k));
      return { rowCount: 0 };
    }
    case 'renameColumn': {
      const state = collectionOrThrow(engine, stmt.collection);
      const from = state.meta.schema.fields[stmt.column].path.join('.');
      const table = stmt.collection;
      engine.renameCollection(stmt.collection, renamedColumn(state.meta.schema, stmt));
      const swap = (cols: string[]): string[] => cols.map((c) => (sameName(c, from) ? stmt.to : c));
      renameReferences(engine, (k, child) => {
        const own = sameName(child, table) && k.columns.some((c) => sameName(c, from));
        const parent = sameName(k.table, table) && k.parentColumns?.some((c) => sameName(c, from)) === true;
        if (!own && !parent) return k;
        const next = own ? { ...k, columns: swap(k.columns) } : { ...k };
        if (parent && k.parentColumns) next.parentColumns = swap(k.parentColumns);
        return next;
      });
      return { rowCount: 0 };
    }
    case 'dropColumn':
      return dropColumn(engine, stmt);
    case 'setUserVersion':
      engine.setUserVersion(stmt.value);
      return { rowCount: 0 };
    case 'analyze':
      analyze(engine, stmt);
      return { rowCount: 0 };
    case 'reindex':
      return { rowCount: 0 };
  }
}

/**
 * Every live row of `state` with the column just added last (ADD COLUMN): its default, or its
 * value computed for a generated column (rows written before would read NULL there), each row
 * checked against the table's CHECKs kept as SQL. A row that does not fit (NOT NULL, CHECK,
 * type) fails the statement, which its savepoint undoes whole.
 */
function* rowsWithNewColumn(
  engine: Engine,
  state: CollectionState,
  schema: CollectionSchema,
): Generator<unknown[]> {
  const compiled = compileSchema(schema);
  const cur = state.pk.cursor();
  while (cur.next()) {
    const row = rowOfState(state, engine.readRow(cur.value)).slice();
    row.push(compiled.storedDefaults[row.length] ?? null);
    try {
      yield compiled.withGenerated(row);
    } catch (err) {
      // sqlError reads the failing column's value, left in the row as computed. SQLite names
      // no column when ADD COLUMN fails this way.
      const values = Object.fromEntries(schema.fields.map((f, i) => [f.path.join('.'), row[i]]));
      const mapped = sqlError(err, { name: schema.name, meta: { schema } }, values);
      if (!(mapped instanceof IntegrityError)) throw mapped;
      const bare = mapped.code === 'NOT_NULL' ? 'NOT NULL constraint failed' : 'CHECK constraint failed';
      throw new IntegrityError(bare, mapped.code, { cause: mapped });
    }
  }
}

/** Every live row of `state` in its stored layout without top-level column `column`. */
function* withoutColumn(engine: Engine, state: CollectionState, column: number): Generator<unknown[]> {
  const cur = state.pk.cursor();
  while (cur.next()) {
    // Older rows are padded with later columns' defaults first, so every row has the full layout.
    const row = rowOfState(state, engine.readRow(cur.value)).slice();
    row.splice(column, 1);
    yield row;
  }
}

/**
 * ALTER TABLE DROP COLUMN (the SQLite rules were checked when it was lowered; the views that read
 * the column, by the cursor layer afterwards): the schema without the column and a one-column
 * foreign key on it, and every row written again without the value (Engine.rewriteCollection).
 */
function dropColumn(engine: Engine, stmt: DropColumnStmt): WriteResult {
  const state = collectionOrThrow(engine, stmt.collection);
  const schema = state.meta.schema;
  const name = schema.fields[stmt.column].path[0];
  const next = normalizeCollection(
    schema.name,
    schema.fields.filter((_f, i) => i !== stmt.column).map(toFieldDescriptor),
    [...schema.primaryKey],
    schema.indexes.map(indexDescriptor),
    keyOptions(schema),
  );
  const fks = schema.foreignKeys?.filter((k) => !(k.columns.length === 1 && sameName(k.columns[0], name)));
  const checks = schema.checks?.filter((c) => c.column !== name);
  const after: CollectionSchema = {
    ...next,
    ...tableFlags(schema),
    // The column's own CHECKs go with it (lowering refused dropping one another CHECK reads).
    ...(checks && checks.length > 0 ? { checks } : {}),
    ...(fks && fks.length > 0 ? { foreignKeys: fks } : {}),
  };
  engine.rewriteCollection(schema.name, after, withoutColumn(engine, state, stmt.column));
  return { rowCount: 0 };
}
