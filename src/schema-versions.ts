/**
 * Schema versions (SPEC §6, issue 16 item 4): classify a change of a collection's schema as
 * compatible / needsMigration / breaking with the steps and row counts, apply it through the
 * engine's alterCollection (which keeps rows and rebuilds added indexes), backfill values on
 * (nested) paths in resumable batches, and rebuild indexes. Data is never rewritten silently:
 * only backfill() writes rows, and only the rows whose value at the path is null.
 *
 * Applying keeps the stored row layout: existing fields stay in place and new ones are appended
 * (what ALTER TABLE ADD COLUMN does). A change that would move or drop stored columns (dropping
 * or reordering fields, changing a type or the key) is classified `breaking` and refused.
 */
import type { Database } from './database';
import type { FieldDescriptor, IndexDescriptor, PrimaryKeyDescriptor } from '../storage/schema/descriptors';
import type { CollectionSchema, NormalizedField, NormalizedType } from '../storage/schema/normalize';
import {
  HIDDEN_ROWID,
  indexDescriptor,
  indexPaths,
  isCompositeIndex,
  normalizeCollection,
} from '../storage/schema/normalize';
import { compileToStored } from '../storage/schema/to-stored';
import { INVALID } from '../storage/schema/failure';
import { pathText, setPath } from '../storage/schema/paths';
import type { CollectionState } from '../storage/collection-state';
import { InterfaceError, NotSupportedError, SchemaError, ValidationError } from './errors';
import { prune, rowsForVersion } from './schema-rewrite';
import { listHistory } from '../storage/schema-history';
import type { SchemaChange } from '../storage/schema-history';

export type { SchemaChange };

export type ChangeClass = 'compatible' | 'needsMigration' | 'breaking';

export interface SchemaStep {
  kind:
    | 'createCollection'
    | 'addField'
    | 'addRequiredField'
    | 'dropField'
    | 'renameField'
    | 'renameCollection'
    | 'reorderFields'
    | 'changeType'
    | 'widenType'
    | 'tightenType'
    | 'changeNestedShape'
    | 'widenConstraint'
    | 'tightenConstraint'
    | 'changeDefault'
    | 'changeGenerated'
    | 'changeCollation'
    | 'addIndex'
    | 'dropIndex'
    | 'changePrimaryKey';
  classification: ChangeClass;
  /** The field path (dotted) or index name the step is about. */
  target: string;
  detail: string;
  /** Rows whose value at the path breaks the new rule (type, constraint, enum, nested shape). */
  violatingRows?: number;
  /** Rows with no value (null) where the new schema requires one: what a backfill must fill. */
  rowsNeedingValue?: number;
  /** Rows with a value in a field the new schema drops. */
  rowsWithValue?: number;
  /** For a new unique index: rows whose key another row already has. */
  duplicateRows?: number;
}

export interface SchemaPlan {
  collection: string;
  /** The catalog's current schema version of the collection. */
  fromVersion: number;
  /** The most severe step's class, or 'unchanged'. */
  classification: ChangeClass | 'unchanged';
  steps: SchemaStep[];
  /** Rows in the collection when planned. */
  rows: number;
}

/** A next schema: its fields, and (default: the current ones) its key and indexes. */
export interface SchemaVersionInput {
  fields: readonly FieldDescriptor[];
  primaryKey?: PrimaryKeyDescriptor;
  indexes?: readonly IndexDescriptor[];
  /**
   * Top-level fields renamed by this version, old name → new name: their values move to the new
   * name (a `renameField` step) instead of being dropped and the new field added empty.
   */
  renames?: Readonly<Record<string, string>>;
}

/** Where a plan reads rows from when some step needs counts. */
export interface PlanRows {
  rows(): Iterable<Record<string, unknown>>;
  count(): number;
}

export interface BackfillOptions {
  /** Rows per transaction (default 1000); each batch commits on its own, so a crash keeps whole batches. */
  batchSize?: number;
  onProgress?: (progress: { done: number; total: number }) => void;
}

const SEVERITY: Record<ChangeClass, number> = { compatible: 0, needsMigration: 1, breaking: 2 };

