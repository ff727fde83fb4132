/**
 * Regression (issue 11, item 10): rows forged with valid checksums — a bigint timestamp, a number
 * stored as bytes, a string where a list belongs, a row longer than its schema — reached the row
 * converters and threw raw TypeErrors/RangeErrors or silently read as `Invalid Date`. Every
 * decoded value is now checked against the schema: a mismatch is FormatError CORRUPT. A forged
 * checkpoint whose primary-key or index arrays are out of order, point past the checkpoint, or
 * disagree in count with the primary key is refused the same way.
 */
import { Database, FormatError } from '../../src/index';
import type { FieldDescriptor } from '../../src/index';
import { compileStoredCheck } from '../../storage/schema/stored-check';
import { decodePayload } from '../../storage/codec';
import { FRAME_HEADER_SIZE, FrameKind } from '../../storage/format';
import { loadCheckpoint } from '../../storage/checkpoint';
import { MemoryStore } from '../../storage/memory-store';
import { listFrames } from '../helpers/engine-util';

const FIELDS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'ts', type: 'timestamp' },
  { path: 'b', type: { optional: 'bytes' } },
  { path: 'tags', type: { list: 'string' } },
  { path: 'o', type: { optional: { object: [{ path: 'k', type: 'uint64' }] } } },
];

const GOOD = [1, 1_700_000_000_000, null, ['a'], null];

/** A file whose row 1 is `row`, written straight through the engine (no validation), then reopened. */
function forged(row: unknown[], checkpoint = false): Database {
  const db = Database.openInMemory();
  db.registerCollection('c', FIELDS, 'id', [{ name: 'c_ts', path: 'ts', kind: 'index' }]);
  db.insert('c', { id: 0, ts: new Date(5), tags: [] });
  const engine = db.storage;
  const state = engine.collection('c');
  if (!state) throw new Error('no collection');
  engine.begin();
  engine.putRow(state, row);
  engine.commit();
  if (checkpoint) db.checkpoint();
  const bytes = engine.bytes();
  db.close();
  return Database.openSnapshotBytes(bytes);
}

/** The error from opening the forged file or reading row 1 from it (replay or a cold read). */
function readError(open: () => Database): unknown {
  let db: Database | null = null;
  try {
    db = open();
    db.collection('c').all();
    db.get('c', 1);
  } catch (e) {
    return e;
  } finally {
    db?.close();
  }
  return undefined;
}

describe('forged rows with valid checksums are FormatError CORRUPT', () => {
  test('a well-typed row written the same way reads back (the harness itself is sound)', () => {
    const db = forged(GOOD);
    expect(db.get('c', 1)).toEqual({ id: 1, ts: new Date(GOOD[1] as number), b: null, tags: ['a'], o: null });
    db.close();
  });

  test.each<[string, unknown[]]>([
    ['a bigint timestamp', [1, 2n ** 60n, null, ['a'], null]],
    ['a timestamp outside the Date range (Invalid Date)', [1, 1e300, null, ['a'], null]],
    ['a fractional timestamp', [1, 1.5, null, ['a'], null]],
    ['a number stored as bytes', [1, 5, 42, ['a'], null]],
    ['a string where a list belongs', [1, 5, null, 'abc', null]],
    ['a number inside a list of strings', [1, 5, null, ['a', 7], null]],
    ['a negative uint64 inside an object', [1, 5, null, [], [-1]]],
    ['an object value that is not an array', [1, 5, null, [], { k: 1 }]],
    ['null in a required column', [1, null, null, [], null]],
    ['a row longer than its schema', [1, 5, null, [], null, 'extra']],
    ['an unsafe integer stored as a number', [1, 5, null, [], [2 ** 60]]],
  ])('%s', (_name, row) => {
    for (const checkpoint of [false, true]) {
      const err = readError(() => forged(row, checkpoint));
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe('CORRUPT');
    }
  });
});

