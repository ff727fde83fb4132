/**
 * `npm start`: a tour of ModelVault's SQL driver on an embedded file. Creates demo.modelvault in
 * the current directory (replacing an earlier one), runs DDL/DML/SELECT through DB-API cursors,
 * streams with fetchMany, shows EXPLAIN, reopens the file and queries again, then uses the typed
 * API on the same data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, Database, IntegrityError } from '../src/index';

const file = path.resolve(process.argv[2] ?? 'demo.modelvault');
for (const f of [file, `${file}.lock`]) fs.rmSync(f, { recursive: true, force: true });

function show(label: string, value: unknown): void {
  console.log(
    `${label}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
  );
}

console.log(`Opening ${file} with connect()`);
let conn = connect(file);
const cur = conn.cursor();
cur.execute(`CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  year INTEGER CHECK (year >= 0),
  genre TEXT CHECK (genre IN ('sf', 'fantasy', 'crime')),
  price REAL
)`);
cur.execute('CREATE INDEX books_year ON books (year)');
cur.executeMany('INSERT INTO books (title, year, genre, price) VALUES (?, ?, ?, ?)', [
  ['Dune', 1965, 'sf', 9.99],
  ['Neuromancer', 1984, 'sf', 7.5],
  ['Hyperion', 1989, 'sf', 8.25],
  ['The Hobbit', 1937, 'fantasy', 6],
  ['Gaudy Night', 1935, 'crime', 5.5],
  ['Snow Crash', 1992, 'sf', 8],
]);
show('inserted rows', cur.rowCount);
show('last row id', cur.lastRowId);
conn.commit();
console.log('committed (fsynced)');

cur.execute('SELECT id, title, year FROM books WHERE year >= ? ORDER BY year DESC LIMIT 10', [1960]);
show(
  'description',
  cur.description?.map((d) => [d[0], d[1]]),
);
cur.arraySize = 2;
for (let batch = cur.fetchMany(); batch.length > 0; batch = cur.fetchMany()) show('fetchMany(2)', batch);

cur.execute('SELECT genre, COUNT(*) AS n, AVG(price) AS avg_price FROM books GROUP BY genre ORDER BY n DESC');
show('by genre', cur.fetchAll());

cur.execute('EXPLAIN SELECT title FROM books WHERE year BETWEEN 1980 AND 1990 ORDER BY year LIMIT 2');
console.log('plan:');
for (const [line] of cur.fetchAll() as string[][]) console.log(`  ${line}`);

try {
  cur.execute("INSERT INTO books (id, title, year, genre) VALUES (1, 'Duplicate', 2000, 'sf')");
} catch (err) {
  if (err instanceof IntegrityError) show(`rejected (${err.code})`, err.message);
}
conn.rollback();

cur.execute("UPDATE books SET price = price * 0.5 WHERE genre = 'sf'");
show('discounted', cur.rowCount);
cur.execute('DELETE FROM books WHERE year < ?', [1936]);
show('deleted', cur.rowCount);
conn.commit();
conn.close();

console.log('Reopening the file');
conn = connect(file, { rowMode: 'object' });
show('rows now', conn.execute('SELECT title, price FROM books ORDER BY id').fetchAll());
conn.close();

const db = Database.open(file);
show('typed API: get(books, 1)', db.get('books', 1));
show('typed API: where year > 1980', db.collection('books').where('year', '>', 1980).select(['title']).all());
db.close();
console.log(`done; file size ${fs.statSync(file).size} bytes`);
