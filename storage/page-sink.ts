/**
 * The writer of a checkpoint's pages (docs/format.md §4.2–§4.4, read by storage/index-pages.ts):
 * a tree's leaves in order become pages — a leaf that still equals a page of this file is pointed
 * at again, runs of other entries are cut into new pages of at most PAGE_MAX_ENTRIES (a secondary
 * index's: INDEX_PAGE_MAX_ENTRIES) — and their
 * directory, which layout 5 cuts into directory pages behind the pages for a tree of more than
 * dirPolicy.entries pages. The bytes go into one PAGES frame, streamed to the file in chunks
 * (engine-file.ts, compact-copy.ts); the trees then stand on what was written (BTree.adoptPages).
 */
import type { AdoptedPage, BTree, LeafPage } from './btree';
import type { Leaf } from './btree-nodes';
import type { Visit } from './page-parts';
import type { ByteStore } from './byte-store';
import { forEachRun } from './btree-nodes';
import { crc32c } from './crc32c';
import { GrowableBuffer } from './growable-buffer';
import { packColumn } from './packed-column';
import type { ColumnExtent, ColumnWriter } from './column-pages';
import { InternalError } from '../src/errors';
import {
  PAGE_MAX_BYTES,
  PAGE_MAX_ENTRIES,
  StoredPage,
  corrupt,
  dirPolicy,
  encodePageInto,
  varint,
} from './index-pages';
import type { EncodedDirectory, PageRules } from './index-pages';

/**
 * A streamed sink writes its pages out in chunks of this many bytes: under its buffer's 4 MiB
 * step, so that the buffer stops growing there (each 64 MB of buffer growth costs a full
 * collection, txn-spill.ts).
 */
const STREAM_BYTES = 3 << 20;

/** Encode a directory page of `columns` (packed columns) into `out`; its length. */
function encodeDirectoryPageInto(out: GrowableBuffer, columns: readonly Uint8Array[]): number {
  const start = out.length;
  let size = 1;
  const lengths: number[][] = columns.map((c) => {
    const v: number[] = [];
    varint(v, c.length);
    size += v.length + c.length;
    return v;
  });
  const at = out.reserve(size);
  let p = at;
  out.buf[p++] = columns.length;
  for (let i = 0; i < columns.length; i++) {
    for (const b of lengths[i]) out.buf[p++] = b;
    out.buf.set(columns[i], p);
    p += columns[i].length;
  }
  return out.length - start;
}

/**
 * The pages a checkpoint writes, gathered into the payload of one PAGES frame whose payload
 * starts at file offset `base`, and the directories that name them.
 */
export class PageSink {
  private readonly out = new GrowableBuffer(1 << 16);
  /** Streamed: bytes already written to the store, and their crc32c. */
  private written = 0;
  private writtenCrc = 0;
  /**
   * Where the pages this sink writes are read back from once the checkpoint is published: the
   * bound (`limit`, the CHECKPOINT frame's offset) is set by the writer when it knows it.
   */
  readonly source: { store: ByteStore; limit: number };
  /** Per tree asked for (see `directory`): its leaves as pages of this checkpoint, in order. */
  readonly adopted = new Map<BTree<unknown, unknown>, AdoptedPage<unknown, unknown>[]>();
  /**
   * Checkpoint layout 5: directories go into directory pages behind the pages, and directory()
   * returns the root directory naming them (docs/format.md §4.4).
   */
  twoLevel = false;
  /** Pages pointed at again that this checkpoint gave a column page (publishColumns). */
  private readonly columnUpdates: [StoredPage, ColumnExtent][] = [];

  constructor(
    /** The file the checkpoint goes into: only its own pages may be pointed at again. */
    private readonly store: ByteStore,
    private readonly base: number,
    /**
     * Whether trees will stand on the pages (`adopted`); a writer whose trees are thrown away
     * after the checkpoint (a compaction's copy) keeps no page entries in memory.
     */
    private readonly keepAdopted = true,
    /**
     * Write the pages through to `store` (at `base` on) as they are cut, in chunks of
     * STREAM_BYTES, instead of holding them all until the frame is written: the caller then
     * writes the PAGES frame's header itself from finish(). A compaction's copy does this.
     */
    private readonly streamed = false,
  ) {
    this.source = { store, limit: Number.MAX_SAFE_INTEGER };
  }

  /** Whether this checkpoint goes into `store` (whose earlier pages it may point at again). */
  writesInto(store: object): boolean {
    return store === this.store;
  }

  /** Bytes of pages so far (written through or held). */
  get length(): number {
    return this.written + this.out.length;
  }

  bytes(): Buffer {
    if (this.streamed) throw new InternalError('PageSink: a streamed sink holds no bytes');
    return this.out.view();
  }

  /** Streamed: write what is held; the pages' total length and crc32c (to chain the frame's from). */
  finish(): { length: number; crc: number } {
    this.writeThrough(0);
    return { length: this.written, crc: this.writtenCrc };
  }

  /** File offset of byte `at` of the held bytes. */
  private offsetOf(at: number): number {
    return this.base + this.written + at;
  }

