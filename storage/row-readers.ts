/**
 * The ways a statement reads rows, as the storage layer offers them to the executor
 * (Engine.readersFor builds them for one read view; planner/execute.ts consumes them).
 */

import type { StringCodes } from './string-codes';

/** A primary-key leaf as a scan memo sees it: a slot it keeps the leaf's memoized rows in. */
export interface MemoLeaf {
  memo: unknown;
}

/** Where a scan stands: the entry's value (a row location) and its place in the tree. */
export interface ScanPosition {
  readonly value: number;
  /** The leaf holding the entry (an identity, and its memo slot), or null before the first entry. */
  readonly leaf: MemoLeaf | null;
  readonly position: number;
  /** The values (row locations) of every entry of `leaf`, when the walk can tell them. */
  readonly leafValues?: readonly unknown[];
  /** The checkpoint page `leaf`'s entries equal (null: none), when the walk can tell it. */
  readonly leafPage?: object | null;
}

/**
 * A scan's read with a filter pushed down: the row when `test` accepts it, else null; only
 * `columns` need be present in the row `test` sees. With `defaults` (the collection's stored
 * defaults, when some rows predate an ADD COLUMN), rows `test` sees and the row returned are
 * widened to their length; `test`'s second argument is then true when some of the row's `columns`
 * were not stored and read as defaults (a value a later schema change could make different).
 * With `whole` false the caller needs no values of an accepted row: one not in memory comes back
 * as ACCEPTED_ROW; with 'columns' it reads only `columns`: one not in memory comes back as a new
 * row holding those (the others null), decoded no further and not kept.
 */
export type ScanRowWhere = (
  at: ScanPosition,
  columns: readonly number[],
  test: (row: unknown[], defaulted: boolean) => boolean,
  defaults?: readonly unknown[] | null,
  whole?: boolean | 'columns',
) => unknown[] | null;

/**
 * A scan's read of `columns` alone (a consumer that reads no other column of the row): a row in
 * memory comes back whole; one that is not is decoded for those columns only into a new row of
 * `width` values whose other columns are null, and is not kept. `defaults` as for ScanRowWhere.
 */
export type ScanRowColumns = (
  at: ScanPosition,
  columns: readonly number[],
  width: number,
  defaults?: readonly unknown[] | null,
) => unknown[];

/**
 * readRow for a consumer that reads `columns` alone (ascending): a row in memory comes back
 * whole; one that is not may come back decoded for those columns only, as a new row of `width`
 * values whose other columns are null, not kept (storage/row-reader.ts readRowColumns). Rows come
 * back widened by `defaults` as for ScanRowWhere.
 */
export type ReadRowColumns = (
  location: number,
  columns: readonly number[],
  width: number,
  defaults: readonly unknown[] | null,
) => unknown[];

/**
 * What a ScanRowWhere called with `whole` false returns for an accepted row it did not have in
 * memory: the caller only counts rows, so the row is neither decoded whole nor kept.
 */
export const ACCEPTED_ROW: unknown[] = Object.freeze([]) as unknown as unknown[];

/**
 * The test a scan passes to ScanRowWhere for a row it already accepted (its column vectors passed
 * every term): a row not in memory is then decoded whole at once, its checksum and stored form
 * checked there, instead of first decoding the tested columns to run a test that cannot fail (a
 * tenth of a cold filtered scan's time).
 */
export const ACCEPT_ALL = (): boolean => true;

export interface RowReaders {
  readRow: (location: number) => unknown[];
  /** Read path for scans in primary-key order; defaults to readRow. */
  readRowSequential?: (at: ScanPosition) => unknown[];
  /** Filtered scans push their predicate into the reads through this when given. */
  scanRowWhere?: ScanRowWhere;
  /** Scans whose consumer reads a few columns decode only those through this when given. */
  scanRowColumns?: ScanRowColumns;
  /** Index lookups whose consumer reads a few columns decode only those through this when given. */
  readRowColumns?: ReadRowColumns;
  /**
   * Whether readRowColumns may now return rows decoded in part (the decoded rows no longer fit
   * their budget); until then index fetches read rows whole, through readRow, and a late TopN
   * need not read its rows again. Once true it stays true until the cache is cleared.
   */
  narrowing?: () => boolean;
  /**
   * A numeric column of the rows of the leaf at a scan position, NaN for NULL, kept beside the
   * leaf (storage/scan-memo.ts), or undefined when there is none yet: a filter on numbers then
   * tests rows without touching them. Valid for an entry whose location equals
   * `locations[position]`; `trustedOn` as NumberColumn's (storage/scan-memo.ts).
   */
  scanNumberColumn?: (
    at: ScanPosition,
    column: number,
  ) =>
    { readonly locations: Float64Array; readonly values: Float64Array; trustedOn: object | null } | undefined;
  /**
   * A numeric column of the rows of a checkpoint page (`ScanPosition.leafPage` of a leaf not
   * decoded), from the column page stored beside it (storage/column-pages.ts), in entry order; or
   * undefined when there is none. A whole-table count tests it without decoding the leaf. The
   * array is the reader's and valid only until the next call for the same column: use it at once.
   */
  scanPageColumn?: (page: object, column: number) => Float64Array | undefined;
  /** Keep a column vector of a whole leaf that a scan filled from the rows it tested. */
  keepNumberColumn?: (leaf: MemoLeaf, column: number, locations: Float64Array, values: Float64Array) => void;
  /**
   * A TEXT column of the rows of the leaf at a scan position as codes of `codes` (NaN for NULL),
   * as scanNumberColumn; kept beside the leaf by keepCodeColumn.
   */
  scanCodeColumn?: (
    at: ScanPosition,
    column: number,
    codes: StringCodes,
  ) =>
    { readonly locations: Float64Array; readonly values: Float64Array; trustedOn: object | null } | undefined;
  keepCodeColumn?: (
    leaf: MemoLeaf,
    column: number,
    codes: StringCodes,
    locations: Float64Array,
    values: Float64Array,
  ) => void;
  /** scanPageColumn for a TEXT column stored as a DICT column: its codes of `codes`. */
  scanPageCodeColumn?: (page: object, column: number, codes: StringCodes) => Float64Array | undefined;
  /** The dictionary of a collection's TEXT column the code vectors use (storage/string-codes.ts). */
  stringCodes?: (collectionId: number, column: number) => StringCodes;
}
