/**
 * Recovery must never cut the log below a point it has proven to be the end of the committed log,
 * and must not need the bodies of superseded rows (engine invariants I8 and I9):
 *
 *  - a superblock whose fields contradict each other or the file (forged, or written by a bug)
 *    is ignored like a torn one, so `autoTruncate` never trusts its replay offset;
 *  - damage in the middle of the log (committed transactions follow it) is refused, not cut;
 *  - an unreadable superseded row makes replay rebuild the collection's secondary indexes.
 *
 * The torn-tail behaviour these rules must not change is swept in recovery-torn-tail.test.ts.
 */
import * as fs from 'node:fs';
import { Database, FormatError } from '../../src/index';
import {
  FRAME_HEADER_SIZE as FRAME_HEADER,
  FrameKind,
  SUPERBLOCK_OFFSETS,
  SUPERBLOCK_SIZE,
} from '../../storage/format';
import { decodeSuperblock, encodeSuperblock } from '../../storage/header';
import type { Superblock } from '../../storage/header';
import { Engine } from '../../storage/engine';
import type { EngineOptions } from '../../storage/engine';
import type { ByteStore } from '../../storage/byte-store';
import { MemoryStore } from '../../storage/memory-store';
import { compareValues } from '../../storage/compare';
import { normalizeCollection } from '../../storage/schema/normalize';
import {
  ITEM_SCHEMA,
  canon,
  dumpState,
  listFrames,
  openBytes,
  putItem,
  setFrameTxnId,
} from '../helpers/engine-util';
import type { FrameInfo } from '../helpers/engine-util';
import { tmpDir } from '../helpers/tmp';

// ───────────────────────────── helpers ─────────────────────────────

/** The superblock in force (highest valid generation) and the slot offset it lives in. */
function currentSuperblock(bytes: Buffer): { sb: Superblock; at: number } {
  const found = SUPERBLOCK_OFFSETS.map((at: number) => ({
    at,
    sb: decodeSuperblock(bytes.subarray(at, at + SUPERBLOCK_SIZE)),
  }))
    .filter((s): s is { at: number; sb: Superblock } => s.sb !== null)
    .sort((a, b) => b.sb.generation - a.sb.generation);
  if (found.length === 0) throw new Error('no valid superblock');
  return found[0];
}

/** A copy of `bytes` whose current superblock is rewritten with `change` and a valid checksum. */
function forge(bytes: Buffer, change: (sb: Superblock) => Partial<Superblock>): Buffer {
  const out = Buffer.from(bytes);
  const { sb, at } = currentSuperblock(out);
  encodeSuperblock({ ...sb, ...change(sb) }).copy(out, at);
  return out;
}

/** A writer's autoTruncate open on a store: the state it sees and the bytes it leaves behind. */
function autoTruncateOpen(bytes: Buffer): { state: string; after: Buffer } {
  const store = new MemoryStore(Buffer.from(bytes));
  const engine = Engine.openStore(store, { recovery: 'autoTruncate' });
  const state = canon(dumpState(engine));
  engine.close();
  return { state, after: store.bytes() };
}

function flipBit(bytes: Buffer, at: number, bit = 0): Buffer {
  const out = Buffer.from(bytes);
  out[at] ^= 1 << bit;
  return out;
}

/** 300 rows over 30 transactions, a checkpoint after the first 150, then the rest. */
function checkpointedLog(): { bytes: Buffer; state: string; checkpoint: FrameInfo } {
  const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
  engine.begin();
  engine.registerCollection(ITEM_SCHEMA); // unique index on sku, non-unique on meta.tag
  engine.commit();
  for (let t = 0; t < 30; t++) {
    engine.begin();
    for (let i = 0; i < 10; i++) putItem(engine, t * 10 + i, `tag-${i % 3}`);
    engine.commit();
    if (t === 14) engine.checkpoint();
  }
  const bytes = engine.bytes();
  const state = canon(dumpState(engine));
  engine.close();
  const checkpoint = listFrames(bytes).find((f) => f.kind === FrameKind.CHECKPOINT);
  if (!checkpoint) throw new Error('no checkpoint frame');
  return { bytes, state, checkpoint };
}

