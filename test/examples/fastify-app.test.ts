/**
 * The Fastify example (examples/fastify) through fastify.inject: CRUD, keyset pagination with
 * fetchMany, the streamed NDJSON export, concurrent transactional transfers (no lost update,
 * total preserved, an overdraft rolled back) and shutdown closing the database.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../examples/fastify/app';
import { Database } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-fastify-');
let app: FastifyInstance;
let path: string;

beforeAll(async () => {
  path = tmp.file();
  app = await buildApp({ path });
});

afterAll(async () => {
  await app.close();
  tmp.cleanup();
});

test('CRUD on books, with validation errors as 400', async () => {
  const created = await app.inject({
    method: 'POST',
    url: '/books',
    payload: { id: 1, title: 'Dune', year: 1965 },
  });
  expect(created.statusCode).toBe(201);
  const replaced = await app.inject({
    method: 'POST',
    url: '/books',
    payload: { id: 1, title: 'Dune', year: 1966 },
  });
  expect(replaced.statusCode).toBe(200);
  expect((await app.inject('/books/1')).json()).toEqual({ id: 1, title: 'Dune', year: 1966 });
  const bad = await app.inject({ method: 'POST', url: '/books', payload: { id: 2, title: '', year: 2000 } });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().field).toBe('title');
  expect((await app.inject({ method: 'DELETE', url: '/books/1' })).statusCode).toBe(204);
  expect((await app.inject('/books/1')).statusCode).toBe(404);
});

test('keyset pagination walks every book once; the NDJSON export streams them all', async () => {
  for (let id = 10; id < 55; id++)
    await app.inject({
      method: 'POST',
      url: '/books',
      payload: { id, title: `Book ${id}`, year: 1900 + id },
    });
  const seen: number[] = [];
  let after: number | null = -1;
  while (after !== null) {
    const page = (await app.inject(`/books?limit=10&after=${after}`)).json() as {
      items: { id: number }[];
      next: number | null;
    };
    seen.push(...page.items.map((b) => b.id));
    after = page.next;
  }
  expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => i + 10));
  const exported = await app.inject('/books.ndjson');
  expect(exported.headers['content-type']).toContain('application/x-ndjson');
  const lines = exported.body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: number; year: number });
  expect(lines.map((b) => b.id)).toEqual(seen);
  expect(lines[0]).toEqual({ id: 10, title: 'Book 10', year: 1910 });
});

test('concurrent transfers keep the total; an overdraft is refused and rolled back', async () => {
  await app.inject({ method: 'PUT', url: '/accounts/alice', payload: { balance: 100 } });
  await app.inject({ method: 'PUT', url: '/accounts/bob', payload: { balance: 100 } });
  const transfers = Array.from({ length: 20 }, (_, i) =>
    app.inject({
      method: 'POST',
      url: '/transfer',
      payload:
        i % 2 === 0 ? { from: 'alice', to: 'bob', amount: 7 } : { from: 'bob', to: 'alice', amount: 3 },
    }),
  );
  const results = await Promise.all(transfers);
  expect(results.every((r) => r.statusCode === 200)).toBe(true);
  const alice = (await app.inject('/accounts/alice')).json().balance as number;
  const bob = (await app.inject('/accounts/bob')).json().balance as number;
  expect(alice).toBe(100 - 10 * 7 + 10 * 3);
  expect(alice + bob).toBe(200);
  const over = await app.inject({
    method: 'POST',
    url: '/transfer',
    payload: { from: 'alice', to: 'bob', amount: 1000 },
  });
  expect(over.statusCode).toBe(409);
  expect((await app.inject('/accounts/alice')).json().balance).toBe(alice);
});

test('closing the app closes the database (the file is free for a sync writer)', async () => {
  const other = await buildApp({ path: tmp.file() });
  const file = tmp.file();
  const third = await buildApp({ path: file });
  await third.inject({ method: 'POST', url: '/books', payload: { id: 7, title: 'Kept', year: 2001 } });
  await third.close();
  await other.close();
  // The writer lock is released: a sync Database can open the file and sees the committed row.
  const sync = Database.open(file);
  try {
    expect(sync.get('books', 7)).toEqual({ id: 7, title: 'Kept', year: 2001 });
  } finally {
    sync.close();
  }
});
