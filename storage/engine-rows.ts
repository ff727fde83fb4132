/**
 * Row writes (storage/engine.ts explains the layers): putRow and deleteRow inside the open
 * transaction, with their undo journal entries, and replay's same tree updates without staging,
 * including the end-of-replay rebuild of indexes it could not keep exact (I9).
 */
import { writeFrameEncoded } from './frame';
import { FrameKind, FRAME_FLAG_IGNORABLE } from './format';
import { corruptAt } from './row-reader';
import { CollectionState, IndexState, newIndexTree, rowOfState, uniqueFailureText } from './collection-state';
import { noteKey } from './sequence';
import { compareValues, keyHasNull, sameStoredKey } from './compare';
import { flattenKeys } from './flat-string';
import { NOT_INDEXED } from './index-exprs';
import { FormatError, IntegrityError } from '../src/errors';
import type { ConflictMode, PutResult } from './engine-types';
import { UNDO_ADDED, UNDO_PK, UNDO_REMOVED, UNDO_SEQ } from './engine-types';
import { EngineCore } from './engine-core';
import { ReplayIndexBatch } from './replay-indexes';
import { forEachRecordColumns } from './record-columns';
import { txnRowPolicy, UNKEPT_ROW } from './row-cache';

export abstract class EngineRows extends EngineCore {
  /** Replay's held-back index entries (see replayBatched); null outside a replay. */
  protected replayBatch: ReplayIndexBatch | null = null;

  /**
   * Insert a validated stored row (see CompiledSchema.toRow). All checks run before any
   * mutation (I4); returns what happened. `current`: the stored row under the same primary key
   * as the caller has just read it (an UPDATE rewriting it), when there is one; keys it shares
   * with `row` are then neither checked for uniqueness (the row's own entry holds them) nor
   * re-indexed.
   */
  putRow(
    state: CollectionState,
    row: unknown[],
    mode: ConflictMode = 'replacePk',
    current?: readonly unknown[],
  ): PutResult {
    const txn = this.requireTxn();
    flattenKeys(row, state.compiled.pkColumn, state.indexes, current);
    const pk = state.pkOf(row);
    // abort/ignore must know about an existing key before anything else; the replacing modes learn
    // it from pk.set() below, which saves a second descent on the bulk-insert path.
    if ((mode === 'abort' || mode === 'ignore') && state.pk.get(pk) !== undefined) {
      if (mode === 'ignore') return 'ignored';
      throw new IntegrityError(
        `UNIQUE constraint failed: ${state.name}.${state.meta.schema.primaryKey.join('.')}`,
        'PRIMARY_KEY',
      );
    }
    const indexes = state.indexes;
    // Reused between calls: putRow never re-enters itself before it is done with the keys.
    const keys = this.keyScratch;
    keys.length = indexes.length;
    let clashes: unknown[] | null = null;
    for (let i = 0; i < indexes.length; i++) keys[i] = indexes[i].accessor.get(row) ?? null;
    // The keys of the row being replaced, when the caller has read it (else learnt below).
    const was = current === undefined ? null : this.oldKeyScratch;
    if (was !== null) {
      const old = rowOfState(state, current as unknown[]);
      was.length = indexes.length;
      for (let i = 0; i < indexes.length; i++) was[i] = indexes[i].accessor.get(old) ?? null;
    }
    // SQLite checks the most recently created unique index first: its clash names the error.
    for (let i = indexes.length - 1; i >= 0; i--) {
      const ix = indexes[i];
      const key = keys[i];
      if (!ix.unique || key === NOT_INDEXED || keyHasNull(key)) continue;
      if (was !== null && sameStoredKey(was[i], key)) continue;
      // probe() remembers the leaf: the add below inserts there without a second descent.
      const other = ix.tree.probe(key);
      if (other === undefined || compareValues(other, pk) === 0) continue;
      if (mode === 'ignore') return 'ignored';
      if (mode !== 'replaceAll') {
        throw new IntegrityError(`UNIQUE constraint failed: ${uniqueFailureText(state.name, ix)}`, 'UNIQUE');
      }
      (clashes ??= []).push(other);
    }
    // Every check has passed (I4): from here on nothing can fail.
    if (clashes) for (const other of clashes) this.deleteByPk(state, other);
    const record = this.recordScratch;
    record[0] = state.meta.id;
    record[1] = state.meta.version;
    record[2] = row;
    const location = this.stage(txn, FrameKind.RECORD_PUT, record);
    const previous = state.pk.set(pk, location);
    const j = txn.journal;
    if (j !== null) j.push(UNDO_PK, state.pk, pk, previous);
    if (previous === undefined) {
      // A new primary key: no index holds an entry of it, so a non-unique index may stage its
      // entry (addNew); a unique one inserts where its probe above ended.
      for (let i = 0; i < indexes.length; i++) {
        if (keys[i] === NOT_INDEXED) continue;
        const tree = indexes[i].tree;
        const added = indexes[i].unique ? tree.addProbed(keys[i], pk) : tree.addNew(keys[i], pk);
        if (added && j !== null) j.push(UNDO_ADDED, tree, keys[i], pk);
      }
    } else {
      // A replaced row moves only the entries whose key changed: an UPDATE of one column
      // leaves the other indexes untouched (no descents, no pages to write at checkpoint).
      let old: unknown[] | null = null;
      for (let i = 0; i < indexes.length; i++) {
        let before: unknown;
        if (was !== null) before = was[i];
        else {
          old ??= rowOfState(state, this.readRow(previous));
          before = indexes[i].accessor.get(old) ?? null;
        }
        if (sameStoredKey(before, keys[i])) continue;
        const tree = indexes[i].tree;
        // A partial index gains or loses the row as its WHERE starts or stops accepting it.
        if (before !== NOT_INDEXED && tree.delete(before, pk) && j !== null)
          j.push(UNDO_REMOVED, tree, before, pk);
        if (keys[i] !== NOT_INDEXED && tree.addProbed(keys[i], pk) && j !== null)
          j.push(UNDO_ADDED, tree, keys[i], pk);
      }
    }
    const seqBefore = state.seq;
    noteKey(state, pk);
    if (j !== null && state.seq !== seqBefore) j.push(UNDO_SEQ, state, seqBefore, undefined);
    txn.rowLocations.push(location);
    // Measured (storage/heap-bytes.ts) only if the row cache takes the row at commit. A large
    // transaction keeps only its first rows decoded (txnRowPolicy): the rest are read back from
    // their bytes.
    txn.rowEntries.push(
      txn.rowEntries.length < txnRowPolicy.keptRows
        ? { collectionId: state.meta.id, row, bytes: -1 }
        : UNKEPT_ROW,
    );
    return previous === undefined ? 'inserted' : 'replaced';
  }

