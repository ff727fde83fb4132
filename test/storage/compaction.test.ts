/** Compaction, snapshots and the checkpoint policy. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Database, LockError } from '../../src/index';
import type { Condition } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { listFrames } from '../helpers/engine-util';
import { FRAME_HEADER_SIZE, FrameKind } from '../../storage/format';
import { decodePayload } from '../../storage/codec';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'grp', type: { optional: 'string' as const } },
  { path: 'n', type: 'int64' as const },
  { path: ['meta', 'tag'], type: { optional: 'string' as const } },
];
const INDEXES = [
  { name: 'ix_grp', path: 'grp', kind: 'index' as const },
  { name: 'ix_n', path: 'n', kind: 'unique' as const },
];

function fill(db: Database, seed: number): void {
  db.registerCollection('items', FIELDS, 'id', INDEXES);
  const rows = fc.sample(
    fc.record({
      id: fc.integer({ min: 0, max: 300 }),
      grp: fc.option(fc.constantFrom('a', 'b', 'c')),
      tag: fc.option(fc.constantFrom('x', 'y')),
    }),
    { numRuns: 600, seed },
  );
  db.transaction(() => {
    rows.forEach((r, i) => db.insert('items', { id: r.id, grp: r.grp, n: i, meta: { tag: r.tag } }));
    for (let id = 0; id < 300; id += 7) db.delete('items', id);
  });
}

const queries: Condition[][] = [
  [],
  [{ path: 'grp', op: '=', value: 'a' }],
  [{ path: 'n', op: '>', value: 300 }],
  [{ path: 'meta.tag', op: 'isNull' }],
  [
    {
      or: [
        { path: 'grp', op: '=', value: 'b' },
        { path: 'id', op: '<', value: 50 },
      ],
    },
  ],
];

function answers(db: Database): unknown[] {
  return queries.map((q) => {
    let query = db.collection('items');
    for (const c of q) query = query.and(c);
    return query.orderBy('id').all();
  });
}

describe('compaction', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('property: every query answers the same before and after compact(), and the file shrinks', () => {
    const seeds = fc.sample(fc.integer({ min: 1, max: 1_000_000 }), { numRuns: 12, seed: 2026 });
    for (const seed of seeds) {
      const file = tmp.file();
      const db = Database.open(file);
      fill(db, seed);
      const before = answers(db);
      const sizeBefore = fs.statSync(file).size;
      db.compact();
      expect(answers(db)).toEqual(before);
      expect(fs.statSync(file).size).toBeLessThan(sizeBefore);
      db.insert('items', { id: 1000, grp: 'z', n: 10_000, meta: { tag: null } });
      db.close();
      const again = Database.open(file);
      expect(again.storage.recoveryReport.usedCheckpoint).toBe(true);
      expect(again.get('items', 1000)).not.toBeNull();
      expect(
        answers(again).map((a) => (a as unknown[]).filter((r) => (r as { id: number }).id !== 1000)),
      ).toEqual(before);
      again.close();
    }
  });

  test('a result set opened before compact() finishes with exactly its snapshot', () => {
    const file = tmp.file();
    const db = Database.open(file);
    fill(db, 5);
    const expected = db.collection('items').orderBy('id').all();
    const it = db.collection('items').orderBy('id').iterate();
    const got = [it.next().value, it.next().value];
    db.transaction(() => {
      for (let id = 0; id < 300; id += 2) db.delete('items', id);
    });
    db.compact();
    for (let r = it.next(); !r.done; r = it.next()) got.push(r.value);
    expect(got).toEqual(expected);
    expect(db.collection('items').count()).toBeLessThan(expected.length);
    db.close();
  });

  test('compactTo and exportSnapshot write an equivalent file; restoreSnapshot replaces a database', () => {
    const file = tmp.file();
    const db = Database.open(file);
    fill(db, 9);
    const expected = answers(db);
    const copy = tmp.file();
    db.exportSnapshot(copy);
    const other = Database.open(copy, { readOnly: true });
    expect(answers(other)).toEqual(expected);
    other.close();
    const victim = tmp.file();
    const v = Database.open(victim);
    v.registerCollection('other', [{ path: 'k', type: 'string' }], 'k');
    // Refused while a writer holds the destination.
    expect(() => Database.restoreSnapshot(copy, victim)).toThrow(LockError);
    v.close();
    Database.restoreSnapshot(copy, victim);
    const restored = Database.open(victim);
    expect(restored.collectionNames()).toEqual(['items']);
    expect(answers(restored)).toEqual(expected);
    restored.close();
    db.close();
  });

  test('snapshotBytes / openSnapshotBytes for in-memory databases', () => {
    const mem = Database.openInMemory();
    fill(mem, 4);
    const bytes = mem.snapshotBytes();
    const copy = Database.openSnapshotBytes(bytes);
    expect(answers(copy)).toEqual(answers(mem));
    copy.insert('items', { id: 5000, grp: null, n: 50_000, meta: { tag: null } });
    expect(mem.get('items', 5000)).toBeNull();
    const corrupt = Buffer.from(bytes);
    corrupt[corrupt.length - 5] ^= 0xff;
    expect(() => Database.openSnapshotBytes(corrupt)).toThrow();
    mem.close();
    copy.close();
  });

  test('automatic checkpoint after checkpointEveryBytes of log', () => {
    const file = tmp.file();
    const db = Database.open(file, { checkpointEveryBytes: 4096 });
    db.registerCollection('items', FIELDS, 'id', INDEXES);
    for (let i = 0; i < 200; i++)
      db.insert('items', { id: i, grp: 'a', n: i, meta: { tag: 'x'.repeat(20) } });
    // After every commit the log since the last checkpoint is below the spacing: checkpointEveryBytes,
    // or four times what the last checkpoint wrote (its PAGES and CHECKPOINT frames) if more.
    const frames = listFrames(db.storage.bytes());
    const last = frames.filter((f) => f.kind === FrameKind.CHECKPOINT).pop();
    if (!last) throw new Error('no automatic checkpoint');
    const pages = frames[frames.indexOf(last) - 1];
    const from = pages.kind === FrameKind.PAGES ? pages.offset : last.offset;
    const written = last.offset + FRAME_HEADER_SIZE + last.length - from;
    expect(db.storage.logBytesSinceCheckpoint).toBeLessThan(Math.max(4096, 4 * written));
    db.close();
    const again = Database.open(file);
    expect(again.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(again.collection('items').count()).toBe(200);
    again.close();
  });

  test('automatic checkpoints are spaced by at least 4x the last checkpoint, so superseded ones stay a small part of the file', () => {
    const db = Database.openInMemory({ checkpointEveryBytes: 1024 });
    db.registerCollection('items', FIELDS, 'id', INDEXES);
    for (let i = 0; i < 3000; i++) db.insert('items', { id: i, grp: `g${i % 7}`, n: i, meta: { tag: null } });
    const bytes = db.storage.bytes();
    const frames = listFrames(bytes);
    const checkpoints = frames.filter((f) => f.kind === FrameKind.CHECKPOINT);
    expect(checkpoints.length).toBeGreaterThan(3);
    for (let i = 1; i < checkpoints.length; i++) {
      const prev = checkpoints[i - 1];
      const logBetween = checkpoints[i].offset - (prev.offset + FRAME_HEADER_SIZE + prev.length);
      expect(logBetween).toBeGreaterThanOrEqual(Math.max(1024, 4 * (FRAME_HEADER_SIZE + prev.length)));
    }
    const checkpointBytes = checkpoints.reduce((sum, f) => sum + FRAME_HEADER_SIZE + f.length, 0);
    expect(checkpointBytes).toBeLessThan(bytes.length * 0.3);
    expect(db.collection('items').count()).toBe(3000);
    db.close();
  });

  test('a compacted file holds the rows and exactly one checkpoint, in layout 5 (paged, column pages, directory pages)', () => {
    const file = tmp.file();
    const db = Database.open(file, { checkpointEveryBytes: 2048 });
    fill(db, 5);
    db.compact();
    const frames = listFrames(fs.readFileSync(file));
    const checkpoints = frames.filter((f) => f.kind === FrameKind.CHECKPOINT);
    expect(checkpoints).toHaveLength(1);
    const bytes = fs.readFileSync(file);
    const at = checkpoints[0].offset + FRAME_HEADER_SIZE;
    expect(decodePayload(bytes.subarray(at, at + checkpoints[0].length))).toMatchObject({ v: 5 });
    // Its pages come in one PAGES frame right before it.
    expect(frames[frames.indexOf(checkpoints[0]) - 1].kind).toBe(FrameKind.PAGES);
    db.close();
  });

  test('SIGKILL during repeated compaction: 20 kill points, always the old or the new file, every acknowledged batch', async () => {
    const child = path.join(__dirname, '..', 'helpers', 'child-writer.js');
    const delays = fc.sample(fc.integer({ min: 1, max: 300 }), { numRuns: 20, seed: 77 });
    for (const delay of delays) {
      const file = tmp.file();
      const printed = await new Promise<number[]>((resolve, reject) => {
        const p = spawn(process.execPath, [child, 'compact', file], { stdio: ['ignore', 'pipe', 'pipe'] });
        const got: number[] = [];
        let timer: NodeJS.Timeout | null = null;
        let err = '';
        p.stdout.on('data', (chunk: Buffer) => {
          for (const line of chunk.toString().split('\n'))
            if (line.startsWith('C ')) got.push(Number(line.slice(2)));
          if (!timer && got.length) timer = setTimeout(() => p.kill('SIGKILL'), delay);
        });
        p.stderr.on('data', (c: Buffer) => (err += c.toString()));
        p.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(got) : reject(new Error(err))));
      });
      const db = Database.open(file, { readOnly: true, recovery: 'autoTruncate' });
      const last = Math.max(...printed);
      for (let batch = 1; batch <= last; batch++) {
        for (let i = 0; i < 20; i++) expect(db.get('items', batch * 20 + i)).not.toBeNull();
      }
      db.close();
    }
  }, 120_000);
});
