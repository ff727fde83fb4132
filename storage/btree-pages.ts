/**
 * The paged layer of the B+tree (see btree.ts, whose class extends this one): a tree stood on
 * checkpoint pages, leaf pages (layouts up to 4) or directory pages (layout 5), each read when a
 * descent first reaches it. A checkpoint's adoptPages (btree.ts) stands the tree on the pages it
 * has just written, so that the next checkpoint points at every page no write has changed since.
 */

import { BTreeStaging } from './btree-staging';
import { MIXED, forEachRun, nextGeneration, widen } from './btree-nodes';
import type { DirEntry, Inner, Node, PageEntry } from './btree-nodes';
import { pageLeaves, standingRun } from './page-parts';

/** A node a tree stands on, with its first entry (the separator in front of it). */
interface Standing<K, V> {
  node: Node<K, V>;
  key: K;
  val: V;
}

export abstract class BTreePages<K, V> extends BTreeStaging<K, V> {
  /** Root this tree on inner nodes over directory pages not read yet (BTree.fromDirs). */
  protected standOnDirs(dirs: readonly DirEntry<K, V>[]): void {
    const shape = this.shape;
    shape.paged = true;
    const gen = nextGeneration();
    let count = 0;
    const level: Standing<K, V>[] = [];
    for (const d of dirs) {
      if (shape.keyKind !== MIXED) shape.keyKind = widen(shape.keyKind, d.firstKey);
      if (shape.valKind !== MIXED) shape.valKind = widen(shape.valKind, d.firstVal);
      count += d.dir.count;
      const node: Inner<K, V> = {
        leaf: false,
        gen,
        sepKeys: [],
        sepVals: [],
        children: [],
        packed: undefined,
        dir: d.dir,
      };
      level.push({ node, key: d.firstKey, val: d.firstVal });
    }
    this.raise(level, gen, count);
  }

  /** Root this tree on leaves over `pages`, cold unless their entries come along (adoptPages). */
  protected standOn(pages: readonly PageEntry<K, V>[]): void {
    const shape = this.shape;
    shape.paged = true;
    // The nodes belong to a generation no tree writes in place: the first write copies them.
    const gen = nextGeneration();
    let count = 0;
    const level: Standing<K, V>[] = [];
    for (const p of pages) {
      count += p.page.count;
      // A page larger than a node whose entries come along stands as node-sized parts.
      pageLeaves(p, gen, shape.nodeSize, (node, key, val) => level.push({ node, key, val }));
    }
    this.raise(level, gen, count);
  }

  /** Root this tree on the nodes of `bottom` (of generation `gen`, `count` entries below them). */
  protected raise(bottom: Standing<K, V>[], gen: number, count: number): void {
    const max = this.shape.nodeSize;
    let level = bottom;
    while (level.length > 1) {
      const below = level;
      level = [];
      forEachRun(below.length, standingRun(below.length, max), (a, b) => {
        const sepKeys = new Array<K>(b - a - 1);
        const sepVals = new Array<V>(b - a - 1);
        const children = new Array<Node<K, V>>(b - a);
        for (let i = a; i < b; i++) {
          children[i - a] = below[i].node;
          if (i > a) {
            sepKeys[i - a - 1] = below[i].key;
            sepVals[i - a - 1] = below[i].val;
          }
        }
        level.push({
          node: { leaf: false, gen, sepKeys, sepVals, children, packed: undefined, dir: null },
          key: below[a].key,
          val: below[a].val,
        });
      });
    }
    this.root = level[0].node;
    this.count = count;
    this.gen = nextGeneration();
  }
}
