/**
 * Large transactions keep their first frames in a temporary file (storage/txn-spill.ts): the
 * staging buffer stops growing at 4 MiB, the database file is untouched until commit (I1), reads
 * inside the transaction see spilled rows, rollbacks to marks and savepoints on either side of
 * the spill point keep exactly the frames before them, and the file after commit is the same as
 * an in-memory engine's log of the same writes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../storage/engine';
import type { GrowableBuffer } from '../../storage/growable-buffer';
import { SPILL_AT } from '../../storage/txn-spill';
import { ITEM_SCHEMA, canon, dumpState, openBytes } from '../helpers/engine-util';

const NOTE = 'n'.repeat(200);

function put(engine: Engine, id: number, note = NOTE): void {
  const state = engine.collection('items');
  if (!state) throw new Error('items collection missing');
  engine.putRow(
    state,
    state.compiled.toRow({ id, sku: `sku-${id}-${note}`, qty: id, meta: { tag: `t${id % 7}` } }),
  );
}

/** The staging buffer's capacity (the engine's own, reused by every transaction). */
function stagingCapacity(engine: Engine): number {
  return (engine as unknown as { stagingBuffer: GrowableBuffer }).stagingBuffer.buf.length;
}

function withDir(run: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-spill-'));
  try {
    run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function create(file: string): Engine {
  const engine = Engine.openFile(file, { checkpointEveryBytes: 0 });
  engine.begin();
  engine.registerCollection(ITEM_SCHEMA);
  engine.commit();
  return engine;
}

/** ~230 bytes of log per row: this many rows stage about 5× SPILL_AT. */
const ROWS = Math.ceil((5 * SPILL_AT) / 230);

describe('transaction spill', () => {
  it('keeps the staging buffer at 4 MiB, leaves the file alone until commit, reads spilled rows', () => {
    withDir((dir) => {
      const file = path.join(dir, 'db.modelvault');
      const engine = create(file);
      const before = fs.readFileSync(file);
      engine.begin();
      for (let id = 1; id <= ROWS; id++) put(engine, id);
      expect(stagingCapacity(engine)).toBeLessThanOrEqual(4 << 20);
      // Nothing of the open transaction is in the file (I1), nor any file beside it.
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      const state = engine.collection('items');
      if (!state) throw new Error('items collection missing');
      // The first rows were spilled long ago; the last are still in the buffer.
      for (const id of [1, 2, Math.floor(ROWS / 2), ROWS]) {
        expect(engine.getRow(state, id)?.[0]).toBe(id);
      }
      engine.commit();
      expect(fs.readdirSync(dir).filter((n) => n.includes('spill'))).toEqual([]);
      const dumped = canon(dumpState(engine));
      engine.close();
      const reopened = Engine.openFile(file);
      expect(canon(dumpState(reopened))).toBe(dumped);
      expect(reopened.collection('items')?.pk.size).toBe(ROWS);
      reopened.close();
    });
  });

  it('rolls back to marks and savepoints before and after the spill point, as in memory', () => {
    withDir((dir) => {
      const file = path.join(dir, 'db.modelvault');
      const engine = create(file);
      // The same file in memory, where nothing spills: both append the same transaction.
      const start = fs.readFileSync(file);
      const memory = openBytes(start, { checkpointEveryBytes: 0 });
      const both = (f: (e: Engine) => void): void => {
        f(engine);
        f(memory);
      };
      both((e) => e.begin());
      both((e) => {
        for (let id = 1; id <= 100; id++) put(e, id);
      });
      // A savepoint while everything is still in memory, then past several spills.
      const early = [engine.savepoint(), memory.savepoint()];
      both((e) => {
        for (let id = 101; id <= ROWS; id++) put(e, id);
      });
      // A mark past the spill point, rolled back to: only rows after it go.
      const marks = [engine.mark(), memory.mark()];
      both((e) => {
        for (let id = ROWS + 1; id <= ROWS + 50; id++) put(e, id, 'x');
      });
      engine.rollbackToMark(marks[0]);
      memory.rollbackToMark(marks[1]);
      expect(canon(dumpState(engine))).toBe(canon(dumpState(memory)));
      // Back to the early savepoint: the spilled frames after it are dropped.
      engine.rollbackTo(early[0]);
      memory.rollbackTo(early[1]);
      expect(engine.getRow(engine.collection('items')!, 100)?.[0]).toBe(100);
      expect(engine.getRow(engine.collection('items')!, 101)).toBeUndefined();
      // Write past the spill point again (over the dropped frames), and commit.
      both((e) => {
        for (let id = 1000; id < 1000 + ROWS; id++) put(e, id, 'y'.repeat(180));
      });
      both((e) => e.commit());
      expect(canon(dumpState(engine))).toBe(canon(dumpState(memory)));
      // The log holds the frames the in-memory engine writes, byte for byte.
      const onDisk = fs.readFileSync(file);
      const mem = Buffer.from(memory.bytes());
      expect(mem.length).toBeGreaterThan(start.length + 4 * SPILL_AT);
      expect(onDisk.subarray(0, mem.length).equals(mem)).toBe(true);
      engine.close();
      expect(canon(dumpState(openBytes(fs.readFileSync(file))))).toBe(canon(dumpState(memory)));
    });
  });

  it('leaves no trace of a rolled-back spilled transaction', () => {
    withDir((dir) => {
      const file = path.join(dir, 'db.modelvault');
      const engine = create(file);
      const before = fs.readFileSync(file);
      engine.begin();
      for (let id = 1; id <= ROWS; id++) put(engine, id);
      engine.rollback();
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(dir).filter((n) => n.includes('spill'))).toEqual([]);
      engine.begin();
      put(engine, 7);
      engine.commit();
      engine.close();
      const reopened = Engine.openFile(file);
      expect(reopened.collection('items')?.pk.size).toBe(1);
      reopened.close();
    });
  });
});