// ───────────────────────────── defect 7: forged superblocks ─────────────────────────────

describe('a superblock whose fields disagree is not trusted', () => {
  const log = checkpointedLog();
  const frames = listFrames(log.bytes);
  const cpEnd = log.checkpoint.offset + FRAME_HEADER + log.checkpoint.length;
  const laterBegin = frames.filter((f) => f.kind === FrameKind.TXN_BEGIN && f.offset > cpEnd)[5].offset;
  const size = log.bytes.length;

  const variants: [string, (sb: Superblock) => Partial<Superblock>][] = [
    ['replayFrom at offset 1000 (inside a frame)', () => ({ replayFrom: 1000 })],
    ['replayFrom at a later transaction boundary', () => ({ replayFrom: laterBegin })],
    ['replayFrom past the end of the file', () => ({ replayFrom: size + 4096 })],
    ['replayFrom before the checkpoint', (sb) => ({ replayFrom: sb.checkpointOffset - 21 })],
    ['replayFrom at the start of the log', () => ({ replayFrom: 192 })],
    ['checkpointLength one byte short', (sb) => ({ checkpointLength: sb.checkpointLength - 1 })],
    [
      'checkpointLength and replayFrom both short by 100',
      (sb) => ({ checkpointLength: sb.checkpointLength - 100, replayFrom: sb.replayFrom - 100 }),
    ],
    [
      'checkpointLength and replayFrom both long by 21',
      (sb) => ({ checkpointLength: sb.checkpointLength + 21, replayFrom: sb.replayFrom + 21 }),
    ],
    ['checkpoint past the end of the file', () => ({ checkpointOffset: size + 10 })],
    ['checkpoint inside the superblocks', () => ({ checkpointOffset: 100 })],
    [
      'no checkpoint but replayFrom mid-log',
      () => ({ checkpointOffset: 0, checkpointLength: 0, replayFrom: 1000 }),
    ],
    [
      'no checkpoint but a checkpoint txn id',
      () => ({ checkpointOffset: 0, checkpointLength: 0, replayFrom: 192 }),
    ],
    ['replayFrom beyond 2^53', () => ({ replayFrom: 2 ** 60 })],
  ];

  test.each(variants)('%s: autoTruncate keeps every committed row', (_name, change) => {
    const forged = forge(log.bytes, change);
    const { state, after } = autoTruncateOpen(forged);
    expect(state).toBe(log.state);
    // Nothing committed was cut: the log is intact (a repair checkpoint may follow it).
    expect(after.length).toBeGreaterThanOrEqual(size);
    expect(after.subarray(192, size).equals(log.bytes.subarray(192, size))).toBe(true);
    // What the writer left opens strictly with the same rows.
    const again = openBytes(after, { recovery: 'strict' });
    expect(canon(dumpState(again))).toBe(log.state);
    again.close();
  });

  test.each(variants)('%s: strict falls back cleanly or refuses', (_name, change) => {
    const forged = forge(log.bytes, change);
    let engine: Engine | null = null;
    try {
      engine = openBytes(forged, { recovery: 'strict' });
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
    }
    if (engine) {
      expect(canon(dumpState(engine))).toBe(log.state);
      engine.close();
    }
  });

  test('a rejected superblock is reported and the other slot is used', () => {
    const forged = forge(log.bytes, () => ({ replayFrom: 1000 }));
    const engine = openBytes(forged, { readOnly: true, recovery: 'strict' });
    expect(engine.recoveryReport.rejectedSuperblocks).toEqual([currentSuperblock(log.bytes).at]);
    expect(canon(dumpState(engine))).toBe(log.state);
    engine.close();
  });

  test('a writer overwrites rejected slots, so the next open trusts both again', () => {
    for (const blankOther of [false, true]) {
      let bytes = forge(log.bytes, () => ({ replayFrom: 1000 }));
      if (blankOther) {
        const other = SUPERBLOCK_OFFSETS.find((at) => at !== currentSuperblock(log.bytes).at) ?? 0;
        bytes.fill(0, other, other + SUPERBLOCK_SIZE);
      }
      const store = new MemoryStore(bytes);
      Engine.openStore(store).close();
      bytes = store.bytes();
      const again = openBytes(bytes, { readOnly: true, recovery: 'strict' });
      expect(again.recoveryReport.rejectedSuperblocks).toEqual([]);
      expect(again.recoveryReport.usedCheckpoint).toBe(true);
      expect(canon(dumpState(again))).toBe(log.state);
      again.close();
    }
  });

  test('regression: a forged replayFrom no longer cuts a real file from 23 KB to 1000 bytes', () => {
    const tmp = tmpDir();
    try {
      const file = tmp.file();
      const db = Database.open(file);
      db.registerCollection(
        't',
        [
          { path: 'id', type: 'int64' },
          { path: 'v', type: 'string' },
        ],
        'id',
      );
      for (let i = 0; i < 300; i++) db.insert('t', { id: i, v: `value-${i}` });
      db.checkpoint();
      db.close();
      const original = fs.readFileSync(file);
      fs.writeFileSync(
        file,
        forge(original, () => ({ replayFrom: 1000 })),
      );

      const reopened = Database.open(file);
      expect(reopened.collection('t').count()).toBe(300);
      reopened.close();
      expect(fs.statSync(file).size).toBeGreaterThanOrEqual(original.length);
    } finally {
      tmp.cleanup();
    }
  });
});