/** Normalize `next` against the collection's current schema (the key and indexes default to the current ones). */
function normalizeNext(current: CollectionSchema, next: SchemaVersionInput): CollectionSchema {
  if (typeof next !== 'object' || next === null || !Array.isArray(next.fields))
    throw new InterfaceError('a schema version is { fields, primaryKey?, indexes? }', 'BAD_OPTION');
  // The current indexes follow renamed fields when the version does not list its own.
  const renames = next.renames ?? {};
  const follow = (p: string | readonly string[] | undefined): string[] => {
    const path = typeof p === 'string' ? p.split('.') : [...(p ?? [])];
    return path.length > 0 && Object.hasOwn(renames, path[0]) ? [renames[path[0]], ...path.slice(1)] : path;
  };
  const indexes = current.indexes.map((ix): IndexDescriptor => {
    const d = indexDescriptor(ix);
    return d.paths ? { ...d, paths: d.paths.map(follow) } : { ...d, path: follow(d.path) };
  });
  const schema = normalizeCollection(
    current.name,
    next.fields,
    next.primaryKey ?? [...current.primaryKey],
    next.indexes ?? indexes,
  );
  const sameKey = pathText(schema.primaryKey) === pathText(current.primaryKey);
  // STRICT and a kept key's AUTOINCREMENT / WITHOUT ROWID are table options a version keeps.
  const keyed = {
    ...schema,
    ...(current.autoIncrement && sameKey ? { autoIncrement: true as const } : {}),
    ...(current.withoutRowid && sameKey ? { withoutRowid: true as const } : {}),
    // CHECKs kept as SQL come from SQL's CREATE TABLE; a schema version cannot declare them.
    ...(current.checks ? { checks: current.checks } : {}),
    ...(current.strict ? { strict: true as const } : {}),
  };
  // Foreign keys are table options, as for ALTER TABLE: a schema version keeps them.
  return current.foreignKeys ? { ...keyed, foreignKeys: current.foreignKeys } : keyed;
}

function liveState(db: Database, name: string): CollectionState {
  const state = db.visibleCollection(name);
  if (!state) throw new SchemaError(`no such collection: ${name}`, 'NO_SUCH_COLLECTION');
  const schema = state.meta.schema;
  if (schema.keyIndex !== undefined || schema.fields.some((f) => pathText(f.path) === HIDDEN_ROWID))
    throw new NotSupportedError(
      `${name}: schema versions of a collection with a composite key or a hidden rowid are not supported`,
    );
  return state;
}

const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function base(t: NormalizedType): NormalizedType {
  return t.kind === 'optional' ? t.of : t;
}

/** How the values a type accepts change: 'same', 'widen', 'tighten' (both ways counts as tighten), 'nested', 'change'. */
function typeRelation(
  a: NormalizedType,
  b: NormalizedType,
): 'same' | 'widen' | 'tighten' | 'nested' | 'change' {
  if (json(a) === json(b)) return 'same';
  const nullness =
    a.kind === b.kind ? 'same' : b.kind === 'optional' ? 'widen' : a.kind === 'optional' ? 'tighten' : 'same';
  const x = base(a);
  const y = base(b);
  let inner: 'same' | 'widen' | 'tighten' | 'nested' | 'change';
  if (json(x) === json(y)) inner = 'same';
  else if (x.kind === 'enum' && y.kind === 'enum') {
    const gained = y.values.some((v) => !x.values.includes(v));
    const lost = x.values.some((v) => !y.values.includes(v));
    inner = lost ? 'tighten' : gained ? 'widen' : 'same';
  } else if (x.kind === 'list' && y.kind === 'list') inner = typeRelation(x.of, y.of);
  else if (x.kind === 'object' && y.kind === 'object') inner = objectRelation(x.fields, y.fields);
  else inner = 'change';
  if (inner === 'change' || inner === 'nested') return inner;
  if (inner === 'tighten' || nullness === 'tighten') return 'tighten';
  return inner === 'widen' || nullness === 'widen' ? 'widen' : 'same';
}

/**
 * Objects are stored as positional arrays too: a nested change keeps the stored layout only when
 * the old fields stay first, in order, each with a type that keeps its own layout.
 */
