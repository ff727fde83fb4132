/**
 * Corruption scenarios at the tail of the log (engine invariants I2 and I6): every cut and every
 * bit flip in the last transaction either opens with exactly a committed prefix (autoTruncate)
 * or is refused with FormatError (strict); nothing else is ever thrown.
 */
import { FormatError } from '../../src/errors';
import { MemoryStore } from '../../storage/memory-store';
import { Engine } from '../../storage/engine';
import { buildLog, canon, dumpState, openBytes, putItem, deleteItem } from '../helpers/engine-util';
import type { BuiltLog } from '../helpers/engine-util';

function expectedStateAt(log: BuiltLog, cut: number): { state: string; clean: boolean } {
  let k = 0;
  while (k + 1 < log.boundaries.length && log.boundaries[k + 1] <= cut) k++;
  return { state: log.states[k], clean: log.boundaries[k] === cut };
}

function bigLastTxnLog(): BuiltLog {
  const txns = [
    (e: Engine) => {
      for (let i = 0; i < 20; i++) putItem(e, i, i % 2 ? 'odd' : 'even');
    },
    (e: Engine) => {
      deleteItem(e, 3);
      putItem(e, 4, 'changed');
    },
    // The last transaction spans more than 4 KiB so every cut lands inside transactions.
    (e: Engine) => {
      for (let i = 100; i < 200; i++) putItem(e, i, `tag-${i}-${'x'.repeat(40)}`);
    },
  ];
  return buildLog(txns);
}

describe('torn tail sweep', () => {
  const log = bigLastTxnLog();
  const size = log.bytes.length;

  test('the last transaction is larger than the swept window', () => {
    expect(size - log.boundaries[log.boundaries.length - 2]).toBeGreaterThan(4096);
  });

  test('cut at every byte offset of the last 4 KiB', () => {
    for (let cut = size - 4096; cut < size; cut++) {
      const bytes = log.bytes.subarray(0, cut);
      const { state, clean } = expectedStateAt(log, cut);
      // strict: refuses unless the cut falls exactly on a commit boundary.
      let strictError: unknown = null;
      try {
        openBytes(bytes, { recovery: 'strict' }).close();
      } catch (err) {
        strictError = err;
      }
      if (clean) expect(strictError).toBeNull();
      else expect(strictError).toBeInstanceOf(FormatError);

      const store = new MemoryStore(bytes);
      const engine = Engine.openStore(store, { recovery: 'autoTruncate' });
      expect(canon(dumpState(engine))).toBe(state);
      engine.close();
      // The damaged tail was cut: reopening strictly now succeeds with the same state.
      const again = openBytes(store.bytes(), { recovery: 'strict' });
      expect(canon(dumpState(again))).toBe(state);
      again.close();
    }
  });

  test('bit flips in the last transaction: strict refuses, autoTruncate drops only that transaction', () => {
    const lastStart = log.boundaries[log.boundaries.length - 2];
    const prefix = log.states[log.states.length - 2];
    for (let at = lastStart; at < size; at += 7) {
      for (const bit of [0, 3, 7]) {
        const bytes = Buffer.from(log.bytes);
        bytes[at] ^= 1 << bit;
        expect(() => openBytes(bytes, { recovery: 'strict' })).toThrow(FormatError);
        const engine = openBytes(bytes, { recovery: 'autoTruncate' });
        expect(canon(dumpState(engine))).toBe(prefix);
        engine.close();
      }
    }
  });

  test('a read-only open with autoTruncate recovers in memory and never writes', () => {
    const cut = size - 100;
    const bytes = Buffer.from(log.bytes.subarray(0, cut));
    const store = new MemoryStore(bytes, true);
    const engine = Engine.openStore(store, { recovery: 'autoTruncate' });
    expect(canon(dumpState(engine))).toBe(expectedStateAt(log, cut).state);
    engine.close();
    expect(store.bytes().equals(bytes)).toBe(true);
  });
});
