/**
 * A writer killed (SIGKILL) during a backfill or while registering schema versions: on reopen the
 * catalog holds a whole version (never a half-applied one), with every version's recorded time,
 * and every backfill batch whose progress was reported is there, each batch whole.
 */
import * as path from 'node:path';
import { Database } from '../../src/index';
import { startChild } from '../helpers/children';
import { tmpDir } from '../helpers/tmp';

const CHILD = path.join(__dirname, '..', 'helpers', 'migrate-child.js');
const tmp = tmpDir('mv-migrate-crash-');
afterAll(() => tmp.cleanup());

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  {
    path: 'profile',
    type: {
      object: [
        { path: 'tz', type: 'string' as const },
        { path: 'lang', type: { optional: 'string' as const } },
      ],
    },
  },
];

function seed(file: string, rows: number): void {
  const db = Database.open(file);
  db.registerCollection('users', FIELDS, 'id', [{ name: 'users_lang', path: 'profile.lang', kind: 'index' }]);
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) db.insert('users', { id: i, profile: { tz: 'UTC' } });
  });
  db.close();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test.each([0, 15, 40])('backfill killed %i ms after its first batch keeps whole batches', async (delay) => {
  const file = tmp.file();
  seed(file, 2000);
  const child = startChild(CHILD, ['backfill', file]);
  await child.waitFor('B ');
  await sleep(delay);
  await child.kill();
  const reported = Math.max(...[...child.output().matchAll(/B (\d+)/g)].map((m) => Number(m[1])));
  const db = Database.open(file);
  try {
    const rows = db.collection('users').all() as { id: number; profile: { lang: string | null } }[];
    const filled = rows.filter((r) => r.profile.lang !== null);
    expect(filled.every((r) => r.profile.lang === `lang-${r.id}`)).toBe(true);
    expect(filled.length).toBeGreaterThanOrEqual(reported);
    expect(filled.length % 50 === 0 || filled.length === 2000).toBe(true);
    // The index agrees with the rows, and a rerun finishes the job.
    expect(db.collection('users').where('profile.lang', 'isNotNull').count()).toBe(filled.length);
    expect(db.backfill('users', 'profile.lang', (r: Record<string, unknown>) => `lang-${String(r.id)}`)).toBe(
      2000 - filled.length,
    );
    expect(db.collection('users').where('profile.lang', 'isNull').count()).toBe(0);
  } finally {
    db.close();
  }
});

test('registering versions killed midway leaves a whole version in the catalog, each with its time', async () => {
  const file = tmp.file();
  const start = Date.now();
  seed(file, 200);
  const child = startChild(CHILD, ['versions', file]);
  await child.waitFor('V 5');
  await child.kill();
  const reported = Math.max(...[...child.output().matchAll(/V (\d+)/g)].map((m) => Number(m[1])));
  const db = Database.open(file);
  try {
    const state = db.storage.collection('users');
    const version = state?.meta.version ?? 0;
    expect(version).toBeGreaterThanOrEqual(reported);
    // Version v has the two base fields and one added field per version after the first.
    expect(state?.meta.schema.fields.length).toBe(2 + (version - 1));
    expect(db.collection('users').count()).toBe(200);
    expect(db.get('users', 7)).toMatchObject({ id: 7, profile: { tz: 'UTC', lang: null } });
    // Replay restored every version's record: the seed's create, then one compatible version each.
    const versions = db.schemaVersions('users');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: version }, (_x, i) => i + 1));
    expect(versions.map((v) => v.change)).toEqual([
      'create',
      ...Array<string>(version - 1).fill('compatible'),
    ]);
    const times = versions.map((v) => v.time?.getTime() ?? NaN);
    expect(times.every((t, i) => t >= (i === 0 ? start : times[i - 1]) && t <= Date.now())).toBe(true);
  } finally {
    db.close();
  }
});
