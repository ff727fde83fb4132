// Child process for test/planner/hash-spill.test.ts, run against the built package with TMPDIR
// set to a directory of its own: starts a HashJoin that spills (a tiny budget) and abandons it
// after one row (LIMIT 1), then prints how many spill directories exist — after a forced
// collection when run with --expose-gc — and exits; the parent checks the directory afterwards.
//   TMPDIR=<dir> node [--expose-gc] hash-spill-child.js
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const { connect } = require('../../dist/src/index.js');
const { setHashJoinBudgetForTests, hashSpillStats } = require('../../dist/planner/hash-spill.js');

const conn = connect(':memory:');
conn.execute('CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER)');
conn.execute('CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER)');
conn.executeMany(
  'INSERT INTO a VALUES (?, ?)',
  Array.from({ length: 300 }, (_v, i) => [i + 1, i % 40]),
);
conn.executeMany(
  'INSERT INTO b VALUES (?, ?)',
  Array.from({ length: 300 }, (_v, i) => [i + 1, i % 30]),
);
conn.commit();
setHashJoinBudgetForTests(512);
const dirs = () => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('modelvault-hash-')).length;
const cur = conn.cursor();
cur.execute('SELECT a.id, b.id FROM a JOIN b ON b.k = a.k');
console.log(`ROW ${JSON.stringify(cur.fetchOne())} SPILLED ${hashSpillStats.joinsSpilled} DIRS ${dirs()}`);
if (typeof global.gc === 'function') {
  cur.close();
  for (let i = 0; i < 5; i++) global.gc();
  setTimeout(() => {
    console.log(`AFTER GC DIRS ${dirs()}`);
  }, 50);
}
