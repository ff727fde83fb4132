/**
 * `npm start`: a tour of ModelVault on an embedded file. Creates demo.modelvault in the current
 * directory (replacing an earlier one), writes typed rows, reads them back, survives a reopen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, IntegrityError, ValidationError } from '../src/index';

const file = path.resolve(process.argv[2] ?? 'demo.modelvault');
for (const f of [file, `${file}.lock`]) fs.rmSync(f, { recursive: true, force: true });

function log(what: string, value?: unknown): void {
  console.log(
    value === undefined
      ? what
      : `${what}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
  );
}

log(`Opening ${file}`);
let db = Database.open(file);
const ids = db.registerCollection(
  'books',
  [
    { path: 'id', type: 'int64' },
    { path: 'title', type: 'string', constraints: [{ nonEmpty: true }] },
    { path: 'year', type: 'int64', constraints: [{ min: 0 }] },
    { path: ['publisher', 'name'], type: { optional: 'string' } },
    { path: 'isbn', type: { optional: 'string' } },
  ],
  'id',
  [
    { name: 'books_isbn', path: 'isbn', kind: 'unique' },
    { name: 'books_publisher', path: 'publisher.name', kind: 'index' },
  ],
);
log('registered collection books', ids);

db.transaction(() => {
  db.insert('books', {
    id: 1,
    title: 'Dune',
    year: 1965,
    publisher: { name: 'Chilton' },
    isbn: '978-0441013593',
  });
  db.insert('books', {
    id: 2,
    title: 'Neuromancer',
    year: 1984,
    publisher: { name: 'Ace' },
    isbn: '978-0441569595',
  });
  db.insert('books', { id: 3, title: 'Hyperion', year: 1989, publisher: { name: 'Doubleday' }, isbn: null });
});
log('inserted 3 books in one transaction');
log('get(books, 2)', db.get('books', 2));

try {
  db.insert('books', { id: 4, title: '', year: 2000 });
} catch (err) {
  if (err instanceof ValidationError) log(`rejected invalid row (${err.code} at ${err.path})`, err.message);
}
try {
  db.insert('books', { id: 5, title: 'Copy', year: 2001, isbn: '978-0441013593' });
} catch (err) {
  if (err instanceof IntegrityError) log(`rejected duplicate isbn (${err.code})`, err.message);
}

db.checkpoint();
db.insert('books', { id: 4, title: 'Snow Crash', year: 1992, publisher: { name: 'Bantam' } });
db.delete('books', 3);
log('checkpointed, then inserted book 4 and deleted book 3');
db.close();

db = Database.open(file);
log('reopened; collections', db.collectionNames());
for (const id of [1, 2, 3, 4]) log(`get(books, ${id})`, db.get('books', id));
log('recovery', db.storage.recoveryReport);
db.close();
log(`done; file size ${fs.statSync(file).size} bytes`);
