/**
 * Property: for random operation sequences, (live state) = (reopen with checkpoint + tail) =
 * (reopen by full replay) = (replaying again), and a rolled-back transaction leaves nothing.
 */
import fc from 'fast-check';
import { Engine } from '../../storage/engine';
import { IntegrityError } from '../../src/errors';
import { ITEM_SCHEMA, canon, deleteItem, dumpState, openBytes, putItem } from '../helpers/engine-util';

type Op =
  | { t: 'put'; id: number; tag: string | null; qty: number | null }
  | { t: 'del'; id: number }
  | { t: 'dupSku'; id: number }
  | { t: 'commit' }
  | { t: 'rollback' }
  | { t: 'checkpoint' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('put' as const),
      id: fc.integer({ min: 0, max: 30 }),
      tag: fc.option(fc.constantFrom('a', 'b', 'c')),
      qty: fc.option(fc.integer({ min: -5, max: 5 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('del' as const), id: fc.integer({ min: 0, max: 30 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('dupSku' as const), id: fc.integer({ min: 0, max: 30 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'rollback' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
);

function run(ops: Op[], withCheckpoints: boolean): Engine {
  const engine = Engine.openMemory();
  engine.begin();
  engine.registerCollection(ITEM_SCHEMA);
  engine.commit();
  const ensureTxn = (): void => {
    if (!engine.inTransaction) engine.begin();
  };
  for (const op of ops) {
    switch (op.t) {
      case 'put':
        ensureTxn();
        putItem(engine, op.id, op.tag, op.qty);
        break;
      case 'del':
        ensureTxn();
        deleteItem(engine, op.id);
        break;
      case 'dupSku': {
        // A row whose unique sku clashes with another id must be refused without a trace.
        ensureTxn();
        const state = engine.collection('items');
        if (!state) throw new Error('missing');
        const before = canon(dumpState(engine));
        const row = state.compiled.toRow({
          id: op.id + 100,
          sku: `sku-${op.id}`,
          qty: null,
          meta: { tag: null },
        });
        const existing = engine.getRow(state, op.id);
        if (existing) {
          expect(() => engine.putRow(state, row)).toThrow(IntegrityError);
          expect(canon(dumpState(engine))).toBe(before);
        }
        break;
      }
      case 'commit':
        if (engine.inTransaction) engine.commit();
        break;
      case 'rollback':
        if (engine.inTransaction) engine.rollback();
        break;
      case 'checkpoint':
        if (engine.inTransaction) engine.commit();
        if (withCheckpoints) engine.checkpoint();
        break;
    }
  }
  if (engine.inTransaction) engine.commit();
  return engine;
}

describe('replay properties', () => {
  test('checkpoint + tail replay = full replay = live state; replay is idempotent', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), (ops) => {
        const live = run(ops, true);
        const plain = run(ops, false);
        const liveState = canon(dumpState(live));
        expect(canon(dumpState(plain))).toBe(liveState);
        const fromCheckpoint = openBytes(live.bytes());
        const fullReplay = openBytes(plain.bytes());
        expect(canon(dumpState(fromCheckpoint))).toBe(liveState);
        expect(canon(dumpState(fullReplay))).toBe(liveState);
        const again = openBytes(fromCheckpoint.bytes());
        expect(canon(dumpState(again))).toBe(liveState);
        for (const e of [live, plain, fromCheckpoint, fullReplay, again]) e.close();
      }),
      { numRuns: 150, seed: 424242 },
    );
  });

  test('rollback restores exactly the state at begin', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 30, size: 'max' }),
        fc.array(opArb, { maxLength: 30, size: 'max' }),
        (before, during) => {
          const engine = run(before, false);
          const snapshot = canon(dumpState(engine));
          const size = engine.fileSize;
          engine.begin();
          for (const op of during) {
            if (op.t === 'put') putItem(engine, op.id, op.tag, op.qty);
            if (op.t === 'del') deleteItem(engine, op.id);
          }
          engine.rollback();
          expect(canon(dumpState(engine))).toBe(snapshot);
          expect(engine.fileSize).toBe(size);
          engine.close();
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });
});