// ───────────────────────────── defect 7: damage inside the log ─────────────────────────────

function openError(bytes: Buffer, opts: EngineOptions): unknown {
  try {
    openBytes(bytes, opts).close();
  } catch (err) {
    return err;
  }
  return null;
}

describe('damage with committed transactions after it is refused, not cut', () => {
  const log = checkpointedLog();
  const frames = listFrames(log.bytes);
  const lastBegin = frames.filter((f) => f.kind === FrameKind.TXN_BEGIN).pop();
  if (!lastBegin) throw new Error('no begin frame');
  const afterCheckpoint = frames.filter(
    (f) => f.offset > log.checkpoint.offset && f.offset < lastBegin.offset,
  );
  const record = afterCheckpoint.filter((f) => f.kind === FrameKind.RECORD_PUT)[12];

  function expectRefused(bytes: Buffer, damagedAt: number): void {
    const store = new MemoryStore(Buffer.from(bytes));
    let caught: unknown = null;
    try {
      Engine.openStore(store, { recovery: 'autoTruncate' }).close();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FormatError);
    const err = caught as FormatError;
    expect(err.code).toBe('CORRUPT');
    expect(err.message).toContain(`offset ${damagedAt}`);
    expect(err.message).toMatch(/salvage/i);
    // Not a byte was cut or rewritten.
    expect(store.bytes().equals(bytes)).toBe(true);
    const strict = openError(bytes, { recovery: 'strict' });
    expect(strict).toBeInstanceOf(FormatError);
    expect((strict as FormatError).code).toBe('CORRUPT');
  }

  test('a flipped bit in a record payload mid-log', () => {
    expectRefused(flipBit(log.bytes, record.offset + FRAME_HEADER + 3), record.offset);
  });

  test('a flipped bit in a record length field mid-log', () => {
    expectRefused(flipBit(log.bytes, record.offset + 1, 2), record.offset);
  });

  test('a flipped bit in a TXN_BEGIN and in a TXN_COMMIT mid-log', () => {
    const begin = afterCheckpoint.filter((f) => f.kind === FrameKind.TXN_BEGIN)[3];
    expectRefused(flipBit(log.bytes, begin.offset + 9), begin.offset);
    const commit = afterCheckpoint.filter((f) => f.kind === FrameKind.TXN_COMMIT)[3];
    expectRefused(flipBit(log.bytes, commit.offset + FRAME_HEADER), commit.offset);
  });

  test('a transaction with the wrong id mid-log (well-formed frames) is refused, not cut', () => {
    const bytes = Buffer.from(log.bytes);
    const victim = afterCheckpoint.filter((f) => f.kind === FrameKind.TXN_BEGIN)[4];
    for (const f of frames.filter((x) => x.txnId === victim.txnId))
      setFrameTxnId(bytes, f.offset, victim.txnId + 50);
    expectRefused(bytes, victim.offset);
  });

  test('a zeroed block mid-log is not mistaken for the reserved space at the end', () => {
    const bytes = Buffer.from(log.bytes);
    bytes.fill(0, record.offset, record.offset + 512);
    expectRefused(bytes, record.offset);
  });

  test('zero bytes where a transaction should begin mid-log are refused, not taken for reserved space', () => {
    const begin = afterCheckpoint.filter((f) => f.kind === FrameKind.TXN_BEGIN)[2];
    const bytes = Buffer.from(log.bytes);
    bytes.fill(0, begin.offset, begin.offset + 4096);
    expectRefused(bytes, begin.offset);
    // The salvage route reads the prefix in memory and says a committed transaction follows.
    const engine = openBytes(bytes, { readOnly: true, recovery: 'autoTruncate' });
    expect(engine.recoveryReport.committedAfter).toBeGreaterThan(begin.offset + 4096);
    expect(engine.recoveryReport.truncatedFrom).toBe(begin.offset);
    engine.close();
  });

  test('a damaged checkpoint whose superblock records a wrong length is not skipped into the middle of a frame', () => {
    // Both the checkpoint's bytes and its recorded length (with a matching replayFrom) are wrong.
    const bytes = forge(flipBit(log.bytes, log.checkpoint.offset + 40), (sb) => ({
      checkpointLength: sb.checkpointLength - 50,
      replayFrom: sb.replayFrom - 50,
    }));
    const store = new MemoryStore(Buffer.from(bytes));
    let state: string | null = null;
    try {
      const engine = Engine.openStore(store, { recovery: 'autoTruncate' });
      state = canon(dumpState(engine));
      engine.close();
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
    }
    // Either every committed row survives or the file is left untouched: never a cut.
    if (state !== null) expect(state).toBe(log.state);
    else expect(store.bytes().equals(bytes)).toBe(true);
  });

  test('a damaged frame before the checkpoint (full replay) is refused as well', () => {
    const early = frames.filter(
      (f) => f.kind === FrameKind.RECORD_PUT && f.offset < log.checkpoint.offset,
    )[5];
    // The checkpoint hides it unless the superblocks are lost too: blank both.
    const bytes = flipBit(log.bytes, early.offset + FRAME_HEADER + 2);
    bytes.fill(0, SUPERBLOCK_OFFSETS[0], SUPERBLOCK_OFFSETS[1] + SUPERBLOCK_SIZE);
    expectRefused(bytes, early.offset);
  });

  test('every bit flip in the transactions before the last is refused, never cut', () => {
    const start = log.checkpoint.offset + FRAME_HEADER + log.checkpoint.length;
    for (let at = start; at < lastBegin.offset; at += 11) {
      const bytes = flipBit(log.bytes, at, at % 8);
      const store = new MemoryStore(Buffer.from(bytes));
      expect(() => Engine.openStore(store, { recovery: 'autoTruncate' })).toThrow(FormatError);
      expect(store.bytes().length).toBe(bytes.length);
    }
  });

  test('a read-only autoTruncate open (the salvage path) reads the prefix and reports what follows', () => {
    const bytes = flipBit(log.bytes, record.offset + FRAME_HEADER + 3);
    const store = new MemoryStore(Buffer.from(bytes), true);
    const engine = Engine.openStore(store, { recovery: 'autoTruncate' });
    expect(engine.recoveryReport.committedAfter).not.toBeNull();
    expect(engine.recoveryReport.committedAfter ?? 0).toBeGreaterThan(record.offset);
    const rows = engine.collection('items')?.pk.toArrays().keys.length ?? 0;
    expect(rows).toBeGreaterThanOrEqual(150);
    expect(rows).toBeLessThan(300);
    engine.close();
    expect(store.bytes().equals(bytes)).toBe(true);
  });

  test('the salvage route in the playbook works on a real file', () => {
    const tmp = tmpDir();
    try {
      const file = tmp.file();
      const db = Database.open(file);
      db.registerCollection(
        't',
        [
          { path: 'id', type: 'int64' },
          { path: 'v', type: 'string' },
        ],
        'id',
      );
      for (let i = 0; i < 40; i++) db.insert('t', { id: i, v: `value-${i}` });
      const damagedAt = db.storage.fileSize;
      for (let i = 40; i < 60; i++) db.insert('t', { id: i, v: `value-${i}` });
      db.close();
      const bytes = fs.readFileSync(file);
      bytes[damagedAt + FRAME_HEADER + 30] ^= 0x01; // inside the 41st insert's row
      fs.writeFileSync(file, bytes);

      let refused: unknown = null;
      try {
        Database.open(file).close();
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(FormatError);
      expect((refused as FormatError).code).toBe('CORRUPT');
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);

      const copy = tmp.file();
      fs.copyFileSync(file, copy);
      const salvage = Database.open(copy, { readOnly: true, recovery: 'autoTruncate' });
      expect(salvage.storage.recoveryReport.committedAfter).toBeGreaterThan(damagedAt);
      expect(salvage.collection('t').count()).toBe(40);
      const salvaged = tmp.file();
      salvage.exportSnapshot(salvaged);
      salvage.close();
      expect(fs.readFileSync(copy).equals(bytes)).toBe(true);
      Database.restoreSnapshot(salvaged, file);
      const restored = Database.open(file, { readOnly: true, recovery: 'strict' });
      expect(restored.collection('t').count()).toBe(40);
      restored.close();
    } finally {
      tmp.cleanup();
    }
  });

  test('a torn tail after a checkpoint is still cut', () => {
    const cut = log.bytes.subarray(0, lastBegin.offset + 40);
    const { state, after } = autoTruncateOpen(Buffer.from(cut));
    expect(after.length).toBe(lastBegin.offset);
    const prefix = openBytes(log.bytes.subarray(0, lastBegin.offset), { recovery: 'strict' });
    expect(state).toBe(canon(dumpState(prefix)));
    prefix.close();
  });

  test('a torn tail followed by the zeros of reserved space is still cut', () => {
    const cut = Buffer.concat([log.bytes.subarray(0, lastBegin.offset + 60), Buffer.alloc(1 << 16)]);
    const { after } = autoTruncateOpen(cut);
    expect(after.length).toBe(lastBegin.offset);
  });
});

