/**
 * The block cache behind point reads (storage/block-cache.ts): a block is read whole on its
 * second touch and serves later reads; nothing past the durable end or in block 0 is kept; a
 * live reader still sees rows appended after it cached their neighbours; a compaction (a new
 * file) empties it; and with a budget far below the file, reads at random stop reading whole
 * blocks once they do not pay back. Work is counted (blockCacheStats), not timed.
 */
import * as fs from 'node:fs';
import { connect, Database } from '../../src/index';
import { BLOCK_BYTES, blockCacheStats } from '../../storage/block-cache';
import { FRAME_HEADER_SIZE, FrameKind } from '../../storage/format';
import { FileStore } from '../../storage/file-store';
import { RowReader } from '../../storage/row-reader';
import { listFrames } from '../helpers/engine-util';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-blocks-');
afterAll(() => tmp.cleanup());

const snapshot = (): typeof blockCacheStats => ({ ...blockCacheStats });
const since = (before: typeof blockCacheStats): typeof blockCacheStats => ({
  hits: blockCacheStats.hits - before.hits,
  reads: blockCacheStats.reads - before.reads,
  firstTouches: blockCacheStats.firstTouches - before.firstTouches,
});

/** A file of `n` rows of ~200 bytes (about 150 per block), written and closed. */
function fileWith(n: number): string {
  const file = tmp.file();
  const conn = connect(file);
  try {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: n }, (_, k) => [k + 1, `row ${k + 1} `.padEnd(200, 'x')]),
    );
    conn.commit();
  } finally {
    conn.close();
  }
  return file;
}

test('a block is read on its second touch and serves the reads after it', () => {
  const file = fileWith(3000);
  const blocks = Math.ceil(fs.statSync(file).size / BLOCK_BYTES);
  const db = Database.open(file, { readOnly: true, cacheBytes: (blocks + 4) * BLOCK_BYTES });
  try {
    const before = snapshot();
    // One row per block (~150 rows apart): each block touched once, none read whole.
    for (let i = 1; i <= 3000; i += 400)
      expect(db.get('t', i)).toEqual({ id: i, body: `row ${i} `.padEnd(200, 'x') });
    const first = since(before);
    expect(first.reads).toBe(0);
    expect(first.firstTouches).toBeGreaterThan(0);
    // Every row, three times: each block read once at most; the decoded-row cache (same budget,
    // heavier rows) cannot hold them all, so later rounds decode rows from the blocks.
    const again = snapshot();
    for (let r = 0; r < 3; r++) for (let i = 1; i <= 3000; i++) expect(db.get('t', i)?.id).toBe(i);
    const after = since(again);
    expect(after.reads).toBeGreaterThan(0);
    expect(after.reads).toBeLessThanOrEqual(blocks);
    expect(after.hits).toBeGreaterThan(1000);
  } finally {
    db.close();
  }
});

test('rows appended after their neighbours were cached are read from the file', () => {
  const file = fileWith(500);
  // An open writer keeps zeros reserved past the end of the log (docs/format.md): the block
  // holding the log's end is whole in the file, but only its committed part may be kept.
  const writer = connect(file);
  const body = (i: number): string => (i > 500 ? `new ${i}` : `row ${i} `.padEnd(200, 'x'));
  try {
    const add = (from: number, to: number): void => {
      writer.cursor().executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: to - from + 1 }, (_, k) => [from + k, body(from + k)]),
      );
      writer.commit();
    };
    add(501, 510);
    const reader = Database.open(file, { readOnly: true, cacheBytes: 64 * BLOCK_BYTES });
    try {
      for (let r = 0; r < 3; r++)
        for (let i = 1; i <= 510; i++) expect(reader.get('t', i)?.body).toBe(body(i));
      add(511, 900);
      for (let r = 0; r < 3; r++)
        for (let i = 1; i <= 900; i++) expect(reader.get('t', i)?.body).toBe(body(i));
    } finally {
      reader.close();
    }
  } finally {
    writer.close();
  }
});

test('a block reaching past the durable end is never kept: bytes committed there later are read', () => {
  const file = fileWith(400);
  const bytes = fs.readFileSync(file);
  const puts = listFrames(bytes).filter((f) => f.kind === FrameKind.RECORD_PUT);
  // Two records in one block (not block 0): `b` stands for a commit still to come.
  const k = puts.findIndex(
    (f, i) =>
      i > 0 &&
      f.offset >= BLOCK_BYTES &&
      Math.floor(puts[i - 1].offset / BLOCK_BYTES) === Math.floor(f.offset / BLOCK_BYTES),
  );
  expect(k).toBeGreaterThan(0);
  const a = puts[k - 1];
  const b = puts[k];
  const frameOf = (f: typeof b): Buffer =>
    Buffer.from(bytes.subarray(f.offset, f.offset + FRAME_HEADER_SIZE + f.length));
  const committed = frameOf(b);
  const store = FileStore.open(file, false, false);
  try {
    // Before its commit, b's place holds zeros (reserved space).
    store.writeAt(Buffer.alloc(committed.length), b.offset);
    const src = { store, durableEnd: b.offset, staging: null, retired: [], schemaOf: () => undefined };
    const reader = new RowReader(src, 64 * BLOCK_BYTES);
    const read = (at: number): unknown[] => {
      reader.cache.clear();
      return reader.readRow(at);
    };
    const expectedA = read(a.offset);
    expect(read(a.offset)).toEqual(expectedA);
    expect(read(a.offset)).toEqual(expectedA);
    // The commit lands; the durable end moves past it.
    store.writeAt(committed, b.offset);
    src.durableEnd = b.offset + committed.length;
    const rowB = read(b.offset);
    expect(rowB[0]).toBe(k + 1);
    expect(read(b.offset)).toEqual(rowB);
  } finally {
    store.close();
  }
});

test('a compaction moves every row: the blocks of the old file are forgotten', () => {
  const file = fileWith(2000);
  const db = Database.open(file, { cacheBytes: 16 * BLOCK_BYTES });
  try {
    for (let r = 0; r < 3; r++) for (let i = 1; i <= 2000; i += 3) db.get('t', i);
    db.transaction(() => {
      for (let i = 1; i <= 2000; i += 2) db.delete('t', i);
    });
    db.compact();
    for (let r = 0; r < 3; r++)
      for (let i = 1; i <= 2000; i++) {
        const row = db.get('t', i);
        expect(row === null ? null : row.id).toBe(i % 2 === 1 ? null : i);
      }
  } finally {
    db.close();
  }
});

test('with a budget far below the file, random reads stop reading whole blocks', () => {
  const file = fileWith(20000);
  const blocks = Math.ceil(fs.statSync(file).size / BLOCK_BYTES);
  expect(blocks).toBeGreaterThan(100);
  const db = Database.open(file, { readOnly: true, cacheBytes: 4 * BLOCK_BYTES });
  try {
    let seed = 11;
    const rnd = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 2000; i++) db.get('t', 1 + Math.floor(rnd() * 20000));
    const before = snapshot();
    for (let i = 0; i < 20000; i++) db.get('t', 1 + Math.floor(rnd() * 20000));
    const d = since(before);
    // Every block was touched already; reading each whole again would be ~20,000 block reads.
    // Credits allow one block read per four hits (plus what was banked before).
    expect(d.reads).toBeLessThan(d.hits / 4 + 40);
    expect(d.reads).toBeLessThan(2000);
  } finally {
    db.close();
  }
});
