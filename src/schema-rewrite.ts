/**
 * Forced breaking schema versions (SQL's ALTER TABLE DROP COLUMN is planner/ddl.ts). Stored rows
 * are positional arrays, so these write every row again in the new layout through
 * Engine.rewriteCollection, inside the caller's transaction: a failure (a value
 * the new schema refuses, a duplicate key) undoes the whole change, and after the commit the
 * dropped values are gone from every read (and from the file once it is compacted).
 */
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import { rowOfState } from '../storage/collection-state';
import { compileSchema } from '../storage/schema/compile';
import type { CollectionSchema, NormalizedType } from '../storage/schema/normalize';
import { pathText, setPath } from '../storage/schema/paths';

/** Every live row of `state` in its full stored layout (older rows padded with later columns' defaults). */
export function* storedRows(engine: Engine, state: CollectionState): Generator<unknown[]> {
  const cur = state.pk.cursor();
  while (cur.next()) yield rowOfState(state, engine.readRow(cur.value));
}

/** Keep only what `t` declares: an object value loses the fields a new version dropped. */
export function prune(value: unknown, t: NormalizedType): unknown {
  if (value === null || value === undefined) return value;
  // Rows are read with bigints so no int64 loses precision; a safe one goes on as a number,
  // which every numeric type accepts (a retype to float64 included).
  if (typeof value === 'bigint')
    return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
  switch (t.kind) {
    case 'optional':
      return prune(value, t.of);
    case 'list':
      return Array.isArray(value) ? value.map((v) => prune(v, t.of)) : value;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) {
        const v = (value as Record<string, unknown>)[pathText(f.path)];
        if (v !== undefined && v !== null) out[pathText(f.path)] = prune(v, f.type);
      }
      return out;
    }
    default:
      return value;
  }
}

function valueAt(obj: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/**
 * The rows of `state` under `target` (a forced schema version): each row as an object, a renamed
 * field's value under its new name, dropped fields left out, then validated and stored by the new
 * schema (a value it refuses is a ValidationError naming the path). An absent or null value takes
 * the new field's default.
 */
export function* rowsForVersion(
  engine: Engine,
  state: CollectionState,
  target: CollectionSchema,
  renamed: ReadonlyMap<string, string>,
): Generator<unknown[]> {
  const from = new Map<string, readonly string[]>();
  for (const f of state.meta.schema.fields) {
    const p = pathText(f.path);
    from.set(renamed.get(p) ?? p, f.path);
  }
  const next = compileSchema(target);
  for (const row of storedRows(engine, state)) {
    const obj = state.compiled.toObject(row, true);
    const out: Record<string, unknown> = {};
    for (const f of target.fields) {
      const old = from.get(pathText(f.path));
      const v = old === undefined ? undefined : valueAt(obj, old);
      if (v !== undefined && v !== null) setPath(out, f.path, prune(v, f.type));
    }
    yield next.toRow(out);
  }
}