describe('a live writer appending during a read-only open is not taken for damage', () => {
  /** A read-only view of a file another process appends to: the append lands once the search starts. */
  class AppendingStore implements ByteStore {
    readonly readOnly = true;
    private fired = false;
    constructor(
      private readonly inner: MemoryStore,
      private readonly at: number,
      private readonly appended: Buffer,
    ) {}
    get size(): number {
      return this.inner.size;
    }
    readInto(target: Uint8Array, offset: number, length: number, position: number): number {
      if (!this.fired && position > this.at) {
        this.fired = true;
        this.inner.writeAt(this.appended, this.at);
      }
      return this.inner.readInto(target, offset, length, position);
    }
    writeAt(): void {
      throw new Error('read-only');
    }
    sync(): void {}
    truncate(): void {
      throw new Error('read-only');
    }
    close(): void {}
  }

  test('two commits written into the reserved zeros while a strict reader searches them', () => {
    const log = checkpointedLog();
    const writer = Engine.openMemory(log.bytes, { checkpointEveryBytes: 0 });
    for (let t = 0; t < 2; t++) {
      writer.begin();
      putItem(writer, 1000 + t, 'late');
      writer.commit();
    }
    const appended = writer.bytes().subarray(log.bytes.length);
    writer.close();
    const reserved = Buffer.concat([log.bytes, Buffer.alloc(1 << 16)]);
    const store = new AppendingStore(new MemoryStore(reserved), log.bytes.length, appended);
    const reader = Engine.openStore(store, { recovery: 'strict' });
    expect(canon(dumpState(reader))).toBe(log.state);
    expect(reader.recoveryReport.committedAfter).toBeNull();
    reader.close();
  });
});

