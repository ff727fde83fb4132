/**
 * Key existence tests that remember the leaf the last answer came from. An outer scan in
 * primary-key order probing an index by that key (`NOT EXISTS (SELECT 1 FROM orders o WHERE
 * o.item = i.id)`, `LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL`) asks for ascending
 * keys, and most of them fall inside the key range of the leaf the previous one was found in:
 * a binary search there answers them, where a descent from the root costs a chain of dependent
 * loads. A key outside that range descends, and the leaf it lands in is remembered instead; when
 * the leaf answers fewer than half of 64 probes (keys out of order), the test goes back to plain
 * descents, which cost less than a cursor's. The
 * tree is a view that does not change while a statement reads it (a snapshot, or a write's view
 * read in full before its first write), so a remembered leaf stays what it was.
 */
import type { BTreeSnapshot } from '../storage/btree';
import { Bounds } from './bounds';

/** Probes after which the finger judges whether its leaf answers at least half of them. */
const JUDGE_EVERY = 64;

/** Answers from a remembered leaf and descents (tests count the work with these). */
export const keyFingerStats = { inLeaf: 0, descents: 0 };

/** A test of whether `tree` has an entry whose key equals the key given. */
export function keyFinger(tree: BTreeSnapshot<unknown, unknown>): (key: unknown) => boolean {
  let keys: readonly unknown[] = [];
  // Probes and answers from the remembered leaf in the current window of JUDGE_EVERY probes.
  let probes = 0;
  let inLeaf = 0;
  let plain = false;
  return (key) => {
    if (plain) return tree.get(key) !== undefined;
    if (++probes === JUDGE_EVERY) {
      // Keys out of order (an outer walk of another index): a plain descent costs less than a
      // cursor's, and the leaf seldom answers.
      if (inLeaf * 2 < probes) plain = true;
      probes = 0;
      inLeaf = 0;
    }
    const n = keys.length;
    if (n > 0 && tree.compareKeys(key, keys[0]) >= 0 && tree.compareKeys(key, keys[n - 1]) <= 0) {
      // Inside the leaf's range: every entry of the key is in this leaf (the tree is ordered).
      keyFingerStats.inLeaf++;
      inLeaf++;
      let lo = 0;
      let hi = n - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = tree.compareKeys(keys[mid], key);
        if (c === 0) return true;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
      return false;
    }
    keyFingerStats.descents++;
    const from = new Bounds();
    from.lo = key;
    from.loInclusive = true;
    const cur = tree.cursor(from);
    if (!cur.next()) {
      keys = [];
      return false;
    }
    keys = cur.leafKeys;
    return tree.compareKeys(cur.key, key) === 0;
  };
}
