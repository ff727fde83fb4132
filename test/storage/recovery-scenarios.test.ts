/** Named recovery scenarios beyond plain truncation: id mismatches, orphans, damaged checkpoints and headers. */
import { FormatError } from '../../src/errors';
import { FrameKind, SUPERBLOCK_OFFSETS } from '../../storage/format';
import { Engine } from '../../storage/engine';
import {
  buildLog,
  canon,
  dumpState,
  frameBytes,
  listFrames,
  openBytes,
  putItem,
  setFrameTxnId,
} from '../helpers/engine-util';

const txns = [1, 2, 3].map((t) => (e: Engine) => {
  for (let i = 0; i < 5; i++) putItem(e, t * 10 + i, `t${t}`);
});

function refused(bytes: Buffer, code?: string): void {
  let caught: unknown = null;
  try {
    openBytes(bytes, { recovery: 'strict' });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FormatError);
  if (code) expect((caught as FormatError).code).toBe(code);
}

function recoversTo(bytes: Buffer, state: string): void {
  const engine = openBytes(bytes, { recovery: 'autoTruncate' });
  expect(canon(dumpState(engine))).toBe(state);
  engine.close();
}

describe('recovery scenarios', () => {
  const log = buildLog(txns);
  const lastState = log.states[log.states.length - 1];
  const prefixState = log.states[log.states.length - 2];

  test('clean log opens identically in both modes', () => {
    recoversTo(log.bytes, lastState);
    const strict = openBytes(log.bytes, { recovery: 'strict' });
    expect(canon(dumpState(strict))).toBe(lastState);
    strict.close();
  });

  test('transaction-id mismatch in the last transaction is cut off', () => {
    const bytes = Buffer.from(log.bytes);
    const frames = listFrames(bytes);
    const lastBegin = frames.filter((f) => f.kind === FrameKind.TXN_BEGIN).pop();
    if (!lastBegin) throw new Error('no begin frame');
    // Every frame of the last transaction gets a skipped-ahead id, so only the id sequence is wrong.
    for (const f of frames.filter((x) => x.txnId === lastBegin.txnId))
      setFrameTxnId(bytes, f.offset, lastBegin.txnId + 5);
    refused(bytes, 'CORRUPT');
    recoversTo(bytes, prefixState);
  });

  test('orphan commit marker after the last transaction is cut off', () => {
    const frames = listFrames(log.bytes);
    const lastId = Math.max(...frames.map((f) => f.txnId));
    const bytes = Buffer.concat([log.bytes, frameBytes(FrameKind.TXN_COMMIT, lastId + 1, 0)]);
    refused(bytes, 'CORRUPT');
    recoversTo(bytes, lastState);
  });

  test('transaction without a commit marker is cut off', () => {
    const frames = listFrames(log.bytes);
    const commit = frames[frames.length - 1];
    expect(commit.kind).toBe(FrameKind.TXN_COMMIT);
    const bytes = Buffer.from(log.bytes.subarray(0, commit.offset));
    refused(bytes, 'TORN_TAIL');
    recoversTo(bytes, prefixState);
  });

  test('a damaged checkpoint falls back to full replay (autoTruncate) or is refused (strict)', () => {
    const withCheckpoint = buildLog(txns, { checkpointAfter: 1 });
    const bytes = Buffer.from(withCheckpoint.bytes);
    const cp = listFrames(bytes).find((f) => f.kind === FrameKind.CHECKPOINT);
    if (!cp) throw new Error('no checkpoint frame');
    bytes[cp.offset + 30] ^= 0xff;
    refused(bytes, 'CORRUPT');
    recoversTo(bytes, withCheckpoint.states[withCheckpoint.states.length - 1]);
  });

  test('checkpoint + tail gives the same state as full replay', () => {
    const withCheckpoint = buildLog(txns, { checkpointAfter: 0 });
    const engine = openBytes(withCheckpoint.bytes);
    expect(engine.recoveryReport.usedCheckpoint).toBe(true);
    expect(canon(dumpState(engine))).toBe(lastState);
    engine.close();
  });

  test('a torn superblock slot falls back to the other slot', () => {
    const withCheckpoint = buildLog(txns, { checkpointAfter: 1 });
    const bytes = Buffer.from(withCheckpoint.bytes);
    // Generation 1 lives in slot B; tear it.
    bytes[SUPERBLOCK_OFFSETS[1] + 10] ^= 0xff;
    recoversTo(bytes, lastState);
  });

  test('bad magic, unknown major version and short files are FormatErrors', () => {
    const badMagic = Buffer.from(log.bytes);
    badMagic[0] = 0;
    refused(badMagic, 'BAD_MAGIC');
    expect(() => openBytes(badMagic, { recovery: 'autoTruncate' })).toThrow(FormatError);

    const newer = Buffer.from(log.bytes);
    newer.writeUInt16LE(2, 8);
    expect(() => openBytes(newer)).toThrow(FormatError);
    expect(() => openBytes(log.bytes.subarray(0, 100))).toThrow(FormatError);
    expect(() => openBytes(log.bytes.subarray(0, 30))).toThrow(FormatError);
  });

  test('unknown frame kind from a newer minor is refused unless flagged ignorable', () => {
    const unknown = Buffer.concat([log.bytes, frameBytes(42, 0, null)]);
    expect(() => openBytes(unknown, { recovery: 'autoTruncate' })).toThrow(FormatError);
  });

  test('replaying twice is idempotent', () => {
    const a = openBytes(log.bytes);
    const b = openBytes(a.bytes());
    expect(canon(dumpState(b))).toBe(canon(dumpState(a)));
    a.close();
    b.close();
  });
});