  /** Delete the row with primary key `pk`; false when there is none. */
  deleteRow(state: CollectionState, pk: unknown): boolean {
    this.requireTxn();
    return this.deleteByPk(state, pk);
  }

  private deleteByPk(state: CollectionState, pk: unknown): boolean {
    const txn = this.requireTxn();
    const loc = state.pk.get(pk);
    if (loc === undefined) return false;
    this.unindex(state, this.readRow(loc), pk);
    state.pk.delete(pk);
    txn.journal?.push(UNDO_PK, state.pk, pk, loc);
    this.stage(txn, FrameKind.RECORD_DELETE, [state.meta.id, pk]);
    return true;
  }

  private unindex(state: CollectionState, stored: unknown[], pk: unknown): void {
    // A row older than an ADD COLUMN was indexed under the column's default.
    const row = rowOfState(state, stored);
    const j = this.txn?.journal ?? null;
    for (const ix of state.indexes) {
      const key = ix.accessor.get(row) ?? null;
      if (key === NOT_INDEXED) continue;
      if (ix.tree.delete(key, pk) && j !== null) j.push(UNDO_REMOVED, ix.tree, key, pk);
    }
  }

  /**
   * Replay of a RECORD_PUT: the same tree updates as putRow, without staging. While `replayBatch`
   * is set, index entries are held back and put in key order later (storage/replay-indexes.ts).
   */
  protected applyPut(state: CollectionState, row: unknown[], location: number): void {
    const pk = state.pkOf(row);
    const oldLoc = state.pk.get(pk);
    if (oldLoc !== undefined) this.unindexSuperseded(state, oldLoc, pk);
    state.pk.set(pk, location);
    const batch = this.replayBatch;
    for (const ix of state.indexes) {
      const key = ix.accessor.get(row) ?? null;
      if (key === NOT_INDEXED) continue;
      if (batch !== null) batch.add(ix, key, pk);
      else ix.tree.add(key, pk);
    }
    noteKey(state, pk);
  }

