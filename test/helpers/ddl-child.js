// Child process for the DDL crash test (test/cursor/ddl-crash.test.ts), run against the built package.
//   node ddl-child.js <file>   forever: insert into an AUTOINCREMENT table and delete that row
//   again, rename the value column (v <-> w) in the same transaction, commit, then print
//   "C <n> <id> <column>"; small automatic checkpoints put some of it behind a checkpoint.
'use strict';
const { connect } = require('../../dist/src/index.js');

const [file] = process.argv.slice(2);
const con = connect(file, { checkpointEveryBytes: 4096 });
con.execute('CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
// One row that stays: without the sequence, a new key would restart right after it.
con.execute("INSERT OR IGNORE INTO q (id, v) VALUES (1, 'keep')");
con.commit();
let column = 'v';
for (let n = 1; ; n++) {
  const cur = con.cursor().execute(`INSERT INTO q (${column}) VALUES (?)`, ['x'.repeat(n % 50)]);
  const id = cur.lastRowId;
  con.execute('DELETE FROM q WHERE id = ?', [id]);
  const next = column === 'v' ? 'w' : 'v';
  con.execute(`ALTER TABLE q RENAME COLUMN ${column} TO ${next}`);
  column = next;
  con.commit();
  process.stdout.write(`C ${n} ${id} ${column}\n`);
}