function objectRelation(a: readonly NormalizedField[], b: readonly NormalizedField[]): 'nested' | 'change' {
  if (b.length < a.length) return 'change';
  for (let i = 0; i < a.length; i++) {
    if (pathText(a[i].path) !== pathText(b[i].path)) return 'change';
    if (typeRelation(a[i].type, b[i].type) === 'change') return 'change';
  }
  return 'nested';
}

/** Nested object fields `a` declares and `b` does not, as dotted paths under `at`. */
function droppedNested(a: NormalizedType, b: NormalizedType, at: string): string[] {
  const x = base(a);
  const y = base(b);
  if (x.kind === 'list' && y.kind === 'list') return droppedNested(x.of, y.of, at);
  if (x.kind !== 'object' || y.kind !== 'object') return [];
  const out: string[] = [];
  for (const f of x.fields) {
    const p = pathText(f.path);
    const now = y.fields.find((g) => pathText(g.path) === p);
    if (!now) out.push(`${at}.${p}`);
    else out.push(...droppedNested(f.type, now.type, `${at}.${p}`));
  }
  return out;
}

type Bound = number | bigint;

/** 'same', 'widen' or 'tighten' for the constraint lists of one field. */
function constraintRelation(
  a: NormalizedField['constraints'],
  b: NormalizedField['constraints'],
): 'same' | 'widen' | 'tighten' {
  if (json(a) === json(b)) return 'same';
  const get = (cs: typeof a, k: string): unknown[] =>
    cs.filter((c) => Object.keys(c)[0] === k).map((c) => (c as Record<string, unknown>)[k]);
  let widen = false;
  let tighten = false;
  const bound = (k: 'min' | 'max' | 'minLength' | 'maxLength', lowIsTight: boolean): void => {
    const [x] = get(a, k) as Bound[];
    const [y] = get(b, k) as Bound[];
    if (x === undefined && y === undefined) return;
    if (y === undefined) widen = true;
    else if (x === undefined) tighten = true;
    else if (x !== y) {
      if (lowIsTight ? y < x : y > x) tighten = true;
      else widen = true;
    }
  };
  bound('min', false);
  bound('minLength', false);
  bound('max', true);
  bound('maxLength', true);
  for (const k of ['regex', 'email', 'url', 'nonEmpty']) {
    const x = json(get(a, k));
    const y = json(get(b, k));
    if (x === y) continue;
    if (y === '[]') widen = true;
    else tighten = true;
  }
  return tighten ? 'tighten' : widen ? 'widen' : 'same';
}

interface FieldCheck {
  step: SchemaStep;
  path: string[];
  accepts: (v: unknown) => boolean;
  required: boolean;
}

function valueAt(obj: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return null;
    v = (v as Record<string, unknown>)[seg];
  }
  return v ?? null;
}

/**
 * The plan of changing collection `name` to `next`: every step with its class and row counts.
 * Reads every row once when some step needs counts; writes nothing.
 */
export function planSchemaVersion(db: Database, name: string, next: SchemaVersionInput): SchemaPlan {
  const state = liveState(db, name);
  const current = state.meta.schema;
  const target = normalizeNext(current, next);
  const source: PlanRows = {
    rows: () => db.collection(name).iterate(),
    count: () => db.collection(name).count(),
  };
  return planChange(current, target, source, state.meta.version, renamesOf(current, target, next.renames));
}

/** The renames of a schema version, checked: each old name a top-level field of `current`, each new one of `target`. */
function renamesOf(
  current: CollectionSchema,
  target: CollectionSchema,
  renames: SchemaVersionInput['renames'],
): Map<string, string> {
  const out = new Map<string, string>();
  if (renames === undefined) return out;
  if (typeof renames !== 'object' || renames === null)
    throw new InterfaceError('renames is an object of old name → new name', 'BAD_OPTION');
  for (const [from, to] of Object.entries(renames)) {
    if (typeof to !== 'string' || !current.fields.some((f) => pathText(f.path) === from))
      throw new SchemaError(`rename ${from}: not a field of ${current.name}`, 'SCHEMA');
    if (
      !target.fields.some((f) => pathText(f.path) === to) ||
      current.fields.some((f) => pathText(f.path) === to)
    )
      throw new SchemaError(
        `rename ${from} → ${String(to)}: ${String(to)} must be a new field of the next version`,
        'SCHEMA',
      );
    out.set(from, to);
  }
  return out;
}

