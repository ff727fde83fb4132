/**
 * TopN: ORDER BY … LIMIT k kept in a bounded max-heap of k rows (LIMIT plus OFFSET) instead of a
 * full sort; ties keep their arrival order, as the stable full sort would. Input already ordered
 * by the first `presorted` keys (an index walk) is read only until a row falls behind the worst
 * row kept on those keys: every later row does too.
 */
import { compareValues } from '../storage/compare';
import type { Evaluator, Row } from './compile-expr';
import type { SortKey } from './logical';
import { compareUnderKey } from './logical';
import type { Source } from './source';

function compareByKeys(
  a: readonly unknown[],
  b: readonly unknown[],
  keys: readonly SortKey[],
  count = keys.length,
): number {
  for (let i = 0; i < count; i++) {
    const k = keys[i];
    const c = k.nulls ? compareUnderKey(k, a[i], b[i], compareValues) : compareValues(a[i], b[i]);
    if (c !== 0) return k.nulls || !k.desc ? c : -c;
  }
  return 0;
}

/** Keep the best `keep` rows in a bounded max-heap; stable among equal keys by arrival order. */
export function topN(
  input: Source,
  evals: Evaluator[],
  keys: readonly SortKey[],
  keep: number,
  presorted = 0,
): Row[] {
  interface Item {
    k: unknown[];
    row: Row;
    seq: number;
  }
  const cmp = (a: Item, b: Item): number => compareByKeys(a.k, b.k, keys) || a.seq - b.seq;
  const heap: Item[] = [];
  const up = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(heap[i], heap[p]) <= 0) break;
      const t = heap[i];
      heap[i] = heap[p];
      heap[p] = t;
      i = p;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && cmp(heap[l], heap[m]) > 0) m = l;
      if (r < heap.length && cmp(heap[r], heap[m]) > 0) m = r;
      if (m === i) return;
      const t = heap[i];
      heap[i] = heap[m];
      heap[m] = t;
      i = m;
    }
  };
  const width = evals.length;
  // Once the heap is full most rows lose to its worst one: their keys are judged in this scratch
  // array, and only a row that gets in is given its own (one allocation per kept row, not per row).
  let k: unknown[] = new Array<unknown>(width);
  let seq = 0;
  for (let row = input.next(); row !== null; row = input.next()) {
    const arrival = seq++;
    for (let i = 0; i < width; i++) k[i] = evals[i](row);
    if (heap.length < keep) {
      heap.push({ k, row, seq: arrival });
      k = new Array<unknown>(width);
      up(heap.length - 1);
      continue;
    }
    // Against the worst kept row a later arrival wins only on its keys (its seq is larger).
    if (presorted > 0 && compareByKeys(k, heap[0].k, keys, presorted) > 0) break;
    if (compareByKeys(k, heap[0].k, keys) < 0) {
      heap[0] = { k, row, seq: arrival };
      k = new Array<unknown>(width);
      down(0);
    }
  }
  return heap.sort(cmp).map((x) => x.row);
}
