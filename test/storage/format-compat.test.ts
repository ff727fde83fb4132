/**
 * Format compatibility (docs/compatibility.md): the golden files of every format version open with today's
 * code, every row reads back exactly, they accept appends, a torn tail is handled per recovery
 * mode, and files from an unknown major version or with unknown mandatory frames are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, FormatError } from '../../src/index';
import { encodeRow } from '../../scripts/generate-format-fixtures';
import { crc32c } from '../../storage/crc32c';
import { frameBytes, listFrames } from '../helpers/engine-util';
import { FORMAT_MINOR, FRAME_HEADER_SIZE, FrameKind } from '../../storage/format';
import { decodePayload } from '../../storage/codec';
import { tmpDir } from '../helpers/tmp';

const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6'];
/** The (full) checkpoint layout each format version writes (docs/format.md §4). */
const LAYOUT: Record<string, number> = {
  '1.0': 1,
  '1.1': 2,
  '1.2': 5,
  '1.3': 5,
  '1.4': 5,
  '1.5': 5,
  '1.6': 5,
};
/** The version a file has after its first checkpoint: a file of 1.2 to 1.5 becomes 1.6 (§6). */
const AFTER_CHECKPOINT: Record<string, string> = {
  '1.0': '1.0',
  '1.1': '1.1',
  '1.2': '1.6',
  '1.3': '1.6',
  '1.4': '1.6',
  '1.5': '1.6',
  '1.6': '1.6',
};

describe.each(VERSIONS)('format %s fixtures', (version) => {
  const DIR = path.join(__dirname, '..', '..', 'fixtures', 'format', `v${version}`);
  const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
    users: unknown[];
    notes: unknown[];
  };
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());
  const copy = (name: string): string => {
    const dest = tmp.file(`${Date.now()}-${Math.random()}-${name}`);
    fs.copyFileSync(path.join(DIR, name), dest);
    return dest;
  };

  test('every row of all-types reads back exactly (checkpoint + tail), strictly', () => {
    const db = Database.open(copy('all-types.modelvault'), { readOnly: true, safeIntegers: true });
    expect(db.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(db.collection('users').orderBy('id').all().map(encodeRow)).toEqual(expected.users);
    expect(db.collection('notes').orderBy('key').all().map(encodeRow)).toEqual(expected.notes);
    expect(db.collection('users').where('address.city', 'Lima').explain()).toContain(
      'IndexLookup users using users_city',
    );
    db.close();
  });

  test('appending to a fixture and reopening keeps old and new rows', () => {
    const file = copy('all-types.modelvault');
    const db = Database.open(file, { safeIntegers: true });
    db.insert('notes', { key: 'new', body: 'appended by today' });
    db.delete('users', 1);
    db.close();
    const again = Database.open(file, { safeIntegers: true });
    expect(again.get('notes', 'new')).toEqual({ key: 'new', body: 'appended by today' });
    expect(again.get('users', 1)).toBeNull();
    expect(again.collection('users').count()).toBe(expected.users.length - 1);
    again.close();
  });

  test('a checkpoint written into the fixture uses the layout its version reads (1.2 to 1.5 become 1.6)', () => {
    const file = copy('all-types.modelvault');
    const db = Database.open(file, { safeIntegers: true });
    db.insert('notes', { key: 'cp', body: 'before a checkpoint' });
    db.storage.checkpoint();
    db.close();
    const bytes = fs.readFileSync(file);
    expect(`1.${bytes.readUInt16LE(10)}`).toBe(AFTER_CHECKPOINT[version]);
    const last = listFrames(bytes)
      .filter((f) => f.kind === FrameKind.CHECKPOINT)
      .pop();
    expect(last).toBeDefined();
    const at = (last?.offset ?? 0) + FRAME_HEADER_SIZE;
    const payload = decodePayload(bytes.subarray(at, at + (last?.length ?? 0)));
    expect(payload).toMatchObject({ v: LAYOUT[version] });
    const again = Database.open(file, { readOnly: true, recovery: 'strict', safeIntegers: true });
    expect(again.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(again.get('notes', 'cp')).toEqual({ key: 'cp', body: 'before a checkpoint' });
    expect(again.collection('users').orderBy('id').all().map(encodeRow)).toEqual(expected.users);
    again.close();
  });

  test('torn tail: strict refuses, autoTruncate opens the committed prefix', () => {
    const file = copy('torn-tail.modelvault');
    expect(() => Database.open(file, { readOnly: true, recovery: 'strict' })).toThrow(FormatError);
    const db = Database.open(file, { safeIntegers: true });
    expect(db.storage.recoveryReport.truncatedFrom).not.toBeNull();
    expect(db.collection('users').orderBy('id').all().map(encodeRow)).toEqual(expected.users);
    expect(db.collection('notes').orderBy('key').all().map(encodeRow)).toEqual(
      (expected.notes as { key: string }[]).filter((n) => n.key !== 'c'),
    );
    db.close();
  });

  test('compaction upgrades the fixture to the current format, paged checkpoint included', () => {
    const file = copy('all-types.modelvault');
    const db = Database.open(file, { safeIntegers: true });
    db.insert('notes', { key: 'up', body: 'before the upgrade' });
    db.compact();
    db.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.readUInt16LE(10)).toBe(FORMAT_MINOR);
    const frames = listFrames(bytes);
    expect(frames.some((f) => f.kind === FrameKind.PAGES)).toBe(true);
    const again = Database.open(file, { readOnly: true, recovery: 'strict', safeIntegers: true });
    expect(again.storage.recoveryReport.replayedTransactions).toBe(0);
    expect(again.collection('users').orderBy('id').all().map(encodeRow)).toEqual(expected.users);
    expect(again.get('notes', 'up')).toEqual({ key: 'up', body: 'before the upgrade' });
    expect(again.collection('users').where('address.city', 'Lima').count()).toBe(
      (expected.users as { address: { city: string } }[]).filter((u) => u.address.city === 'Lima').length,
    );
    again.close();
  });

  test('a newer minor in the header is refused with the versions named', () => {
    const file = copy('all-types.modelvault');
    const bytes = fs.readFileSync(file);
    bytes.writeUInt16LE(FORMAT_MINOR + 1, 10);
    bytes.writeUInt32LE(crc32c(bytes, 0, 60), 60);
    fs.writeFileSync(file, bytes);
    for (const opts of [{ readOnly: true }, {}]) {
      expect(() => Database.open(file, opts)).toThrow(
        expect.objectContaining({
          code: 'UNSUPPORTED_VERSION',
          message: expect.stringContaining(`1.${FORMAT_MINOR + 1} is newer`) as unknown,
        }),
      );
    }
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  test('an unknown major version is refused', () => {
    const file = copy('all-types.modelvault');
    const bytes = fs.readFileSync(file);
    bytes.writeUInt16LE(2, 8);
    bytes.writeUInt32LE(crc32c(bytes, 0, 60), 60);
    fs.writeFileSync(file, bytes);
    expect(() => Database.open(file, { readOnly: true })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }),
    );
  });

  test('a newer minor: unknown frame kinds are refused unless flagged ignorable', () => {
    const file = copy('all-types.modelvault');
    const base = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.concat([base, frameBytes(40, 0, 'future')]));
    expect(() => Database.open(file)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    const ignorable = frameBytes(41, 0, 'future');
    ignorable[5] = 1; // FRAME_FLAG_IGNORABLE
    ignorable.writeUInt32LE(crc32c(ignorable, 20, ignorable.length, crc32c(ignorable, 0, 16)), 16);
    fs.writeFileSync(file, Buffer.concat([base, ignorable]));
    const db = Database.open(file, { readOnly: true, safeIntegers: true });
    expect(db.collection('users').count()).toBe(expected.users.length);
    db.close();
  });
});

