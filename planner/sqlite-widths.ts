/**
 * SQLite's size estimates (build.c): the width of a column from its declared type, of an index
 * entry and of a table row, in LogEst units — what its planner weighs one full scan against
 * another with (planner/covering-scan.ts) and which of two indexes giving one order is cheaper
 * (planner/access-path.ts).
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import type { NormalizedField } from '../storage/schema/normalize';
import { declaredType, isHiddenField } from './introspect/create-sql';

/** SQLite's sqlite3LogEst: about 10·log2(x), as an integer. */
export function logEst(x: number): number {
  const frac = [0, 2, 3, 5, 6, 7, 8, 9];
  let y = 40;
  let v = Math.floor(x);
  if (v < 8) {
    if (v < 2) return 0;
    while (v < 8) {
      y -= 10;
      v *= 2;
    }
  } else {
    while (v > 255) {
      y += 40;
      v = Math.floor(v / 16);
    }
    while (v > 15) {
      y += 10;
      v = Math.floor(v / 2);
    }
  }
  return frac[v & 7] + y - 10;
}

const AFF_BLOB = 0;
const AFF_TEXT = 1;
const AFF_NUMERIC = 2;
const AFF_INTEGER = 3;
const AFF_REAL = 4;

/** SQLite's size estimate of a column from its declared type (Column.szEst). */
export function columnSizeEstimate(decl: string): number {
  if (decl.trim() === '') return 1;
  let last = '';
  let aff = AFF_NUMERIC;
  let sizeFrom = -1;
  for (let i = 0; i < decl.length; i++) {
    const c = decl[i];
    last = (last + (c >= 'A' && c <= 'Z' ? c.toLowerCase() : c)).slice(-4);
    if (last === 'char') {
      aff = AFF_TEXT;
      sizeFrom = i + 1;
    } else if (last === 'clob' || last === 'text') {
      aff = AFF_TEXT;
    } else if (last === 'blob' && (aff === AFF_NUMERIC || aff === AFF_REAL)) {
      aff = AFF_BLOB;
      if (decl[i + 1] === '(') sizeFrom = i + 1;
    } else if ((last === 'real' || last === 'floa' || last === 'doub') && aff === AFF_NUMERIC) {
      aff = AFF_REAL;
    } else if (last.endsWith('int')) {
      aff = AFF_INTEGER;
      break;
    }
  }
  let v = 0;
  if (aff === AFF_BLOB || aff === AFF_TEXT) {
    if (sizeFrom >= 0) {
      const m = /[0-9]+/.exec(decl.slice(sizeFrom));
      // sqlite3GetInt32 gives up (leaving 0) past 2^31 - 1.
      if (m) v = m[0].length > 10 || Number(m[0]) > 0x7fffffff ? 0 : Number(m[0]);
    } else v = 16;
  }
  return Math.min(255, Math.floor(v / 4) + 1);
}

export function fieldSize(f: NormalizedField): number {
  return columnSizeEstimate(declaredType(f));
}

/** Whether the primary key is SQLite's rowid: an INTEGER PRIMARY KEY or the hidden rowid. */
export function keyIsRowid(view: CollectionView): boolean {
  const pk = view.meta.schema.fields[view.compiled.pkColumn];
  return isHiddenField(pk) || declaredType(pk).trim().toUpperCase() === 'INTEGER';
}

/** Table.szTabRow: every column's size, plus 1 for a rowid that is not an INTEGER PRIMARY KEY. */
export function tableRowWidth(view: CollectionView): number {
  const fields = view.meta.schema.fields;
  const pk = fields[view.compiled.pkColumn];
  const integerKey = !isHiddenField(pk) && declaredType(pk).trim().toUpperCase() === 'INTEGER';
  let width = integerKey ? 0 : 1;
  for (const f of fields) if (!isHiddenField(f)) width += fieldSize(f);
  return logEst(width * 4);
}

/** Index.szIdxRow: the key columns' sizes plus 1 for the rowid every entry carries. */
export function indexEntryWidth(view: CollectionView, ix: IndexView): number {
  const fields = view.meta.schema.fields;
  let width = 1;
  for (const c of ix.columns) width += fieldSize(fields[c.column]);
  return logEst(width * 4);
}
