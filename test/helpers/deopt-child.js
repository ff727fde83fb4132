// Child process for test/storage/commit-deopts.test.ts, run against the built package under
// `node --trace-deopt`: a bulk load in one transaction, a reopen, then many one-row autocommit
// inserts, printing "START" and "END" around the last ones so the parent can count the
// deoptimizations in them.
//   node --trace-deopt deopt-child.js <database file>
'use strict';
const { connect } = require('../../dist/src/index.js');

const file = process.argv[2];
const row = (k) => [k, `u-${k}`, k % 97, `s ${k}`];
const load = connect(file);
load.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, a INTEGER, s TEXT)');
load.execute('CREATE INDEX t_a ON t (a)');
load.executeMany(
  'INSERT INTO t VALUES (?, ?, ?, ?)',
  Array.from({ length: 50000 }, (_v, k) => row(k + 1)),
);
load.commit();
load.close();
const conn = connect(file, { autocommit: true });
const cur = conn.cursor();
let id = 100000;
// Warm-up: every function a one-row commit runs has been optimized.
for (let k = 0; k < 1000; k++) cur.execute('INSERT INTO t VALUES (?, ?, ?, ?)', row(++id));
process.stdout.write('START\n');
const runs = 3000;
for (let k = 0; k < runs; k++) cur.execute('INSERT INTO t VALUES (?, ?, ?, ?)', row(++id));
process.stdout.write(`END ${runs}\n`);
conn.close();
