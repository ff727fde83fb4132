/**
 * A small Fastify app on the async API: CRUD on books (typed API), a keyset-paginated listing
 * (DB-API cursor + fetchMany), an NDJSON export streamed with backpressure (cursor.stream()), a
 * transactional transfer that spans awaits (db.transaction), and a graceful shutdown that closes
 * the database. Engine work runs in worker threads, so request handling never blocks on it.
 */
import { Transform } from 'node:stream';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  AsyncDatabase,
  connectAsync,
  IntegrityError,
  ModelVaultError,
  OperationalError,
  ValidationError,
} from '../../src/index';

export interface AppOptions {
  /** Database file (':memory:' is not shared between the two handles below, so use a file). */
  path: string;
  logger?: boolean;
}

type Book = {
  id: number;
  title: string;
  year: number;
};

class InsufficientFunds extends Error {}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const db = await AsyncDatabase.open(opts.path);
  const names = await db.collectionNames();
  if (!names.includes('books'))
    await db.registerCollection(
      'books',
      [
        { path: 'id', type: 'int64' },
        { path: 'title', type: 'string', constraints: [{ nonEmpty: true }, { maxLength: 200 }] },
        { path: 'year', type: 'int64', constraints: [{ min: 0 }] },
      ],
      'id',
      [{ name: 'books_year', path: 'year', kind: 'index' }],
    );
  if (!names.includes('accounts'))
    await db.registerCollection(
      'accounts',
      [
        { path: 'id', type: 'string' },
        { path: 'balance', type: 'int64', constraints: [{ min: 0 }] },
      ],
      'id',
    );
  // The SQL side shares the file (and the worker pool) with `db`.
  const sql = await connectAsync(opts.path, { autocommit: true, rowMode: 'object' });

  const app = Fastify({ logger: opts.logger ?? false });
  app.addHook('onClose', async () => {
    await sql.close();
    await db.close();
  });

  app.setErrorHandler((err, _req, reply: FastifyReply) => {
    if (err instanceof InsufficientFunds) return reply.code(409).send({ error: err.message });
    if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, field: err.path });
    if (err instanceof IntegrityError) return reply.code(409).send({ error: err.message, code: err.code });
    if (err instanceof OperationalError && err.code === 'BUSY')
      return reply.code(503).send({ error: 'database busy, retry' });
    if (err instanceof ModelVaultError) return reply.code(400).send({ error: err.message, code: err.code });
    return reply.send(err);
  });

  app.post<{ Body: Book }>('/books', async (req, reply) => {
    const outcome = await db.insert('books', req.body);
    return reply.code(outcome === 'inserted' ? 201 : 200).send(req.body);
  });

  app.get<{ Params: { id: string } }>('/books/:id', async (req, reply) => {
    const book = await db.get('books', Number(req.params.id));
    return book ?? reply.code(404).send({ error: 'not found' });
  });

  app.delete<{ Params: { id: string } }>('/books/:id', async (req, reply) => {
    const gone = await db.delete('books', Number(req.params.id));
    return reply.code(gone ? 204 : 404).send();
  });

  // Keyset pagination: `after` is the last id of the previous page; one cursor, one fetchMany.
  app.get<{ Querystring: { after?: string; limit?: string } }>('/books', async (req) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 20) || 20, 1), 100);
    const after = Number(req.query.after ?? -1);
    const cur = await sql.execute('SELECT id, title, year FROM books WHERE id > ? ORDER BY id', [after]);
    try {
      const items = (await cur.fetchMany(limit)) as unknown as Book[];
      const more = (await cur.fetchOne()) !== null;
      return { items, next: more ? items[items.length - 1].id : null };
    } finally {
      await cur.close();
    }
  });

  // The whole table as NDJSON, streamed: rows leave the worker only as fast as the client reads.
  app.get('/books.ndjson', async (_req, reply) => {
    const cur = await sql.execute('SELECT id, title, year FROM books ORDER BY id');
    const lines = new Transform({
      writableObjectMode: true,
      transform(row: unknown, _enc, cb) {
        cb(null, `${JSON.stringify(row)}\n`);
      },
    });
    reply.type('application/x-ndjson');
    return reply.send(cur.stream(128).pipe(lines));
  });

  app.put<{ Params: { id: string }; Body: { balance: number } }>('/accounts/:id', async (req) => {
    await db.insert('accounts', { id: req.params.id, balance: req.body.balance });
    return { id: req.params.id, balance: req.body.balance };
  });

  app.get<{ Params: { id: string } }>('/accounts/:id', async (req, reply) => {
    return (await db.get('accounts', req.params.id)) ?? reply.code(404).send({ error: 'not found' });
  });

  // Read both balances, then write both, inside one transaction that spans the awaits: concurrent
  // transfers queue behind it instead of reading balances it is about to change.
  app.post<{ Body: { from: string; to: string; amount: number } }>('/transfer', async (req) => {
    const { from, to, amount } = req.body;
    return db.transaction(async (tx) => {
      const a = (await tx.get('accounts', from)) as { balance: number } | null;
      const b = (await tx.get('accounts', to)) as { balance: number } | null;
      if (!a || !b) throw new InsufficientFunds('unknown account');
      if (a.balance < amount) throw new InsufficientFunds(`balance of ${from} is below ${amount}`);
      await tx.insert('accounts', { id: from, balance: a.balance - amount });
      await tx.insert('accounts', { id: to, balance: b.balance + amount });
      return { from: a.balance - amount, to: b.balance + amount };
    });
  });

  return app;
}