  /**
   * Replay of a RECORD_PUT whose record was not decoded (ReplayIndexBatch.addRow): its primary
   * key only; the index entries are read from the log when the batch needs them. `oldLoc`: where
   * the row it replaces is (the caller has looked it up), or undefined.
   */
  protected applyPutHeld(
    state: CollectionState,
    pk: unknown,
    location: number,
    oldLoc: number | undefined,
  ): void {
    if (oldLoc !== undefined) this.unindexSuperseded(state, oldLoc, pk);
    state.pk.set(pk, location);
    if (state.indexes.length > 0) (this.replayBatch as ReplayIndexBatch).addRow(state, location, pk);
    noteKey(state, pk);
  }

  /**
   * Run `scan` (a replay of log frames through applyCommitted) with index entries held back and
   * put into their trees in key order when it returns; `from` is where the replayed log starts.
   * `defer`: an unbuilt index takes its entries when first built (ReplayIndexBatch.finish), which
   * only an open may ask for, before any view of the indexes is out.
   */
  protected replayBatched<T>(from: number, scan: () => T, defer = false): T {
    const store = this.store;
    const batch = new ReplayIndexBatch(
      from,
      defer
        ? (state, locations, columns, visit) =>
            forEachRecordColumns(
              store,
              locations,
              columns,
              state.compiled.columnCount,
              state.compiled.storedColumnChecks,
              visit,
            )
        : null,
    );
    this.replayBatch = batch;
    try {
      const out = scan();
      batch.finish(defer);
      return out;
    } finally {
      this.replayBatch = null;
    }
  }

  protected applyDelete(state: CollectionState, pk: unknown): void {
    const loc = state.pk.get(pk);
    if (loc === undefined) return;
    this.unindexSuperseded(state, loc, pk);
    state.pk.delete(pk);
  }

  /**
   * Replay: remove the index entries of the row at `loc`, which the frame being replayed
   * supersedes. Its body is read only to find those entries and is never needed again, so an
   * unreadable one is not damage to the database (I9): the collection's indexes are marked for a
   * rebuild from its live rows when replay ends, and until then no longer maintained entry by entry.
   */
  private unindexSuperseded(state: CollectionState, loc: number, pk: unknown): void {
    if (state.indexes.length === 0 || this.staleIndexes.has(state.meta.id)) return;
    // A row replayed earlier may still have its entries held back: they go in first.
    if (this.replayBatch?.mayHold(loc)) this.replayBatch.flush();
    let row: unknown[];
    try {
      row = this.readRow(loc);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      this.staleIndexes.add(state.meta.id);
      return;
    }
    this.unindex(state, row, pk);
  }

  /**
   * End of replay: give every collection marked by unindexSuperseded fresh secondary indexes
   * built from its live rows. A live row that cannot be read is real damage and stays a
   * FormatError, as is a unique key held by two live rows (writes never let that happen).
   */
  protected rebuildStaleIndexes(): void {
    if (this.staleIndexes.size === 0) return;
    for (const id of this.staleIndexes) {
      const state = this.byId.get(id);
      if (!state) continue;
      const trees = state.indexes.map((ix) => newIndexTree(ix.def));
      const cur = state.pk.cursor();
      while (cur.next()) {
        const row = this.readRow(cur.value);
        state.indexes.forEach((ix, i) => {
          const key = ix.accessor.get(row) ?? null;
          if (key === NOT_INDEXED) return;
          if (ix.unique && !keyHasNull(key) && trees[i].get(key) !== undefined)
            throw corruptAt(cur.value, `row: its key in unique index ${ix.def.name} is held by another row`);
          trees[i].add(key, cur.key);
        });
      }
      state.indexes = state.indexes.map(
        (ix, i) => new IndexState(ix.def, ix.columns, trees[i], ix.sqlAccessor ?? undefined),
      );
      this.recoveryReport.rebuiltIndexes.push(state.name);
    }
    this.staleIndexes.clear();
    this.catalogGen++;
  }

  /**
   * SQLite advances an AUTOINCREMENT table's sequence to the key of a row it then skipped (OR
   * IGNORE, DO NOTHING) or turned into an update of another row (DO UPDATE on a unique index):
   * the key was allocated. No record carries that key, so a META frame does, for replay.
   */
  advanceSequence(state: CollectionState, pk: unknown): void {
    const txn = this.requireTxn();
    if (state.meta.schema.autoIncrement !== true) return;
    if (typeof pk !== 'number' && typeof pk !== 'bigint') return;
    if (state.seq !== null && state.seq >= pk) return;
    writeFrameEncoded(
      txn.staged,
      FrameKind.META,
      txn.id,
      { sequence: [state.meta.id, pk] },
      FRAME_FLAG_IGNORABLE,
    );
    txn.metaFrames++;
    txn.journal?.push(UNDO_SEQ, state, state.seq, undefined);
    noteKey(state, pk);
  }
}
