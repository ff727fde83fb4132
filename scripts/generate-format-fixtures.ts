/**
 * Regenerates the golden files of the current format version under fixtures/format/v<major>.<minor>/:
 *   all-types.modelvault  every type, nested and multi-segment paths, indexes, deletes, replaces,
 *                         a checkpoint, and transactions after it (replayed from the tail)
 *   torn-tail.modelvault  the same with its last transaction cut in half
 *   expected.json         the rows the first file holds, in a JSON encoding of every type
 * Fixtures of released versions are never regenerated: tests open them with today's code.
 *   node dist/scripts/generate-format-fixtures.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from '../src/index';
import { FORMAT_MAJOR, FORMAT_MINOR } from '../storage/format';
import type { FieldDescriptor } from '../src/index';

export const FIXTURE_FIELDS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'flag', type: 'bool' },
  { path: 'big', type: 'int64' },
  { path: 'unsigned', type: 'uint64' },
  { path: 'ratio', type: 'float64' },
  { path: 'name', type: 'string', constraints: [{ maxLength: 40 }] },
  { path: 'blob', type: 'bytes' },
  { path: 'uid', type: 'uuid' },
  { path: 'at', type: 'timestamp' },
  { path: ['profile', 'timezone'], type: { optional: 'string' } },
  { path: 'tags', type: { list: 'string' } },
  {
    path: 'address',
    type: {
      object: [
        { path: 'city', type: 'string' },
        { path: 'zip', type: { optional: 'string' } },
      ],
    },
  },
  { path: 'status', type: { enum: ['active', 'banned'] } },
  // Since 1.5: a string field of three values, which checkpoints store as a DICT column.
  { path: 'tier', type: 'string' },
];

export function fixtureRow(i: number): Record<string, unknown> {
  return {
    id: i,
    flag: i % 2 === 0,
    big: 2n ** 60n + BigInt(i),
    unsigned: 2n ** 64n - 1n - BigInt(i),
    ratio: i / 8,
    name: `name-${i}-é😀`,
    blob: Buffer.from([i & 0xff, 0, 255]),
    uid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    at: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    profile: { timezone: i % 3 === 0 ? null : `Zone/${i}` },
    tags: i % 4 === 0 ? [] : ['t', `x${i}`],
    address: { city: i % 2 ? 'Oslo' : 'Lima', zip: i % 5 ? `${1000 + i}` : null },
    status: i % 7 === 0 ? 'banned' : 'active',
    tier: ['gold', 'silver', 'bronze'][i % 3],
  };
}

/** JSON-safe form of a row as get() returns it with safeIntegers. */
export function encodeRow(row: Record<string, unknown>): unknown {
  return JSON.parse(
    JSON.stringify(row, function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key];
      if (typeof raw === 'bigint') return { $bigint: raw.toString() };
      if (raw instanceof Date) return { $date: raw.toISOString() };
      if (Buffer.isBuffer(raw)) return { $bytes: raw.toString('hex') };
      return v;
    }),
  );
}

export function build(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'all-types.modelvault');
  for (const f of [file, `${file}.lock`]) fs.rmSync(f, { recursive: true, force: true });
  const db = Database.open(file, { safeIntegers: true, checkpointEveryBytes: 0 });
  db.registerCollection('users', FIXTURE_FIELDS, 'id', [
    { name: 'users_name', path: 'name', kind: 'unique' },
    { name: 'users_tz', path: 'profile.timezone', kind: 'index' },
    { name: 'users_city', path: 'address.city', kind: 'index' },
  ]);
  db.registerCollection(
    'notes',
    [
      { path: 'key', type: 'string' },
      { path: 'body', type: { optional: 'string' } },
    ],
    'key',
  );
  db.transaction(() => {
    for (let i = 1; i <= 30; i++) db.insert('users', fixtureRow(i));
  });
  db.delete('users', 3);
  db.insert('users', { ...fixtureRow(4), ratio: 99.5 });
  db.insert('notes', { key: 'a', body: 'before checkpoint' });
  db.checkpoint();
  db.transaction(() => {
    for (let i = 31; i <= 40; i++) db.insert('users', fixtureRow(i));
    db.delete('users', 10);
  });
  // Since 1.6: a light checkpoint, whose indexes lag behind the full one above (a delete, an
  // update of a row older than it, and inserts lie between them), then more log after it.
  db.insert(
    'users',
    { ...fixtureRow(5), name: 'renamed-5', address: { city: 'Quito', zip: null } },
    { onConflict: 'replace' },
  );
  if (!db.storage.checkpointLight()) throw new Error('the fixture needs a light checkpoint');
  db.delete('users', 6);
  db.insert('notes', { key: 'b', body: null });
  // The log's end, not the file's: a writer keeps reserved zeros past it while open (format 1.1).
  const size = db.storage.fileSize;
  db.insert('notes', { key: 'c', body: 'the torn transaction' });
  const expected = {
    users: db.collection('users').orderBy('id').all().map(encodeRow),
    notes: db.collection('notes').orderBy('key').all().map(encodeRow),
  };
  db.close();
  fs.rmSync(`${file}.lock`, { recursive: true, force: true });
  const full = fs.readFileSync(file);
  // Cut the last transaction (the insert of note 'c') in the middle.
  fs.writeFileSync(
    path.join(dir, 'torn-tail.modelvault'),
    full.subarray(0, size + Math.floor((full.length - size) / 2)),
  );
  fs.writeFileSync(
    path.join(dir, 'expected.json'),
    `${JSON.stringify({ committedSizeBeforeLastTxn: size, ...expected }, null, 1)}\n`,
  );
}

if (require.main === module) {
  const dir = path.join(__dirname, '..', '..', 'fixtures', 'format', `v${FORMAT_MAJOR}.${FORMAT_MINOR}`);
  build(dir);
  console.log(`wrote ${dir}`);
}