// ───────────────────────────── defect 8: damaged superseded rows ─────────────────────────────

/** Every index's entries recomputed from the live rows (what a scan answers). */
function indexesFromScan(engine: Engine): string {
  const out: Record<string, unknown> = {};
  for (const name of engine.collectionNames()) {
    const state = engine.collection(name);
    if (!state) continue;
    const pk = state.pk.toArrays();
    for (const ix of state.indexes) {
      const entries = pk.values
        .map((loc, i) => [ix.accessor.get(engine.readRow(loc)) ?? null, pk.keys[i]] as const)
        .sort((a, b) => compareValues(a[0], b[0]) || compareValues(a[1], b[1]));
      out[ix.def.name] = { keys: entries.map((e) => e[0]), values: entries.map((e) => e[1]) };
    }
  }
  return canon(out);
}

function indexesInTrees(engine: Engine): string {
  const out: Record<string, unknown> = {};
  for (const name of engine.collectionNames()) {
    const state = engine.collection(name);
    if (!state) continue;
    for (const ix of state.indexes) out[ix.def.name] = ix.tree.toArrays();
  }
  return canon(out);
}

describe('an unreadable superseded row costs an index rebuild, not the file', () => {
  /** Rows 0..39 before a checkpoint; after it rows 0..9 replaced (new sku and tag) and 10..14 deleted. */
  function supersededLog(): { bytes: Buffer; state: string; old: Map<number, number> } {
    const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.registerCollection(ITEM_SCHEMA);
    engine.commit();
    const put = (id: number, sku: string, tag: string | null): void => {
      const state = engine.collection('items');
      if (!state) throw new Error('items collection missing');
      engine.putRow(state, state.compiled.toRow({ id, sku, qty: id, meta: { tag } }));
    };
    for (let t = 0; t < 4; t++) {
      engine.begin();
      for (let i = 0; i < 10; i++) put(t * 10 + i, `sku-${t * 10 + i}`, `tag-${i % 3}`);
      engine.commit();
    }
    const state = engine.collection('items');
    if (!state) throw new Error('items collection missing');
    const old = new Map<number, number>();
    for (let id = 0; id < 40; id++) old.set(id, state.pk.get(id) as number);
    engine.checkpoint();
    engine.begin();
    for (let id = 0; id < 10; id++) put(id, `new-sku-${id}`, id % 2 ? 'odd' : null);
    engine.commit();
    engine.begin();
    for (let id = 10; id < 15; id++) engine.deleteRow(state, id);
    engine.commit();
    const bytes = engine.bytes();
    const dumped = canon(dumpState(engine));
    engine.close();
    return { bytes, state: dumped, old };
  }

  const log = supersededLog();
  const damage = (ids: number[]): Buffer => {
    const bytes = Buffer.from(log.bytes);
    for (const id of ids) bytes[(log.old.get(id) as number) + FRAME_HEADER + 4] ^= 0x10;
    return bytes;
  };

  const modes: [string, EngineOptions][] = [
    ['writer, autoTruncate', { recovery: 'autoTruncate' }],
    ['writer, strict', { recovery: 'strict' }],
    ['read-only, strict', { readOnly: true, recovery: 'strict' }],
    ['read-only, autoTruncate', { readOnly: true, recovery: 'autoTruncate' }],
  ];

  test.each(modes)(
    'a replaced row and a deleted row flipped: opens (%s) with correct indexes',
    (_n, opts) => {
      const bytes = damage([3, 12]);
      const store = new MemoryStore(Buffer.from(bytes), opts.readOnly === true);
      const engine = Engine.openStore(store, opts);
      expect(engine.recoveryReport.rebuiltIndexes).toEqual(['items']);
      expect(canon(dumpState(engine))).toBe(log.state);
      expect(indexesInTrees(engine)).toBe(indexesFromScan(engine));
      const items = engine.collection('items');
      expect(items?.indexes.find((ix) => ix.unique)?.tree.get('sku-3')).toBeUndefined();
      expect(items?.indexes.find((ix) => ix.unique)?.tree.get('new-sku-3')).toBe(3);
      engine.close();
      if (opts.readOnly) expect(store.bytes().equals(bytes)).toBe(true);
    },
  );

  test('the writer persists the rebuilt indexes: the next open needs no rebuild', () => {
    const store = new MemoryStore(damage([3]));
    Engine.openStore(store).close();
    const again = Engine.openStore(new MemoryStore(store.bytes(), true), { recovery: 'strict' });
    expect(again.recoveryReport.rebuiltIndexes).toEqual([]);
    expect(canon(dumpState(again))).toBe(log.state);
    again.close();
  });

  test('a collection without secondary indexes never reads the superseded row at all', () => {
    const schema = normalizeCollection(
      'plain',
      [
        { path: 'id', type: 'int64' },
        { path: 'v', type: 'string' },
      ],
      'id',
    );
    const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.registerCollection(schema);
    const state = engine.collection('plain');
    if (!state) throw new Error('plain collection missing');
    engine.putRow(state, state.compiled.toRow({ id: 1, v: 'old' }));
    engine.commit();
    const oldLoc = state.pk.get(1) as number;
    engine.checkpoint();
    engine.begin();
    engine.putRow(state, state.compiled.toRow({ id: 1, v: 'new' }));
    engine.commit();
    const bytes = engine.bytes();
    engine.close();
    bytes[oldLoc + FRAME_HEADER + 3] ^= 0x01;
    const again = openBytes(bytes, { readOnly: true, recovery: 'strict' });
    expect(again.recoveryReport.rebuiltIndexes).toEqual([]);
    expect(canon(dumpState(again))).toBe(canon({ plain: { rows: [[1, 'new']], indexes: {} } }));
    again.close();
  });

  test('an index created after the checkpoint, before the damaged row was replaced, is rebuilt too', () => {
    const withQty = normalizeCollection(
      'items',
      [
        { path: 'id', type: 'int64' },
        { path: 'sku', type: 'string' },
        { path: 'qty', type: { optional: 'int64' } },
        { path: ['meta', 'tag'], type: { optional: 'string' } },
      ],
      'id',
      [
        { name: 'items_sku', path: 'sku', kind: 'unique' },
        { name: 'items_tag', path: 'meta.tag', kind: 'index' },
        { name: 'items_qty', path: 'qty', kind: 'index' },
      ],
    );
    const engine = Engine.openMemory(log.bytes, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.alterCollection(withQty);
    engine.commit();
    engine.begin();
    putItem(engine, 25, 'after-alter', 500);
    engine.commit();
    const bytes = engine.bytes();
    const expected = canon(dumpState(engine));
    engine.close();
    // Row 25 as written before the checkpoint: read by the index build when the ALTER replays.
    bytes[(log.old.get(25) as number) + FRAME_HEADER + 4] ^= 0x10;
    const again = openBytes(bytes, { readOnly: true, recovery: 'strict' });
    expect(again.recoveryReport.rebuiltIndexes).toEqual(['items']);
    expect(canon(dumpState(again))).toBe(expected);
    expect(indexesInTrees(again)).toBe(indexesFromScan(again));
    again.close();
  });

  test('an unreadable live row is still a FormatError when replay has to read it', () => {
    // Row 20 is live; with row 3 damaged the rebuild must read every live row.
    expect(() => openBytes(damage([3, 20]), { recovery: 'autoTruncate' })).toThrow(FormatError);
    // Alone, a damaged live row is found when it is read, as before.
    const engine = openBytes(damage([20]), { recovery: 'strict' });
    const loc = engine.collection('items')?.pk.get(20) as number;
    expect(() => engine.readRow(loc)).toThrow(FormatError);
    engine.close();
  });

  test('sweep: a flipped bit anywhere keeps every committed row, drops only a damaged last transaction, or is refused', () => {
    const lastBegin = listFrames(log.bytes)
      .filter((f) => f.kind === FrameKind.TXN_BEGIN)
      .pop();
    if (!lastBegin) throw new Error('no begin frame');
    const prefixEngine = openBytes(log.bytes.subarray(0, lastBegin.offset), { recovery: 'strict' });
    const prefix = canon(dumpState(prefixEngine));
    prefixEngine.close();
    const outcomes = { full: 0, prefix: 0, refused: 0, liveRowUnreadable: 0 };
    for (let at = 0; at < log.bytes.length; at += 5) {
      const bytes = flipBit(log.bytes, at, at % 8);
      const store = new MemoryStore(Buffer.from(bytes));
      let engine: Engine;
      try {
        engine = Engine.openStore(store, { recovery: 'autoTruncate' });
      } catch (err) {
        expect(err).toBeInstanceOf(FormatError);
        expect(store.bytes().equals(bytes)).toBe(true);
        outcomes.refused++;
        continue;
      }
      expect(store.size).toBeGreaterThanOrEqual(lastBegin.offset);
      let state: string | null = null;
      try {
        state = canon(dumpState(engine));
      } catch (err) {
        // A damaged live row: open does not read it; reading it is the FormatError.
        expect(err).toBeInstanceOf(FormatError);
        outcomes.liveRowUnreadable++;
      }
      engine.close();
      if (state === null) continue;
      if (state === log.state) {
        outcomes.full++;
      } else {
        expect(at).toBeGreaterThanOrEqual(lastBegin.offset);
        expect(state).toBe(prefix);
        outcomes.prefix++;
      }
    }
    // Every kind of outcome occurs, so the sweep exercises each path.
    expect(Math.min(...Object.values(outcomes))).toBeGreaterThan(0);
  });

  test('through the Database API on a real file: index queries equal a scan', () => {
    const tmp = tmpDir();
    try {
      const file = tmp.file();
      const db = Database.open(file);
      db.registerCollection(
        'users',
        [
          { path: 'id', type: 'int64' },
          { path: 'email', type: 'string' },
          { path: 'team', type: 'string' },
        ],
        'id',
        [
          { name: 'users_email', path: 'email', kind: 'unique' },
          { name: 'users_team', path: 'team', kind: 'index' },
        ],
      );
      for (let id = 0; id < 50; id++) db.insert('users', { id, email: `u${id}@a`, team: `t${id % 4}` });
      const oldLoc = db.storage.collection('users')?.pk.get(7) as number;
      db.checkpoint();
      db.insert('users', { id: 7, email: 'moved@a', team: 't9' });
      db.close();
      const bytes = fs.readFileSync(file);
      bytes[oldLoc + FRAME_HEADER + 5] ^= 0x04;
      fs.writeFileSync(file, bytes);

      for (const opts of [{ readOnly: true }, {}] as const) {
        const again = Database.open(file, opts);
        expect(again.storage.recoveryReport.rebuiltIndexes).toEqual(['users']);
        const all = again.collection('users').all();
        expect(all).toHaveLength(50);
        for (const team of ['t0', 't1', 't3', 't9']) {
          const viaIndex = again.collection('users').where('team', team).all();
          expect(viaIndex).toEqual(all.filter((r) => r.team === team));
        }
        expect(again.collection('users').where('email', 'u7@a').all()).toEqual([]);
        expect(again.collection('users').where('email', 'moved@a').all()).toHaveLength(1);
        again.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
