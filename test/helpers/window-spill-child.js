// Child process for test/cursor/window-spill.test.ts, run against the built package with TMPDIR
// set to a directory of its own (the sort under a spilled window is left mid-merge by these
// statements, and its segment goes only when collected or at exit).
//   TMPDIR=<dir> node [--expose-gc] window-spill-child.js abandon
// starts a Window that spills its one partition (a tiny sortBudgetBytes) and abandons it after
// one row, then prints how many spill directories exist — after a forced collection when run
// with --expose-gc — and exits; the parent checks the directory afterwards.
//   TMPDIR=<dir> node window-spill-child.js limit
// runs `LIMIT n` statements over partitions g = 0 (within the budget) and g = 1 (spilled), n
// ending inside the first or at the last row of the second, and prints the window segments
// still open after each.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const { connect } = require('../../dist/src/index.js');
const { windowSpillStats } = require('../../dist/planner/window-spill.js');

const conn = connect(':memory:', { sortBudgetBytes: 2048 });
conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, x INTEGER)');
conn.executeMany(
  'INSERT INTO t VALUES (?, ?, ?)',
  Array.from({ length: 400 }, (_v, i) => [i + 1, i < 5 ? 0 : 1, (i * 7) % 13]),
);
conn.commit();
const dirs = (prefix) => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(prefix)).length;
const cur = conn.cursor();
if (process.argv[2] === 'limit') {
  for (const n of [3, 400]) {
    const before = windowSpillStats.partitionsSpilled;
    const rows = cur
      .execute(`SELECT id, sum(x) OVER (PARTITION BY g ORDER BY x, id ROWS 3 PRECEDING) FROM t LIMIT ${n}`)
      .fetchAll();
    const spilled = windowSpillStats.partitionsSpilled - before;
    console.log(`LIMIT ${n} ROWS ${rows.length} SPILLED ${spilled} OPEN ${dirs('modelvault-window-')}`);
  }
} else {
  cur.execute('SELECT id, sum(x) OVER (ORDER BY x, id ROWS 5 PRECEDING) FROM t');
  const row = cur.fetchOne();
  const all = () => dirs('modelvault-window-') + dirs('modelvault-sort-');
  console.log(`ROW ${JSON.stringify(row)} SPILLED ${windowSpillStats.partitionsSpilled} DIRS ${all()}`);
  if (typeof global.gc === 'function') {
    cur.close();
    for (let i = 0; i < 5; i++) global.gc();
    setTimeout(() => {
      console.log(`AFTER GC DIRS ${all()}`);
    }, 50);
  }
}