/**
 * The classification shared by schema versions and SQL's ALTER TABLE: every step of changing
 * `current` into `target` with its class, and row counts read from `source` when a step needs
 * them. `renamed` maps old top-level paths to new ones.
 */
export function planChange(
  current: CollectionSchema,
  target: CollectionSchema,
  source: PlanRows,
  fromVersion: number,
  renamed: ReadonlyMap<string, string> = new Map(),
): SchemaPlan {
  const name = current.name;
  const steps: SchemaStep[] = [];
  const checks: FieldCheck[] = [];
  const drops: { step: SchemaStep; path: string[] }[] = [];
  const step = (s: SchemaStep): SchemaStep => (steps.push(s), s);

  // The current key and indexes under the names `target` gives them: a rename is not a key or index change.
  const follow = (p: readonly string[]): string[] => {
    const to = renamed.get(p[0]);
    return to === undefined ? [...p] : [to, ...p.slice(1)];
  };
  const autoPrefix = `sqlite_autoindex_${current.name}_`;
  const currentIndexes = current.indexes.map((ix) => ({
    ...ix,
    name: ix.name.startsWith(autoPrefix)
      ? `sqlite_autoindex_${target.name}_${ix.name.slice(autoPrefix.length)}`
      : ix.name,
    path: isCompositeIndex(ix) ? indexPaths(ix).map(follow) : follow(ix.path as string[]),
  }));
  if (pathText(target.primaryKey) !== pathText(follow(current.primaryKey)))
    step({
      kind: 'changePrimaryKey',
      classification: 'breaking',
      target: pathText(target.primaryKey),
      detail: `primary key ${pathText(current.primaryKey)} → ${pathText(target.primaryKey)}`,
    });

  if (target.name !== current.name)
    step({
      kind: 'renameCollection',
      classification: 'breaking',
      target: target.name,
      detail: `collection ${current.name} is renamed ${target.name} (rows kept)`,
    });
  // Old fields under the name they have in `target`: a renamed field is compared as itself.
  const oldByPath = new Map(
    current.fields.map((f, i) => [renamed.get(pathText(f.path)) ?? pathText(f.path), { f, i }]),
  );
  const newByPath = new Map(target.fields.map((f, i) => [pathText(f.path), { f, i }]));
  for (const [from, to] of renamed)
    step({
      kind: 'renameField',
      classification: 'breaking',
      target: to,
      detail: `field ${from} is renamed ${to} (values kept)`,
    });
  for (const [p, { f }] of oldByPath) {
    if (!newByPath.has(p))
      drops.push({
        step: step({
          kind: 'dropField',
          classification: 'breaking',
          target: pathText(f.path),
          detail: `field ${pathText(f.path)} is dropped with its values`,
        }),
        path: f.path,
      });
  }
  // Stored rows are positional: the kept fields must stay first and in their order.
  const keptCount = target.fields.filter((f) => oldByPath.has(pathText(f.path))).length;
  const inPlace = target.fields.slice(0, keptCount).every((f, i) => oldByPath.get(pathText(f.path))?.i === i);
  if (drops.length === 0 && !inPlace)
    step({
      kind: 'reorderFields',
      classification: 'breaking',
      target: name,
      detail: 'existing fields must keep their order, new fields go last',
    });

  for (const f of target.fields) {
    const p = pathText(f.path);
    const old = oldByPath.get(p)?.f;
    const accepts = (
      (conv) => (v: unknown) =>
        conv(v) !== INVALID
    )(compileToStored(f.type, f.constraints));
    const required = f.type.kind !== 'optional' && f.default === undefined;
    // Every row's value would have to be computed again (or stop being computed): a rewrite.
    if (old?.generated?.sql !== f.generated?.sql)
      step({
        kind: 'changeGenerated',
        classification: 'breaking',
        target: p,
        detail: f.generated ? `${p} is generated as (${f.generated.sql})` : `${p} is no longer generated`,
      });
    if (!old && f.generated !== undefined) continue;
    if (!old) {
      if (!required || f.defaultSql !== undefined) {
        step({ kind: 'addField', classification: 'compatible', target: p, detail: `new field ${p}` });
      } else {
        checks.push({
          step: step({
            kind: 'addRequiredField',
            classification: 'needsMigration',
            target: p,
            detail: `new required field ${p} without a default: add it optional, backfill, then make it required`,
          }),
          path: f.path,
          accepts,
          required,
        });
      }
      continue;
    }
    const rel = typeRelation(old.type, f.type);
    if (rel === 'change') {
      // Counted so a forced retype can tell which rows the new type refuses (after the nested
      // fields it no longer declares are left out, as the rewrite does).
      const lost = droppedNested(old.type, f.type, p);
      checks.push({
        step: step({
          kind: 'changeType',
          classification: 'breaking',
          target: p,
          detail: `${p}: type changes${lost.length ? ` (drops ${lost.join(', ')})` : ''}`,
        }),
        path: old.path,
        accepts: (v) => accepts(prune(v, f.type)),
        required,
      });
      continue;
    }
    if ((old.collate ?? 'binary') !== (f.collate ?? 'binary'))
      step({
        kind: 'changeCollation',
        classification: 'breaking',
        target: p,
        detail: `${p}: collation changes`,
      });
    const crel = constraintRelation(old.constraints, f.constraints);
    let needsCheck = false;
    if (rel === 'nested') {
      step({
        kind: 'changeNestedShape',
        classification: 'needsMigration',
        target: p,
        detail: `${p}: nested shape changes`,
      });
      needsCheck = true;
    } else if (rel === 'tighten') {
      step({
        kind: 'tightenType',
        classification: 'needsMigration',
        target: p,
        detail: `${p}: accepts fewer values`,
      });
      needsCheck = true;
    } else if (rel === 'widen')
      step({
        kind: 'widenType',
        classification: 'compatible',
        target: p,
        detail: `${p}: accepts more values`,
      });
    if (crel === 'tighten') {
      step({
        kind: 'tightenConstraint',
        classification: 'needsMigration',
        target: p,
        detail: `${p}: constraints tighten`,
      });
      needsCheck = true;
    } else if (crel === 'widen')
      step({
        kind: 'widenConstraint',
        classification: 'compatible',
        target: p,
        detail: `${p}: constraints widen`,
      });
    if (json(old.default) !== json(f.default) || old.defaultSql !== f.defaultSql)
      step({
        kind: 'changeDefault',
        classification: 'compatible',
        target: p,
        detail: `${p}: default changes`,
      });
    if (needsCheck) checks.push({ step: steps[steps.length - 1], path: old.path, accepts, required });
  }

  const oldIx = new Map(currentIndexes.map((ix) => [ix.name, ix]));
  const newIx = new Map(target.indexes.map((ix) => [ix.name, ix]));
  const uniques: { step: SchemaStep; paths: string[][] }[] = [];
  for (const [n, ix] of oldIx) {
    const now = newIx.get(n);
    if (!now || json(now) !== json(ix))
      step({ kind: 'dropIndex', classification: 'compatible', target: n, detail: `index ${n} is dropped` });
  }
  for (const [n, ix] of newIx) {
    const before = oldIx.get(n);
    if (before && json(before) === json(ix)) continue;
    const s = step({
      kind: 'addIndex',
      classification: 'compatible',
      target: n,
      detail: `index ${n} is built`,
    });
    if (ix.kind === 'unique')
      uniques.push({
        step: s,
        paths: Array.isArray(ix.path[0]) ? (ix.path as string[][]) : [ix.path as string[]],
      });
  }

  let rows = 0;
  const needRows = checks.length > 0 || drops.length > 0 || uniques.length > 0;
  for (const c of checks) {
    c.step.violatingRows = 0;
    c.step.rowsNeedingValue = 0;
  }
  for (const d of drops) d.step.rowsWithValue = 0;
  const seen = uniques.map(() => new Set<string>());
  for (const u of uniques) u.step.duplicateRows = 0;
  if (needRows) {
    for (const row of source.rows()) {
      rows++;
      for (const c of checks) {
        const v = valueAt(row, c.path);
        if (v === null) {
          if (c.required) c.step.rowsNeedingValue = (c.step.rowsNeedingValue ?? 0) + 1;
        } else if (!c.accepts(v)) c.step.violatingRows = (c.step.violatingRows ?? 0) + 1;
      }
      for (const d of drops)
        if (valueAt(row, d.path) !== null) d.step.rowsWithValue = (d.step.rowsWithValue ?? 0) + 1;
      uniques.forEach((u, i) => {
        const key = u.paths.map((p) => valueAt(row, p));
        if (key.some((k) => k === null)) return;
        const k = json(key);
        if (seen[i].has(k)) u.step.duplicateRows = (u.step.duplicateRows ?? 0) + 1;
        else seen[i].add(k);
      });
    }
  } else rows = source.count();
  for (const u of uniques) if ((u.step.duplicateRows ?? 0) > 0) u.step.classification = 'needsMigration';

  const worst = steps.reduce<ChangeClass | 'unchanged'>(
    (w, s) => (w === 'unchanged' || SEVERITY[s.classification] > SEVERITY[w] ? s.classification : w),
    'unchanged',
  );
  return { collection: name, fromVersion, classification: worst, steps, rows };
}