describe('stored-form checks', () => {
  test.each<[unknown, unknown, boolean]>([
    ['int64', 5, true],
    ['int64', 2n ** 62n, true],
    ['int64', 2n ** 63n, false],
    ['int64', 1.5, false],
    ['uint64', 2n ** 64n - 1n, true],
    ['uint64', -1, false],
    ['float64', 1.5, true],
    ['float64', 1n, false],
    ['string', 'x', true],
    ['string', Buffer.from('x'), false],
    ['bool', 0, false],
    [{ enum: ['a'] }, 'a', true],
    [{ optional: 'bytes' }, null, true],
    ['bytes', null, false],
    ['timestamp', -8.64e15, true],
    ['timestamp', 8.64e15 + 1, false],
  ])('%j accepts %p: %p', (type, value, ok) => {
    const t =
      typeof type === 'string'
        ? { kind: type }
        : 'enum' in (type as object)
          ? { kind: 'enum', values: ['a'] }
          : { kind: 'optional', of: { kind: 'bytes' } };
    expect(compileStoredCheck(t as never)(value)).toBe(ok);
  });
});

describe('forged checkpoints: cheap cross-checks', () => {
  type Coll = { pkKeys: unknown[]; pkLocs: number[]; indexes: { keys: unknown[]; pks: unknown[] }[] };

  /** A real checkpoint payload, rewritten as layout-1 arrays (easy to edit), and its offset. */
  function checkpointed(): { payload: Record<string, unknown>; offset: number } {
    const db = Database.openInMemory();
    db.registerCollection('c', FIELDS, 'id', [{ name: 'c_ts', path: 'ts', kind: 'index' }]);
    db.transaction(() => {
      for (let i = 0; i < 5; i++) db.insert('c', { id: i, ts: new Date(1000 - i), tags: [] });
    });
    db.checkpoint();
    const bytes = db.storage.bytes();
    db.close();
    const frame = listFrames(bytes)
      .filter((f) => f.kind === FrameKind.CHECKPOINT)
      .pop();
    if (!frame) throw new Error('no checkpoint');
    const start = frame.offset + FRAME_HEADER_SIZE;
    const payload = decodePayload(bytes.subarray(start, start + frame.length)) as Record<string, unknown>;
    // The file's own checkpoint is paged (layout 3): read its trees and store them as arrays.
    const loaded = loadCheckpoint(payload, frame.offset, new MemoryStore(bytes, true));
    payload.v = 1;
    (payload.collections as Record<string, unknown>[]).forEach((c, i) => {
      const state = loaded.collections[i];
      const pk = state.pk.toArrays();
      c.pkKeys = pk.keys;
      c.pkLocs = pk.values;
      delete c.pk;
      delete c.rows;
      c.indexes = state.indexes.map((ix) => {
        const arrays = ix.tree.toArrays();
        return { name: ix.def.name, keys: arrays.keys, pks: arrays.values };
      });
    });
    return { payload, offset: frame.offset };
  }

  test('the unedited checkpoint loads', () => {
    const { payload, offset } = checkpointed();
    expect(loadCheckpoint(payload, offset).collections).toHaveLength(1);
  });

  test.each<[string, (c: Coll) => void]>([
    ['primary keys out of order', (c) => c.pkKeys.reverse()],
    ['a duplicate primary key', (c) => (c.pkKeys[1] = c.pkKeys[0])],
    ['a row location past the checkpoint', (c) => (c.pkLocs[2] = 10 ** 9)],
    [
      'an index with fewer entries than rows',
      (c) => {
        c.indexes[0].keys.pop();
        c.indexes[0].pks.pop();
      },
    ],
    ['index entries out of order', (c) => c.indexes[0].keys.reverse()],
  ])('%s is FormatError CORRUPT', (_name, edit) => {
    const { payload, offset } = checkpointed();
    edit((payload.collections as Coll[])[0]);
    let err: unknown;
    try {
      loadCheckpoint(payload, offset);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('CORRUPT');
  });
});
