// Child process for test/planner/young-garbage.test.ts, run against the built package under
// `node --trace-gc-nvp`: re-executes one statement many times, printing "START" and "END" around
// the steady-state loop so the parent can sum what young-generation collections promoted in it.
//   node --trace-gc-nvp gc-child.js <statement index>
'use strict';
const { connect } = require('../../dist/src/index.js');

const STATEMENTS = [
  ['SELECT 1', () => []],
  ['SELECT * FROM t WHERE id = ?', (k) => [1 + ((k * 7919) % 2000)]],
  ['SELECT * FROM t WHERE a = ? AND b = ?', (k) => [k % 50, k % 7]],
  ['SELECT id FROM t WHERE id BETWEEN ? AND ? ORDER BY id LIMIT 5', (k) => [k % 1900, 100 + (k % 1900)]],
  ['SELECT lower(s), a * b FROM t WHERE a = ?', (k) => [k % 50]],
  ['SELECT u.s FROM t JOIN t AS u ON u.id = t.a WHERE t.id = ?', (k) => [1 + (k % 2000)]],
  ['SELECT (SELECT max(id) FROM t WHERE a = ?) AS m', (k) => [k % 50]],
];

const [index] = process.argv.slice(2);
const [sql, params] = STATEMENTS[Number(index)];
const conn = connect(':memory:');
conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT)');
conn.execute('CREATE INDEX t_ab ON t (a, b)');
conn.executeMany(
  'INSERT INTO t VALUES (?, ?, ?, ?)',
  Array.from({ length: 2000 }, (_v, k) => [k + 1, (k * 13) % 50, k % 7, `S-${k}`]),
);
conn.commit();
const cur = conn.cursor();
// Warm-up: every row cached, every function optimized, every allocation-site decision taken.
for (let k = 0; k < 100000; k++) cur.execute(sql, params(k)).fetchAll();
process.stdout.write('START\n');
const runs = 100000;
for (let k = 0; k < runs; k++) cur.execute(sql, params(k)).fetchAll();
process.stdout.write(`END ${runs}\n`);