function describeSteps(plan: SchemaPlan): string {
  return plan.steps
    .filter((s) => s.classification !== 'compatible')
    .map((s) => {
      const n = (k: number | undefined, one: string, many: string): string =>
        k ? `${k} ${k === 1 ? one : many}` : '';
      const counts = [
        n(s.violatingRows, 'row violates', 'rows violate'),
        n(s.rowsNeedingValue, 'row needs a value', 'rows need a value'),
        n(s.rowsWithValue, 'row has a value', 'rows have a value'),
        n(s.duplicateRows, 'duplicate row', 'duplicate rows'),
      ].filter((x) => x !== '');
      return `${s.kind} (${s.classification}): ${s.detail}${counts.length ? ` [${counts.join(', ')}]` : ''}`;
    })
    .join('; ');
}

/**
 * Apply a schema version: compatible changes directly; needsMigration and breaking ones only
 * with `force`, and only when no row violates the new schema (the plan's backfills and fixes
 * ran), else a ValidationError and nothing changes. A forced breaking version writes every row
 * again in the new layout (dropped fields' values are gone; the plan's dropField steps say how
 * many rows had one); a new primary key stays refused (NotSupportedError). Returns the plan it
 * applied.
 */
export function registerSchemaVersion(
  db: Database,
  name: string,
  next: SchemaVersionInput,
  options: { force?: boolean } = {},
): SchemaPlan & { schemaVersion: number } {
  return db.transaction(() => {
    const plan = planSchemaVersion(db, name, next);
    const state = liveState(db, name);
    if (plan.classification === 'unchanged') return { ...plan, schemaVersion: state.meta.version };
    if (plan.classification === 'breaking' && options.force !== true)
      throw new SchemaError(
        `${name}: breaking schema change (pass { force: true } to apply it): ${describeSteps(plan)}`,
        'SCHEMA',
      );
    // A key change is a new collection: every reference to a row by its key would change meaning.
    if (plan.steps.some((s) => s.kind === 'changePrimaryKey'))
      throw new NotSupportedError(
        `${name}: a schema version cannot change the primary key; create a new collection and copy the rows: ${describeSteps(plan)}`,
      );
    if (plan.classification !== 'compatible') {
      if (options.force !== true)
        throw new SchemaError(
          `${name}: the change needs a migration (pass { force: true } once the data fits): ${describeSteps(plan)}`,
          'SCHEMA',
        );
      const blocking = plan.steps.find((s) => s.violatingRows || s.rowsNeedingValue || s.duplicateRows);
      if (blocking)
        throw new ValidationError(
          `${name}: rows do not fit the new schema yet: ${describeSteps(plan)}`,
          blocking.target,
        );
    }
    const target = normalizeNext(state.meta.schema, next);
    const renamed = renamesOf(state.meta.schema, target, next.renames);
    const { schemaVersion } =
      plan.classification === 'breaking'
        ? db.storage.rewriteCollection(name, target, rowsForVersion(db.storage, state, target, renamed))
        : db.storage.alterCollection(target, plan.classification);
    return { ...plan, schemaVersion };
  });
}

