#!/usr/bin/env node
/**
 * The last step of `npm run build`: writes dist/src/startup/code-cache.bin, the V8 code cache of
 * the package's modules (src/startup/code-cache.ts explains why and when it is used). It loads
 * the built package with every module compiled through the cache hook, runs a warm-up of what an
 * application does first — open a file, create a table, write, checkpoint, reopen, point gets,
 * queries through SQL and the typed API — and then stores each module's cached data, which now
 * holds the functions the warm-up compiled. Run from a clean process: nothing else loaded first.
 *
 *   node scripts/build-code-cache.js
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const cache = require(path.join(dist, 'src', 'startup', 'code-cache.js'));
cache.produceCodeCache();
const mv = require(path.join(dist, 'src', 'index.js'));
// The CLI's own modules (its entry, main.js, runs the command as it loads; program.js does not),
// through the hook again: index.js removed it once the package had loaded.
cache.beginCodeCache();
require(path.join(dist, 'src', 'cli', 'program.js'));
cache.endCodeCache();

function warmUp(dir) {
  const file = path.join(dir, 'warm.modelvault');
  const conn = mv.connect(file);
  const cur = conn.cursor();
  cur.execute(
    'CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, qty INTEGER, price REAL, status TEXT, note TEXT)',
  );
  cur.execute('CREATE INDEX items_status ON items (status)');
  const rows = [];
  for (let i = 1; i <= 40000; i++)
    rows.push([
      i,
      `SKU-${((i * 7919) % 100003).toString(36)}`,
      i % 97,
      i * 0.5,
      ['new', 'paid', 'sent'][i % 3],
      `n${i}`,
    ]);
  cur.executeMany('INSERT INTO items (id, sku, qty, price, status, note) VALUES (?, ?, ?, ?, ?, ?)', rows);
  conn.commit();
  const queries = [
    ['SELECT * FROM items WHERE id = ?', [42]],
    ['SELECT id, qty FROM items WHERE sku = ?', [rows[10][1]]],
    ['SELECT count(*), sum(qty) FROM items WHERE status = ?', ['paid']],
    ['SELECT status, count(*), avg(price) FROM items GROUP BY status ORDER BY status', []],
    ['SELECT id, note FROM items WHERE qty BETWEEN ? AND ? ORDER BY qty LIMIT 10', [3, 9]],
    ['SELECT a.id, b.id FROM items a JOIN items b ON b.id = a.qty WHERE a.id < ?', [50]],
  ];
  for (const [sql, params] of queries) {
    cur.execute(sql, params);
    cur.fetchMany(5);
    cur.fetchAll();
  }
  cur.execute('UPDATE items SET qty = qty + 1 WHERE id = ?', [7]);
  cur.execute('DELETE FROM items WHERE id = ?', [8]);
  conn.commit();
  conn.database.checkpoint();
  conn.close();

  const db = mv.Database.open(file);
  db.get('items', 1234);
  db.collection('items').where('status', '=', 'sent').limit(5).all();
  db.insert('items', { id: 6000, sku: 'SKU-x', qty: 1, price: 2, status: 'new', note: null });
  db.close();

  const again = mv.connect(file, { readOnly: true });
  const c2 = again.cursor();
  c2.execute('SELECT * FROM items WHERE id = ?', [99]);
  c2.fetchOne();
  again.close();
}

// The cache is an optimization: a build (or an install from git, whose `prepare` builds) must not
// fail because it could not be made — no writable temp folder, say. Without it, modules compile
// as usual; a cache left from an earlier build is removed rather than kept beside new modules.
try {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-code-cache-'));
  try {
    warmUp(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const { modules, bytes } = cache.writeCodeCache();
  console.log(
    `code cache: ${modules} modules, ${(bytes / 1024).toFixed(0)} KiB (${path.relative(process.cwd(), cache.CACHE_FILE)})`,
  );
} catch (err) {
  fs.rmSync(cache.CACHE_FILE, { force: true });
  console.warn(`code cache not written (modules will compile as usual): ${err.message}`);
}
