/**
 * Rows of `PRAGMA foreign_key_list(t)` and `PRAGMA foreign_key_check[(t)]` from a read view, in
 * SQLite's shapes: foreign_key_list numbers a table's constraints from the last declared (id 0)
 * with one row per column; foreign_key_check lists each child row whose parent row is missing
 * (every row with a non-NULL key when the parent table is), table by table in creation order.
 * Where ModelVault has no rowid (a table keyed by a non-integer primary key) `rowid` is NULL.
 */
import type { ReadView } from '../../storage/engine';
import type { CollectionView, IndexView } from '../../storage/collection-state';
import { widenDefaults, widenRow } from '../../storage/collection-state';
import { actionSql } from '../../storage/schema/foreign-keys';
import type { NormalizedForeignKey } from '../../storage/schema/foreign-keys';
import { indexPaths, keyIndexOf } from '../../storage/schema/normalize';
import { ProgrammingError, SchemaError } from '../../src/errors';

type Row = unknown[];

function byName(view: ReadView, name: string): CollectionView | null {
  const exact = view.collections.get(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const [n, v] of view.collections) if (n.toLowerCase() === lower) return v;
  return null;
}

/** `PRAGMA foreign_key_list(t)`: id, seq, table, from, to, on_update, on_delete, match. */
export function foreignKeyListRows(view: ReadView, table: string | null): Row[] {
  const coll = table === null ? null : byName(view, table);
  const fks = coll?.meta.schema.foreignKeys ?? [];
  const rows: Row[] = [];
  for (let id = 0; id < fks.length; id++) {
    const fk = fks[fks.length - 1 - id];
    fk.columns.forEach((from, seq) =>
      rows.push([
        id,
        seq,
        fk.table,
        from,
        fk.parentColumns?.[seq] ?? null,
        actionSql(fk.onUpdate),
        actionSql(fk.onDelete),
        'NONE',
      ]),
    );
  }
  return rows;
}

function topLevel(coll: CollectionView, name: string): number {
  const fields = coll.meta.schema.fields;
  const at = fields.findIndex((f) => f.path.length === 1 && f.path[0] === name);
  if (at >= 0) return at;
  const lower = name.toLowerCase();
  return fields.findIndex((f) => f.path.length === 1 && f.path[0].toLowerCase() === lower);
}

/** A lookup of parent keys (values in foreign-key column order), or null when the columns are not a key. */
function parentLookup(
  parent: CollectionView,
  fk: NormalizedForeignKey,
): ((vals: unknown[]) => boolean) | null {
  const schema = parent.meta.schema;
  let cols: number[];
  if (fk.parentColumns) cols = fk.parentColumns.map((n) => topLevel(parent, n));
  else {
    const keyIx = keyIndexOf(schema);
    if (!keyIx && schema.primaryKey[0].startsWith('__')) return null;
    const paths = keyIx ? indexPaths(keyIx) : [schema.primaryKey];
    cols = paths.map((p) => (p.length === 1 ? topLevel(parent, p[0]) : -1));
  }
  if (cols.includes(-1) || cols.length !== fk.columns.length) return null;
  if (cols.length === 1 && cols[0] === parent.compiled.pkColumn)
    return (vals) => parent.pk.get(vals[0]) !== undefined;
  const match = (ix: IndexView): number[] | null => {
    if (!ix.unique || ix.columns.length !== cols.length || ix.columns.some((c) => c.sub.length > 0))
      return null;
    const order = ix.columns.map((c) => cols.indexOf(c.column));
    return order.includes(-1) || new Set(order).size !== order.length ? null : order;
  };
  for (const ix of parent.indexes) {
    const order = match(ix);
    if (order)
      return (vals) => ix.tree.get(ix.composite ? order.map((i) => vals[i]) : vals[order[0]]) !== undefined;
  }
  return null;
}

/** `PRAGMA foreign_key_check[(t)]`: table, rowid, parent, fkid. */
export function foreignKeyCheckRows(
  view: ReadView,
  table: string | null,
  readRow: (location: number) => unknown[],
): Row[] {
  let children: CollectionView[];
  if (table === null) children = [...view.collections.values()].sort((a, b) => a.meta.id - b.meta.id);
  else {
    const one = byName(view, table);
    if (!one) throw new ProgrammingError(`no such table: ${table}`, 'NO_SUCH_COLLECTION');
    children = [one];
  }
  const rows: Row[] = [];
  for (const child of children) {
    const fks = child.meta.schema.foreignKeys ?? [];
    const defaults = widenDefaults(child.meta, child.compiled);
    const pkField = child.meta.schema.fields[child.compiled.pkColumn];
    const integerKey = pkField.type.kind === 'int64';
    for (let fkid = 0; fkid < fks.length; fkid++) {
      const fk = fks[fks.length - 1 - fkid];
      const parent = byName(view, fk.table);
      const lookup = parent ? parentLookup(parent, fk) : null;
      if (parent && !lookup)
        throw new SchemaError(
          `foreign key mismatch - "${child.meta.schema.name}" referencing "${parent.meta.schema.name}"`,
          'SCHEMA',
        );
      const cols = fk.columns.map((c) => topLevel(child, c));
      for (const [pk, loc] of child.pk.entries()) {
        const stored = readRow(loc);
        const row = defaults === null ? stored : widenRow(stored, defaults);
        const vals = cols.map((c) => row[c] ?? null);
        if (vals.some((v) => v === null)) continue;
        if (lookup && lookup(vals)) continue;
        rows.push([child.meta.schema.name, integerKey ? pk : null, fk.table, fkid]);
      }
    }
  }
  // SQLite's order: table by table, constraint by constraint, rows in key order.
  return rows;
}