/**
 * Fill `path` (dotted, nested allowed) on every row where it is null, with `value` or
 * `value(row)`. Runs in batches of `batchSize` rows, each its own transaction (inside an open
 * transaction: all in it), so a crash keeps whole batches and a rerun goes on with the rows still
 * null. Every written row is validated as any write. Returns the rows written.
 */
export function backfill(
  db: Database,
  name: string,
  path: string | readonly string[],
  value: unknown,
  options: BackfillOptions = {},
): number {
  const state = liveState(db, name);
  const segs = typeof path === 'string' ? path.split('.') : [...path];
  if (!state.compiled.resolvePath(segs))
    throw new SchemaError(`${name}: backfill path '${segs.join('.')}' is not a field`, 'SCHEMA');
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new InterfaceError('backfill: batchSize must be a positive integer', 'BAD_OPTION');
  const pkPath = state.meta.schema.primaryKey;
  const pkText = pathText(pkPath);
  const keys: unknown[] = [];
  for (const row of db.collection(name).where(segs, 'isNull').select([pkPath]).iterate())
    keys.push(valueAt(row, pkPath));
  const total = keys.length;
  let done = 0;
  for (let start = 0; start < total; start += batchSize) {
    db.transaction(() => {
      for (const key of keys.slice(start, start + batchSize)) {
        const row = db.get(name, key);
        if (!row || valueAt(row, segs) !== null) continue; // changed since: leave it
        const v =
          typeof value === 'function' ? (value as (r: Record<string, unknown>) => unknown)(row) : value;
        if (v === null || v === undefined)
          throw new ValidationError(
            `${segs.join('.')}: backfill gave no value for ${pkText} ${String(key)}`,
            segs.join('.'),
          );
        setPath(row, segs, v);
        db.insert(name, row);
        done++;
      }
    });
    options.onProgress?.({ done, total });
  }
  return done;
}

