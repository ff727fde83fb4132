/**
 * A staged run into a tree that already holds entries (BTree.addProbed / addNew while the nodes
 * hold at most stageUpTo entries): the nodes keep their entries, so a transaction of one row into
 * a small table costs one insert at flush, not a rebuild of the whole tree. Counted by the number
 * of rebuilds, and checked against a model; a large run into the same tree still merges once.
 */
import { BTree } from '../../storage/btree';
import { compareValues } from '../../storage/compare';

/** Calls of the protected bulk builder (one per rebuild of the whole tree). */
function countBuilds(tree: BTree<unknown, number>): { builds: number } {
  const counter = { builds: 0 };
  const target = tree as unknown as { build: (k: unknown[], v: unknown[]) => void };
  const original = target.build.bind(tree);
  target.build = (k, v) => {
    counter.builds++;
    original(k, v);
  };
  return counter;
}

function contents(tree: BTree<unknown, number>): Array<[unknown, number]> {
  const out: Array<[unknown, number]> = [];
  for (const [k, v] of tree.entries()) out.push([k, v]);
  return out;
}

/** Deterministic scrambled text keys (not in key order). */
const keyOf = (i: number): string => `k-${((i * 7919) % 100_003).toString(36)}`;

describe('staging into a small tree that already holds entries', () => {
  it('one-row transactions into a unique tree insert, they do not rebuild', () => {
    const tree = new BTree<unknown, number>({ compare: compareValues });
    const model = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const k = keyOf(i);
      expect(tree.probe(k)).toBeUndefined();
      tree.addProbed(k, i);
      model.set(k, i);
    }
    expect(tree.get(keyOf(0))).toBe(0); // flushes the first run
    const counter = countBuilds(tree);
    for (let i = 600; i < 700; i++) {
      const k = keyOf(i);
      expect(tree.probe(k)).toBeUndefined();
      expect(tree.addProbed(k, i)).toBe(true);
      model.set(k, i);
      expect(tree.get(k)).toBe(i); // the next read flushes this one-entry run
    }
    expect(counter.builds).toBe(0);
    // A probe still sees entries both in the nodes and in the run.
    tree.probe(keyOf(700));
    tree.addProbed(keyOf(700), 700);
    model.set(keyOf(700), 700);
    expect(tree.probe(keyOf(5))).toBe(5);
    expect(tree.probe(keyOf(700))).toBe(700);
    const expected = [...model.entries()].sort((a, b) => compareValues(a[0], b[0]));
    expect(contents(tree)).toEqual(expected);
  });

  it('a large run into a small unique tree merges with its entries in one rebuild', () => {
    const tree = new BTree<unknown, number>({ compare: compareValues });
    for (let i = 0; i < 100; i++) {
      tree.probe(keyOf(i));
      tree.addProbed(keyOf(i), i);
    }
    tree.get(keyOf(0));
    const counter = countBuilds(tree);
    for (let i = 100; i < 5100; i++) {
      tree.probe(keyOf(i));
      tree.addProbed(keyOf(i), i);
    }
    expect(tree.size).toBe(5100);
    expect(
      contents(tree)
        .map((e) => e[1])
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 5100 }, (_, i) => i));
    expect(counter.builds).toBe(1);
  });

  it('one-row transactions into a multi-mode tree insert, they do not rebuild', () => {
    const tree = new BTree<unknown, number>({
      compare: compareValues,
      multi: true,
      valueCompare: compareValues,
    });
    const model: Array<[unknown, number]> = [];
    for (let i = 0; i < 500; i++) {
      tree.addNew(i % 7, i);
      model.push([i % 7, i]);
    }
    expect(tree.firstValue(0)).toBe(0);
    const counter = countBuilds(tree);
    for (let i = 500; i < 600; i++) {
      tree.addNew(i % 7, i);
      model.push([i % 7, i]);
      expect(tree.firstValue(i % 7)).toBe(i % 7);
    }
    expect(counter.builds).toBe(0);
    // A large grouped run merges with the entries already in the nodes.
    for (let i = 600; i < 5000; i++) {
      tree.addNew(i % 11, i);
      model.push([i % 11, i]);
    }
    expect(tree.firstValue(10)).toBe(604); // 604 % 11 === 10: the first entry of key 10
    expect(counter.builds).toBe(1);
    model.sort((a, b) => compareValues(a[0], b[0]) || a[1] - b[1]);
    expect(contents(tree)).toEqual(model);
  });
});