  private writeThrough(atLeast = STREAM_BYTES): void {
    if (!this.streamed || this.out.length === 0 || this.out.length < atLeast) return;
    const chunk = this.out.view();
    this.store.writeAt(chunk, this.base + this.written);
    this.writtenCrc = crc32c(chunk, 0, chunk.length, this.writtenCrc);
    this.written += chunk.length;
    this.out.length = 0;
  }

  /**
   * The directory of a tree, given its leaves in order (BTree.forEachLeaf): a leaf that still
   * equals a page of this file is pointed at again; runs of other entries are cut into new pages.
   * With `adopt` (the tree and its page rules), the pages are also kept in `adopted` under the
   * tree, new ones with their entries, so that once the checkpoint is published the tree can
   * stand on them (BTree.adoptPages): the next checkpoint then writes only what changes after it.
   */
  directory(
    forEachLeaf: (visit: Visit<unknown, unknown>) => void,
    wanted: { tree: BTree<unknown, unknown>; rules: PageRules } | null = null,
    /**
     * A primary-key tree of checkpoint layout 4 (format 1.3): the directory gets three more
     * columns naming each page's column page, built by this writer (null: none are built, pages
     * pointed at again keep theirs). Undefined: a six-column directory.
     */
    columns?: ColumnWriter | null,
    /** Entries of a new page at most (secondary indexes: INDEX_PAGE_MAX_ENTRIES). */
    maxEntries = PAGE_MAX_ENTRIES,
  ): EncodedDirectory {
    const adopt = this.keepAdopted ? wanted : null;
    const withColumns = columns !== undefined;
    const dir: unknown[][] = withColumns ? [[], [], [], [], [], [], [], [], []] : [[], [], [], [], [], []];
    // Per page, the column page extent it got (adopted pages of this sink take it on publish).
    const extents: (ColumnExtent | null)[] = [];
    // Per page, for adoption: the page pointed at again, or the entries of a new one.
    const reused: (LeafPage<unknown, unknown> | null)[] = [];
    const fresh: ([unknown[], unknown[]] | null)[] = [];
    // Per reused page (by position), the unchanged decoded leaves standing for it, if any.
    const kept = new Map<number, readonly Leaf<unknown, unknown>[] | null>();
    const add = (
      key: unknown,
      val: unknown,
      count: number,
      offset: number,
      length: number,
      crc: number,
    ): void => {
      dir[0].push(key);
      dir[1].push(val);
      dir[2].push(count);
      dir[3].push(offset);
      dir[4].push(length);
      dir[5].push(crc);
    };
    /** The column-page columns of the entry add() just made. */
    const addColumns = (extent: ColumnExtent | null): void => {
      if (!withColumns) return;
      dir[6].push(extent ? extent.offset : 0);
      dir[7].push(extent ? extent.length : 0);
      dir[8].push(extent ? extent.crc : 0);
      extents.push(extent);
    };
    /** Append the column page of locations [from, to) behind what is held; its extent, or null. */
    const columnPage = (locations: readonly unknown[], from: number, to: number): ColumnExtent | null => {
      if (!columns) return null;
      const at = this.out.length;
      if (!columns.write(this.out, locations, from, to)) {
        this.out.length = at;
        return null;
      }
      const length = this.out.length - at;
      const crc = crc32c(this.out.buf, at, at + length);
      return { collectionId: columns.collectionId, offset: this.offsetOf(at), length, crc };
    };
    let keys: unknown[] = [];
    let vals: unknown[] = [];
    const flush = (all: boolean): void => {
      let from = 0;
      while (keys.length - from >= (all ? 1 : maxEntries)) {
        let n = Math.min(maxEntries, keys.length - from);
        const at = this.out.length;
        let length = encodePageInto(this.out, keys, vals, from, from + n);
        while (length > PAGE_MAX_BYTES && n > 1) {
          n = n >>> 1;
          this.out.length = at;
          length = encodePageInto(this.out, keys, vals, from, from + n);
        }
        add(keys[from], vals[from], n, this.offsetOf(at), length, crc32c(this.out.buf, at, at + length));
        addColumns(columnPage(vals, from, from + n));
        if (adopt) {
          reused.push(null);
          fresh.push([keys.slice(from, from + n), vals.slice(from, from + n)]);
        }
        from += n;
        this.writeThrough();
      }
      keys = keys.slice(from);
      vals = vals.slice(from);
    };
    forEachLeaf((page, leafKeys, leafVals, leaves) => {
      if (
        page instanceof StoredPage &&
        page.source.store !== this.store &&
        !leafKeys &&
        !page.rules.locations
      ) {
        // A cold secondary-index page of another file (a compaction's source) means the same
        // anywhere: its bytes are copied, checksum checked, not decoded and encoded again (the
        // copy's reader checks its entries as any reader does). Row locations would not carry over.
        flush(true);
        const at = this.copyPage(page);
        add(page.firstKey, page.firstVal, page.count, this.offsetOf(at), page.length, page.crc);
        addColumns(null);
        this.writeThrough();
        if (adopt) {
          reused.push(null);
          fresh.push(null);
        }
        return;
      }
      if (page instanceof StoredPage && page.source.store === this.store) {
        flush(true);
        add(page.firstKey, page.firstVal, page.count, page.offset, page.length, page.crc);
        // A page of a 1.2 checkpoint gets its column page the first time it is pointed at again.
        let extent = page.columns;
        if (extent === null && columns) {
          const locations = leafVals ?? (leaves ? leaves.flatMap((l) => l.vals) : page.load().vals);
          extent = columnPage(locations, 0, locations.length);
          if (extent !== null) this.columnUpdates.push([page, extent]);
          this.writeThrough();
        }
        addColumns(extent);
        if (adopt) {
          reused.push(page);
          // A leaf decoded in this session stays decoded: cooling it here would make a writer
          // decode again the pages it keeps inserting into.
          fresh.push(leafKeys && leafVals ? [leafKeys, leafVals] : null);
          kept.set(reused.length - 1, leaves ?? null);
        }
        return;
      }
      const entries =
        leafKeys && leafVals
          ? { keys: leafKeys, vals: leafVals }
          : leaves
            ? { keys: leaves.flatMap((l) => l.keys), vals: leaves.flatMap((l) => l.vals) }
            : (page as LeafPage<unknown, unknown>).load();
      for (let i = 0; i < entries.keys.length; i++) {
        keys.push(entries.keys[i]);
        vals.push(entries.vals[i]);
      }
      if (keys.length >= 4 * maxEntries) flush(false);
    });
    flush(true);
    if (adopt) this.adopted.set(adopt.tree, this.adoption(dir, reused, fresh, adopt.rules, extents, kept));
    return this.twoLevel ? this.rootDirectory(dir) : dir.map((column) => packColumn(column));
  }