/** One schema version of a collection as the catalog records it (`db.schemaVersions(name)`). */
export interface SchemaVersionInfo {
  version: number;
  /** When the version was registered; null for versions written by a release that did not record it. */
  time: Date | null;
  /** What it changed; null where `time` is null. */
  change: SchemaChange | null;
}

/**
 * Every schema version of `name`, oldest first, from 1 to the current one. A collection dropped
 * and created again starts over at 1; versions older writers registered have no time or change.
 */
export function schemaVersions(db: Database, name: string): SchemaVersionInfo[] {
  const state = db.visibleCollection(name);
  if (!state) throw new SchemaError(`no such collection: ${name}`, 'NO_SUCH_COLLECTION');
  return listHistory(state.meta.history, state.meta.version).map((e) => ({
    version: e.version,
    time: e.time === null ? null : new Date(e.time),
    change: e.change,
  }));
}

/** Drop and rebuild every secondary index of `name` in one transaction; returns how many. */
export function rebuildIndexes(db: Database, name: string): number {
  return db.transaction(() => {
    const schema = liveState(db, name).meta.schema;
    if (schema.indexes.length === 0) return 0;
    db.storage.alterCollection({ ...schema, indexes: [] }, 'rebuildIndexes');
    db.storage.alterCollection(schema, 'rebuildIndexes');
    return schema.indexes.length;
  });
}

/**
 * A subset model over `stored`: the same key, and each of its fields declared there with the same
 * type, constraints and default. Otherwise a SchemaError naming every difference.
 */
export function checkSubset(
  stored: CollectionSchema | undefined,
  d: { name: string; fields: readonly FieldDescriptor[]; primaryKey: string },
): void {
  if (!stored)
    throw new SchemaError(`a subset model needs an existing collection: no ${d.name}`, 'NO_SUCH_COLLECTION');
  const mine = normalizeCollection(d.name, d.fields, d.primaryKey, []);
  const problems: string[] = [];
  if (pathText(mine.primaryKey) !== pathText(stored.primaryKey))
    problems.push(`primary key ${pathText(mine.primaryKey)} (stored: ${pathText(stored.primaryKey)})`);
  for (const f of mine.fields) {
    const p = pathText(f.path);
    const s = stored.fields.find((x) => pathText(x.path) === p);
    if (!s) problems.push(`${p} is not a stored field`);
    else if (json([f.type, f.constraints, f.default]) !== json([s.type, s.constraints, s.default]))
      problems.push(`${p} differs from the stored field`);
  }
  if (problems.length)
    throw new SchemaError(
      `subset model ${d.name} does not fit the stored collection: ${problems.join('; ')}`,
      'SCHEMA',
    );
}
