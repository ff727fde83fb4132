/**
 * Foreign keys in the catalog: the public descriptor (`registerCollection` options, SQL's
 * `REFERENCES` / `FOREIGN KEY` lower to it) and the normalized form a collection schema keeps in
 * its optional `foreignKeys` list (docs/format.md §3.1). Only the shape is checked here: the parent
 * table need not exist yet, and whether its columns are a key is decided when a write needs the
 * constraint (SQLite's "foreign key mismatch" at write time); enforcement is planner/foreign-keys.ts.
 */
import { SchemaError } from '../../src/errors';
import { isWellFormed } from './paths';

/** What happens to child rows when their parent row is deleted or its key changes. */
export type ForeignKeyAction = 'noAction' | 'restrict' | 'setNull' | 'setDefault' | 'cascade';

export const FOREIGN_KEY_ACTIONS: readonly ForeignKeyAction[] = [
  'noAction',
  'restrict',
  'setNull',
  'setDefault',
  'cascade',
];

/** The public descriptor: child `columns` reference `references.columns` of `references.table`. */
export interface ForeignKeyDescriptor {
  /** Child fields (top-level), in key order. */
  columns: readonly string[];
  references: {
    table: string;
    /** Parent fields matched one to one with `columns`; absent: the parent's primary key. */
    columns?: readonly string[];
  };
  /** Default 'noAction'. */
  onDelete?: ForeignKeyAction;
  /** Default 'noAction'. */
  onUpdate?: ForeignKeyAction;
  /** Checked when the transaction commits instead of when each write ends (SQL's DEFERRABLE INITIALLY DEFERRED). */
  deferred?: boolean;
}

/** The catalog form: optional keys are absent when they hold the default. */
export interface NormalizedForeignKey {
  columns: string[];
  table: string;
  parentColumns?: string[];
  onDelete?: ForeignKeyAction;
  onUpdate?: ForeignKeyAction;
  deferred?: true;
}

const FK_KEYS = new Set(['columns', 'references', 'onDelete', 'onUpdate', 'deferred']);
const REF_KEYS = new Set(['table', 'columns']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(raw: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(raw))
    if (!allowed.has(k))
      throw new SchemaError(`${where}: unknown key '${k}' (expected ${[...allowed].join(', ')})`);
}

function names(raw: unknown, where: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new SchemaError(`${where} must be a non-empty array of column names`);
  return raw.map((n: unknown) => {
    if (typeof n !== 'string' || n.length === 0 || !isWellFormed(n))
      throw new SchemaError(`${where} must hold non-empty strings`);
    return n;
  });
}

function action(raw: unknown, where: string): ForeignKeyAction {
  if (typeof raw !== 'string' || !(FOREIGN_KEY_ACTIONS as readonly string[]).includes(raw))
    throw new SchemaError(`${where} must be one of ${FOREIGN_KEY_ACTIONS.join(', ')}`);
  return raw as ForeignKeyAction;
}

/**
 * Descriptors → catalog form. `fieldNames` are the collection's top-level field names: a child
 * column must be one of them (SQLite: unknown column "x" in foreign key definition).
 */
export function normalizeForeignKeys(
  collection: string,
  raw: unknown,
  fieldNames: readonly string[],
): NormalizedForeignKey[] {
  if (!Array.isArray(raw)) throw new SchemaError(`${collection}: foreignKeys must be an array`);
  return raw.map((fk: unknown, i) => {
    const where = `${collection}: foreignKeys[${i}]`;
    if (!isRecord(fk)) throw new SchemaError(`${where} must be an object`);
    checkKeys(fk, FK_KEYS, where);
    const columns = names(fk.columns, `${where}.columns`);
    for (const c of columns)
      if (!fieldNames.includes(c)) throw new SchemaError(`unknown column "${c}" in foreign key definition`);
    if (!isRecord(fk.references)) throw new SchemaError(`${where}.references must be an object`);
    checkKeys(fk.references, REF_KEYS, `${where}.references`);
    const table = fk.references.table;
    if (typeof table !== 'string' || table.length === 0 || !isWellFormed(table))
      throw new SchemaError(`${where}.references.table must be a non-empty string`);
    const out: NormalizedForeignKey = { columns, table };
    if (fk.references.columns !== undefined) {
      const parent = names(fk.references.columns, `${where}.references.columns`);
      if (parent.length !== columns.length)
        throw new SchemaError(
          'number of columns in foreign key does not match the number of columns in the referenced table',
        );
      out.parentColumns = parent;
    }
    if (fk.onDelete !== undefined) {
      const a = action(fk.onDelete, `${where}.onDelete`);
      if (a !== 'noAction') out.onDelete = a;
    }
    if (fk.onUpdate !== undefined) {
      const a = action(fk.onUpdate, `${where}.onUpdate`);
      if (a !== 'noAction') out.onUpdate = a;
    }
    if (fk.deferred !== undefined && typeof fk.deferred !== 'boolean')
      throw new SchemaError(`${where}.deferred must be a boolean`);
    if (fk.deferred === true) out.deferred = true;
    return out;
  });
}

/** The public descriptor of a catalog entry (re-normalizing a schema after ALTER keeps its keys). */
export function foreignKeyDescriptor(fk: NormalizedForeignKey): ForeignKeyDescriptor {
  const d: ForeignKeyDescriptor = {
    columns: [...fk.columns],
    references: fk.parentColumns ? { table: fk.table, columns: [...fk.parentColumns] } : { table: fk.table },
  };
  if (fk.onDelete) d.onDelete = fk.onDelete;
  if (fk.onUpdate) d.onUpdate = fk.onUpdate;
  if (fk.deferred) d.deferred = true;
  return d;
}

/** SQL's spelling of an action (PRAGMA foreign_key_list, CREATE TABLE text). */
export function actionSql(a: ForeignKeyAction | undefined): string {
  switch (a) {
    case 'restrict':
      return 'RESTRICT';
    case 'setNull':
      return 'SET NULL';
    case 'setDefault':
      return 'SET DEFAULT';
    case 'cascade':
      return 'CASCADE';
    default:
      return 'NO ACTION';
  }
}