describe('format 1.6 fixture: a light checkpoint', () => {
  const DIR = path.join(__dirname, '..', '..', 'fixtures', 'format', 'v1.6');
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('its last checkpoint is light (layout 6) and names the full one before it; its indexes catch up', () => {
    const bytes = fs.readFileSync(path.join(DIR, 'all-types.modelvault'));
    const checkpoints = listFrames(bytes).filter((f) => f.kind === FrameKind.CHECKPOINT);
    expect(checkpoints).toHaveLength(2);
    const payloadOf = (f: { offset: number; length: number }): unknown =>
      decodePayload(bytes.subarray(f.offset + FRAME_HEADER_SIZE, f.offset + FRAME_HEADER_SIZE + f.length));
    expect(payloadOf(checkpoints[0])).toMatchObject({ v: 5 });
    expect(payloadOf(checkpoints[1])).toMatchObject({ v: 6, light: { at: checkpoints[0].offset } });
    const file = tmp.file('light.modelvault');
    fs.writeFileSync(file, bytes);
    const db = Database.open(file, { readOnly: true, recovery: 'strict', safeIntegers: true });
    try {
      // Between the two checkpoints: user 5 moved to Quito (an index entry replaced), 10 deleted.
      expect(
        db
          .collection('users')
          .where('address.city', 'Quito')
          .all()
          .map((u) => u.id),
      ).toEqual([5n]);
      expect(db.collection('users').where('name', 'renamed-5').count()).toBe(1);
      expect(db.collection('users').where('name', 'name-10-é😀').count()).toBe(0);
      expect(db.collection('users').where('name', 'name-35-é😀').count()).toBe(1);
    } finally {
      db.close();
    }
  });
});
