/**
 * Runs SQL statements that change the database for the connection, inside the handle's open
 * write transaction: INSERT/UPDATE/DELETE plans go to the planner's write executor
 * (planner/write.ts); DDL is applied to the engine's catalog here. Every statement is atomic:
 * the caller wraps it in a savepoint.
 */
import type { Database } from '../src/database';
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import { indexDescriptor, normalizeCollection } from '../storage/schema/normalize';
import type { CollectionSchema, NormalizedField, NormalizedType } from '../storage/schema/normalize';
import type { FieldDescriptor, TypeDescriptor } from '../storage/schema/descriptors';
import { executeWrite } from '../planner/write';
import type { WriteResult } from '../planner/write';
import { collectionOrThrow } from '../planner/write-values';
import type { SessionState } from '../planner/compile-expr';
import type { Statement } from '../parser/ir';
import { ProgrammingError, SchemaError } from '../src/errors';
import type { Params } from './values';

export type { WriteResult } from '../planner/write';

/** NormalizedType → descriptor, to re-normalize a schema with an added column. */
function toDescriptorType(t: NormalizedType): TypeDescriptor {
  switch (t.kind) {
    case 'optional':
      return { optional: toDescriptorType(t.of) };
    case 'list':
      return { list: toDescriptorType(t.of) };
    case 'object':
      return { object: t.fields.map(toDescriptor) };
    case 'enum':
      return { enum: [...t.values] };
    default:
      return t.kind;
  }
}

function toDescriptor(f: NormalizedField): FieldDescriptor {
  const d: FieldDescriptor = {
    path: [...f.path],
    type: toDescriptorType(f.type),
    constraints: [...f.constraints],
  };
  if (f.collate) d.collate = f.collate;
  return f.default === undefined ? d : { ...d, default: f.default };
}

function findIndexOwner(engine: Engine, name: string): CollectionState | undefined {
  for (const c of engine.collectionNames()) {
    const state = engine.collection(c);
    if (state?.meta.schema.indexes.some((ix) => ix.name === name)) return state;
  }
  return undefined;
}

/** A composite primary key survives re-normalizing its schema. */
function keyOptions(schema: CollectionSchema): { keyIndex?: string } {
  return schema.keyIndex === undefined ? {} : { keyIndex: schema.keyIndex };
}

function withIndexes(schema: CollectionSchema, indexes: CollectionSchema['indexes']): CollectionSchema {
  return { ...schema, indexes };
}

function ddl(engine: Engine, stmt: Statement): WriteResult {
  switch (stmt.kind) {
    case 'createTable': {
      if (engine.collection(stmt.name)) {
        if (stmt.ifNotExists) return { rowCount: 0 };
        throw new SchemaError(`table ${stmt.name} already exists`, 'SCHEMA');
      }
      const options = stmt.keyIndex === undefined ? {} : { keyIndex: stmt.keyIndex };
      engine.registerCollection(
        normalizeCollection(stmt.name, stmt.fields, stmt.primaryKey, stmt.indexes, options),
      );
      return { rowCount: 0 };
    }
    case 'dropTable': {
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
        schema.fields.map(toDescriptor),
        [...schema.primaryKey],
        [
          ...descriptors,
          stmt.paths.length === 1
            ? { name: stmt.name, path: stmt.path, kind: stmt.unique ? 'unique' : 'index' }
            : { name: stmt.name, paths: stmt.paths, desc: stmt.desc, kind: stmt.unique ? 'unique' : 'index' },
        ],
        keyOptions(schema),
      );
      engine.alterCollection(next);
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
      const schema = state.meta.schema;
      const next = normalizeCollection(
        schema.name,
        [...schema.fields.map(toDescriptor), stmt.field],
        [...schema.primaryKey],
        schema.indexes.map(indexDescriptor),
        keyOptions(schema),
      );
      engine.alterCollection(next);
      return { rowCount: 0 };
    }
    default:
      throw new ProgrammingError(`not a DDL statement: ${stmt.kind}`, 'PROGRAMMING');
  }
}

/** Run one DML/DDL statement in the handle's open transaction. */
export function runWrite(db: Database, stmt: Statement, params: Params, session?: SessionState): WriteResult {
  const engine = db.storage;
  switch (stmt.kind) {
    case 'insert':
    case 'update':
    case 'delete':
      return executeWrite(engine, stmt, params, session);
    default:
      return ddl(engine, stmt);
  }
}
