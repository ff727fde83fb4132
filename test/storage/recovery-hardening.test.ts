/**
 * Recovery must never cut the log below a point it has proven to be the end of the committed log
 * (engine invariant I7): a superblock whose fields contradict each other or the file (forged, or
 * written by a bug) is ignored like a torn one, so `autoTruncate` never trusts its replay offset.
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
import { MemoryStore } from '../../storage/memory-store';
import { ITEM_SCHEMA, canon, dumpState, listFrames, openBytes, putItem } from '../helpers/engine-util';
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
