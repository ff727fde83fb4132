/**
 * A crash while a paged checkpoint is written (docs/format.md §4.2, §4.4): the PAGES and CHECKPOINT
 * frames go out in one append, synced before the superblock names them. Cutting that append at
 * every point (and stopping before the superblock write) must leave the previous state intact —
 * the previous checkpoint, whose pages the new one may point at again, plus the log after it.
 */
import { Engine } from '../../storage/engine';
import {
  FRAME_HEADER_SIZE,
  FrameKind,
  LOG_START,
  SUPERBLOCK_OFFSETS,
  SUPERBLOCK_SIZE,
} from '../../storage/format';
import { dirPolicy } from '../../storage/index-pages';
import { decodePayload } from '../../storage/codec';
import { ITEM_SCHEMA, deleteItem, dumpState, listFrames, openBytes, putItem } from '../helpers/engine-util';

function build(): { before: Buffer; after: Buffer; expected: unknown } {
  let engine = Engine.openMemory();
  engine.begin();
  engine.registerCollection(ITEM_SCHEMA);
  for (let i = 0; i < 1500; i++) putItem(engine, i, i % 3 === 0 ? 'a' : null);
  engine.commit();
  engine.checkpoint();
  // Reopened: the trees are paged now, so the next checkpoint can point at unchanged pages.
  const first = engine.bytes();
  engine.close();
  engine = openBytes(first);
  engine.begin();
  for (let i = 1500; i < 1600; i++) putItem(engine, i, 'b');
  for (let i = 0; i < 40; i++) deleteItem(engine, i * 7);
  engine.commit();
  const before = engine.bytes();
  const expected = dumpState(engine);
  engine.checkpoint();
  const after = engine.bytes();
  engine.close();
  return { before, after, expected };
}

describe.each([64, 2])('kill during a paged checkpoint, directory pages of %d pages', (entries) => {
  // At 2 the 1,600-row trees of four pages each keep their directories in directory pages
  // (layout 5, docs/format.md §4.4): the cuts then fall inside those too.
  const writerDefault = dirPolicy.entries;
  dirPolicy.entries = entries;
  const { before, after, expected } = build();
  afterAll(() => {
    dirPolicy.entries = writerDefault;
  });

  test('the second checkpoint writes new pages for what changed and points at the rest again', () => {
    const frames = listFrames(after).filter((f) => f.offset >= before.length);
    expect(frames.map((f) => f.kind)).toEqual([FrameKind.PAGES, FrameKind.CHECKPOINT]);
    const first = listFrames(before).find((f) => f.kind === FrameKind.PAGES);
    // Fewer page bytes than the first checkpoint wrote: unchanged pages are not written again.
    expect(frames[0].length).toBeLessThan(first?.length ?? 0);
    const at = frames[1].offset + FRAME_HEADER_SIZE;
    const payload = decodePayload(after.subarray(at, at + frames[1].length)) as {
      collections: { pk: unknown }[];
    };
    // Four pages: a directory as it is, or directory pages named by a root directory.
    expect(Array.isArray(payload.collections[0].pk)).toBe(entries >= 4);
    const reopened = openBytes(after, { readOnly: true, recovery: 'strict' });
    expect(reopened.recoveryReport.replayedTransactions).toBe(0);
    expect(dumpState(reopened)).toEqual(expected);
    reopened.close();
  });

  test('every cut of the append, and a stop before the superblock write, keeps the previous state', () => {
    const oldSuperblocks = before.subarray(SUPERBLOCK_OFFSETS[0], LOG_START);
    const end = after.length;
    const cuts: number[] = [];
    for (let at = before.length; at <= end; at += 331) cuts.push(at);
    cuts.push(before.length + FRAME_HEADER_SIZE - 1, end - 1, end);
    for (const cut of cuts) {
      const bytes = Buffer.from(after.subarray(0, cut));
      // The superblock of the new checkpoint is written only after the append is synced.
      oldSuperblocks.copy(bytes, SUPERBLOCK_OFFSETS[0], 0, 2 * SUPERBLOCK_SIZE);
      const engine = openBytes(bytes);
      expect(engine.recoveryReport.usedCheckpoint).toBe(true);
      expect(dumpState(engine)).toEqual(expected);
      // The writer that recovered goes on: its next checkpoint reopens strictly to the same state.
      engine.checkpoint();
      const again = openBytes(engine.bytes(), { readOnly: true, recovery: 'strict' });
      expect(dumpState(again)).toEqual(expected);
      again.close();
      engine.close();
    }
  });
});
