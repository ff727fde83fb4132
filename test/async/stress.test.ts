/**
 * Stress: 8 concurrent async clients (4 typed handles, 4 DB-API connections) on one file do
 * transfers inside transactions that span awaits, inserts and reads for a while. Every read must
 * see a consistent committed state (the balances always sum to the starting total), and at the
 * end the file — read by the sync API — holds exactly what the clients committed.
 */
import { AsyncDatabase, connect, connectAsync } from '../../src/index';
import type { AsyncConnection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-stress-');
afterAll(() => tmp.cleanup());

const ACCOUNTS = 10;
const TOTAL = ACCOUNTS * 100;
const ROUNDS = 15;

/** A small deterministic generator so a failure replays the same way. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('8 concurrent async clients, mixed reads and writes, end consistent', async () => {
  const path = tmp.file();
  const setup = await connectAsync(path, { readers: 2 });
  await setup.execute('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
  await setup.execute('CREATE TABLE ev (id INTEGER PRIMARY KEY, who TEXT NOT NULL)');
  await setup.executeMany(
    'INSERT INTO acct VALUES (?, 100)',
    Array.from({ length: ACCOUNTS }, (_, i) => [i]),
  );
  await setup.commit();

  const dbs = await Promise.all([0, 1, 2, 3].map(() => AsyncDatabase.open(path)));
  const conns: AsyncConnection[] = await Promise.all([0, 1, 2, 3].map(() => connectAsync(path)));
  const inserted: number[] = [];
  const sums: number[] = [];

  const typedClient = async (db: AsyncDatabase, c: number): Promise<void> => {
    const rand = rng(c + 1);
    for (let i = 0; i < ROUNDS; i++) {
      const r = rand();
      if (r < 0.5) {
        const from = Math.floor(rand() * ACCOUNTS);
        const to = (from + 1 + Math.floor(rand() * (ACCOUNTS - 1))) % ACCOUNTS;
        const amount = 1 + Math.floor(rand() * 5);
        await db.transaction(async (tx) => {
          const a = (await tx.get('acct', from)) as { id: number; bal: number };
          await tick();
          const b = (await tx.get('acct', to)) as { id: number; bal: number };
          await tx.insert('acct', { id: from, bal: a.bal - amount });
          await tick();
          await tx.insert('acct', { id: to, bal: b.bal + amount });
        });
      } else if (r < 0.7) {
        const id = c * 1000 + i;
        await db.insert('ev', { id, who: `db${c}` });
        inserted.push(id);
      } else {
        const rows = (await db.collection('acct').all()) as { bal: number }[];
        sums.push(rows.reduce((s, row) => s + row.bal, 0));
      }
    }
  };

  const sqlClient = async (conn: AsyncConnection, c: number): Promise<void> => {
    const rand = rng(100 + c);
    for (let i = 0; i < ROUNDS; i++) {
      const r = rand();
      if (r < 0.45) {
        const from = Math.floor(rand() * ACCOUNTS);
        const to = (from + 1 + Math.floor(rand() * (ACCOUNTS - 1))) % ACCOUNTS;
        await conn.execute('UPDATE acct SET bal = bal - 3 WHERE id = ?', [from]);
        await tick();
        if (rand() < 0.2) {
          await conn.rollback();
          continue;
        }
        await conn.execute('UPDATE acct SET bal = bal + 3 WHERE id = ?', [to]);
        await conn.commit();
      } else if (r < 0.65) {
        const id = 500000 + c * 1000 + i;
        await conn.execute('INSERT INTO ev VALUES (?, ?)', [id, `conn${c}`]);
        await conn.commit();
        inserted.push(id);
      } else {
        const cur = await conn.execute('SELECT sum(bal), count(*) FROM acct');
        const [sum, n] = (await cur.fetchOne()) as [number, number];
        expect(n).toBe(ACCOUNTS);
        sums.push(sum);
      }
    }
  };

  try {
    await Promise.all([...dbs.map(typedClient), ...conns.map(sqlClient)]);
  } finally {
    await Promise.all([...dbs.map((d) => d.close()), ...conns.map((c) => c.close()), setup.close()]);
  }

  expect(sums.length).toBeGreaterThan(0);
  expect(sums.every((s) => s === TOTAL)).toBe(true);
  const sync = connect(path, { readOnly: true });
  try {
    expect(sync.cursor().execute('SELECT sum(bal) FROM acct').fetchOne()).toEqual([TOTAL]);
    const ids = sync
      .cursor()
      .execute('SELECT id FROM ev ORDER BY id')
      .fetchAll()
      .map((r) => (r as number[])[0]);
    expect(ids).toEqual([...inserted].sort((a, b) => a - b));
  } finally {
    sync.close();
  }
});