  /**
   * Layout 5: a directory of at most dirPolicy.entries pages as it is; a larger one cut into
   * directory pages of at most that many, appended behind the pages, and the root directory
   * naming them, as a directory names pages.
   */
  private rootDirectory(dir: unknown[][]): EncodedDirectory {
    const n = dir[0].length;
    if (n <= dirPolicy.entries) return dir.map((column) => packColumn(column));
    const root: unknown[][] = [[], [], [], [], [], []];
    // Runs of even length (at least half of dirPolicy.entries each): a directory page of one
    // page would stand as an inner node of one child, which the tree's deletes cannot repair.
    forEachRun(n, dirPolicy.entries, (a, b) => {
      let count = 0;
      for (let i = a; i < b; i++) count += dir[2][i] as number;
      const at = this.out.length;
      const length = encodeDirectoryPageInto(
        this.out,
        dir.map((column) => packColumn(column.slice(a, b))),
      );
      root[0].push(dir[0][a]);
      root[1].push(dir[1][a]);
      root[2].push(count);
      root[3].push(this.offsetOf(at));
      root[4].push(length);
      root[5].push(crc32c(this.out.buf, at, at + length));
      this.writeThrough();
    });
    return { dirs: root.map((column) => packColumn(column)) };
  }

  /**
   * Once the checkpoint is published: pages it pointed at again and gave a column page to keep
   * it (so the next checkpoint points at that too instead of building another).
   */
  publishColumns(): void {
    for (const [page, extent] of this.columnUpdates) page.columns = extent;
    this.columnUpdates.length = 0;
  }

  /** Append the bytes of `page` (of another file) after checking its checksum; their offset in the frame. */
  private copyPage(page: StoredPage): number {
    const at = this.out.reserve(page.length);
    const got = page.source.store.readInto(this.out.buf, at, page.length, page.offset);
    if (got !== page.length) throw corrupt('cut off', page.offset);
    if (crc32c(this.out.buf, at, at + page.length) !== page.crc)
      throw corrupt('checksum mismatch', page.offset);
    return at;
  }

  private adoption(
    dir: unknown[][],
    reused: (LeafPage<unknown, unknown> | null)[],
    fresh: ([unknown[], unknown[]] | null)[],
    rules: PageRules,
    extents: readonly (ColumnExtent | null)[],
    kept: ReadonlyMap<number, readonly Leaf<unknown, unknown>[] | null>,
  ): AdoptedPage<unknown, unknown>[] {
    const [firstKeys, firstVals, counts, offsets, lengths, crcs] = dir;
    const n = firstKeys.length;
    const out: AdoptedPage<unknown, unknown>[] = new Array<AdoptedPage<unknown, unknown>>(n);
    for (let i = 0; i < n; i++) {
      const entries = fresh[i];
      const next = i + 1 < n ? { key: firstKeys[i + 1], val: firstVals[i + 1] } : null;
      let page = reused[i];
      if (!page) {
        const made = new StoredPage(
          this.source,
          rules,
          offsets[i] as number,
          lengths[i] as number,
          crcs[i] as number,
          counts[i] as number,
          firstKeys[i],
          firstVals[i],
          next,
        );
        made.columns = extents[i] ?? null;
        page = made;
      }
      out[i] = {
        firstKey: firstKeys[i],
        firstVal: firstVals[i],
        page,
        keys: entries ? entries[0] : null,
        vals: entries ? entries[1] : null,
        leaves: kept.get(i) ?? null,
      };
    }
    return out;
  }
}
