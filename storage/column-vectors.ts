/**
 * Column vectors for scans that test numbers or dictionary codes without touching rows: those
 * memoized beside primary-key leaves (storage/scan-memo.ts) and those read from a checkpoint
 * page's column page (storage/column-pages.ts), kept in a shared slab within a quarter of
 * cacheBytes. Only the current file's committed rows get vectors: a view of a replaced file or
 * of an open transaction reads rows (storage/row-reader.ts).
 */
import { StoredPage } from './index-pages';
import { PageColumns } from './column-pages';
import type { MemoLeaf, ScanPosition } from './row-readers';
import type { NumberColumn, ScanMemo } from './scan-memo';
import type { StringCodes } from './string-codes';
import type { ReadView, RowSource } from './row-reader';

/** Values per slab that kept page columns are copied into. */
const SLAB_VALUES = 1 << 16;

export class ColumnVectors {
  /** Where kept page columns are copied (see scanPageColumn), and their bytes so far. */
  private slab = new Float64Array(0);
  private slabUsed = 0;
  private keptBytes = 0;
  /** The column page of the leaf a scan is in (storage/column-pages.ts). */
  private readonly pageColumns = new PageColumns();
  /** Bytes of page columns kept at most (a quarter of cacheBytes; see scanPageColumn). */
  private readonly keptBudget: number;

  constructor(
    private readonly src: RowSource,
    private readonly memo: ScanMemo,
    cacheBytes: number,
  ) {
    this.keptBudget = cacheBytes / 4;
  }

  /** Forget what was kept (the file's locations changed). */
  clear(): void {
    this.keptBytes = 0;
  }

  /**
   * RowReaders.scanNumberColumn: only over rows of the current file (the memo holds no other);
   * a leaf holding rows of an open transaction never has every row memoized, so gets none.
   */
  scanNumberColumn(view: ReadView, at: ScanPosition, column: number): NumberColumn | undefined {
    if (view.store !== this.src.store) return undefined;
    const values = at.leafValues;
    if (values === undefined) return undefined;
    const memo = this.memo.numberColumn(at, column, values);
    if (memo !== undefined) return memo;
    const page = at.leafPage;
    if (!(page instanceof StoredPage) || page.columns === null || at.leaf === null) return undefined;
    if (page.source.store !== this.src.store) return undefined;
    const col = this.pageColumns.column(page, values, (id) => this.src.schemaOf(id), column);
    if (col !== undefined) this.memo.putNumberColumn(at.leaf, column, col);
    return col;
  }

  /**
   * RowReaders.scanPageColumn: a page of the current file's checkpoint, from its column page. The
   * values are decoded into a buffer reused for the next page and not kept: a count consumes them
   * at once, and keeping a vector per page cost a cold count more in garbage collection (a third
   * of its time) than decoding them again costs a repeated one.
   */
  scanPageColumn(view: ReadView, page: object, column: number): Float64Array | undefined {
    if (view.store !== this.src.store || !(page instanceof StoredPage) || page.columns === null)
      return undefined;
    if (page.source.store !== this.src.store) return undefined;
    const kept = page.keptColumns?.[column];
    if (kept !== undefined) return kept;
    const values = this.pageColumns.values(page, (id) => this.src.schemaOf(id), column, true);
    // Kept on the page the second time it is counted (a count never decodes its leaf, so no leaf
    // memo holds it), copied into a shared slab, within a budget: a count repeated again decodes
    // nothing. Not the first time: keeping them cost a cold count a third of its time (measured).
    if (values === undefined || this.keptBytes + 8 * values.length > this.keptBudget) return values;
    if (page.keptColumns === null) {
      page.keptColumns = [];
      return values;
    }
    const copy = this.keep(values);
    page.keptColumns[column] = copy;
    return copy;
  }

  /** A copy of `values` in the slab of kept page columns, counted in their budget. */
  private keep(values: Float64Array): Float64Array {
    if (this.slabUsed + values.length > this.slab.length) {
      this.slab = new Float64Array(Math.max(SLAB_VALUES, values.length));
      this.slabUsed = 0;
    }
    const copy = this.slab.subarray(this.slabUsed, this.slabUsed + values.length);
    copy.set(values);
    this.slabUsed += values.length;
    this.keptBytes += 8 * values.length;
    return copy;
  }

  /** RowReaders.keepNumberColumn: only for a leaf of the current file's committed rows. */
  keepNumberColumn(
    view: ReadView,
    leaf: MemoLeaf,
    column: number,
    locations: Float64Array,
    values: Float64Array,
  ): void {
    if (this.keepable(view, locations))
      this.memo.putNumberColumn(leaf, column, { locations, values, trustedOn: null });
  }

  /** Whether a vector over `locations` may be kept: committed rows of the current file only. */
  private keepable(view: ReadView, locations: Float64Array): boolean {
    if (view.store !== this.src.store) return false;
    const limit = Math.min(view.staged?.base ?? Infinity, this.src.staging?.base ?? Infinity);
    for (let k = 0; k < locations.length; k++) if (locations[k] >= limit) return false;
    return true;
  }

  /**
   * RowReaders.scanCodeColumn: scanNumberColumn for a TEXT column's codes, from the memoized rows
   * or the DICT column stored beside the leaf's page (format 1.5).
   */
  scanCodeColumn(
    view: ReadView,
    at: ScanPosition,
    column: number,
    codes: StringCodes,
  ): NumberColumn | undefined {
    if (view.store !== this.src.store) return undefined;
    const values = at.leafValues;
    if (values === undefined) return undefined;
    const memo = this.memo.codeColumn(at, column, codes, values);
    if (memo !== undefined) return memo;
    const page = at.leafPage;
    if (!(page instanceof StoredPage) || page.columns === null || at.leaf === null) return undefined;
    if (page.source.store !== this.src.store) return undefined;
    const col = this.pageColumns.codeColumn(page, values, (id) => this.src.schemaOf(id), column, codes);
    if (col !== undefined) this.memo.putCodeColumn(at.leaf, column, codes, col);
    return col;
  }

  /** RowReaders.scanPageCodeColumn: scanPageColumn for a TEXT column's codes (not kept). */
  scanPageCodeColumn(
    view: ReadView,
    page: object,
    column: number,
    codes: StringCodes,
  ): Float64Array | undefined {
    if (view.store !== this.src.store || !(page instanceof StoredPage) || page.columns === null)
      return undefined;
    if (page.source.store !== this.src.store) return undefined;
    const kept = page.keptCodes?.[column];
    if (kept !== undefined && page.keptCodeDicts?.[column] === codes) return kept;
    const values = this.pageColumns.codes(page, (id) => this.src.schemaOf(id), column, codes);
    // Kept as scanPageColumn keeps numbers: the second time, in the slab, within its budget.
    if (values === undefined || this.keptBytes + 8 * values.length > this.keptBudget) return values;
    if (page.keptCodes === null) {
      page.keptCodes = [];
      return values;
    }
    const copy = this.keep(values);
    page.keptCodes[column] = copy;
    (page.keptCodeDicts ??= [])[column] = codes;
    return copy;
  }

  /** RowReaders.keepCodeColumn: keepNumberColumn for a code vector. */
  keepCodeColumn(
    view: ReadView,
    leaf: MemoLeaf,
    column: number,
    codes: StringCodes,
    locations: Float64Array,
    values: Float64Array,
  ): void {
    if (this.keepable(view, locations))
      this.memo.putCodeColumn(leaf, column, codes, { locations, values, trustedOn: null });
  }
}
