// Child process for crash and lock tests. Runs against the built package (jest's globalSetup,
// test/helpers/build-dist.js, builds it when it is missing or stale).
//   node child-writer.js crash <file> <rowsPerTxn>   insert forever, print "C <txn>" after each commit returns
//   node child-writer.js hold <file>                 open for writing, print "ready", wait to be killed
//   node child-writer.js try <file>                  try to open for writing, print the outcome
'use strict';
const { Database } = require('../../dist/src/index.js');
const { openItems: openItemsAt } = require('./items.js');

const [mode, file, arg] = process.argv.slice(2);

function openItems() {
  return openItemsAt(file, undefined);
}

if (mode === 'crash') {
  const perTxn = Number(arg);
  const db = openItems();
  for (let txn = 1; ; txn++) {
    db.transaction(() => {
      for (let i = 0; i < perTxn; i++)
        db.insert('items', { id: txn * perTxn + i, txn, note: 'n'.repeat(50 + (i % 40)) });
    });
    process.stdout.write(`C ${txn}\n`);
  }
} else if (mode === 'hold') {
  openItems();
  process.stdout.write('ready\n');
  setInterval(() => {}, 1000);
} else if (mode === 'try') {
  try {
    Database.open(file).close();
    process.stdout.write('opened\n');
  } catch (err) {
    process.stdout.write(`${err.constructor.name} ${err.code}\n`);
  }
}

if (mode === 'compact') {
  // Insert batches and compact in place after each one; print the committed batch count.
  const db = openItems();
  for (let batch = 1; ; batch++) {
    db.transaction(() => {
      for (let i = 0; i < 20; i++)
        db.insert('items', { id: batch * 20 + i, txn: batch, note: 'x'.repeat(100) });
      // Overwrite earlier rows so compaction has garbage to drop.
      if (batch > 1) db.insert('items', { id: 20, txn: 1, note: `v${batch}` });
    });
    process.stdout.write(`C ${batch}\n`);
    db.compact();
  }
}

if (mode === 'stall') {
  // Hold the lock, report, then block the event loop for `arg` ms inside a transaction and try to commit.
  const db = openItemsWith({ lockStaleMs: 5000 });
  process.stdout.write('ready\n');
  setTimeout(() => {
    try {
      db.transaction(() => {
        db.insert('items', { id: 1, txn: 1, note: 'stalled' });
        const until = Date.now() + Number(arg);
        while (Date.now() < until) {
          /* a long synchronous transaction */
        }
      });
      process.stdout.write('committed\n');
    } catch (err) {
      process.stdout.write(`${err.constructor.name} ${err.code}\n`);
    }
    process.exit(0);
  }, 50);
}

if (mode === 'hold5') {
  openItemsWith({ lockStaleMs: 5000 });
  process.stdout.write('ready\n');
  setInterval(() => {}, 1000);
}

if (mode === 'take') {
  // Take the writer lock (stale period 5 s), insert a row, report.
  try {
    const started = Date.now();
    const db = openItemsWith({ lockStaleMs: 5000 });
    // How long the open waited, measured here so the parent's process start-up does not count.
    process.stderr.write(`open took ${Date.now() - started} ms\n`);
    db.insert('items', { id: 2, txn: 2, note: 'taker' });
    db.close();
    process.stdout.write('took\n');
  } catch (err) {
    process.stdout.write(`${err.constructor.name} ${err.code}\n`);
    process.stderr.write(`${err.message}\n`);
  }
}

function openItemsWith(opts) {
  return openItemsAt(file, opts);
}

if (mode === 'live') {
  // Commit a 10-row batch every few ms, compacting every 7th batch; print each committed batch.
  const db = openItems();
  let batch = 0;
  const tick = () => {
    batch++;
    db.transaction(() => {
      for (let i = 0; i < 10; i++) db.insert('items', { id: batch * 10 + i, txn: batch, note: 'live' });
    });
    if (batch % 7 === 0) db.compact();
    process.stdout.write(`C ${batch}\n`);
    setTimeout(tick, 5);
  };
  tick();
}

if (mode === 'serve') {
  // One command per line on stdin, one reply line each: `insert <n>` (one transaction of n rows,
  // replies "ok <rows in items>"), `compact` (in place), `compactTo <path>` (a compacted copy
  // renamed over <path>), `fail-rename` (compact in place with the rename refused: the MOVED frame
  // stays in the log, the writer goes on). The reader under test runs in the parent process.
  const db = openItems();
  let nextId = 0;
  process.stdout.write('ready\n');
  let pending = '';
  process.stdin.on('data', (chunk) => {
    pending += chunk.toString();
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const [cmd, arg] = pending.slice(0, nl).split(' ');
      pending = pending.slice(nl + 1);
      try {
        if (cmd === 'insert') {
          db.transaction(() => {
            for (let i = 0; i < Number(arg); i++)
              db.insert('items', { id: nextId++, txn: nextId, note: 'v' });
          });
        } else if (cmd === 'compact') db.compact();
        else if (cmd === 'compactTo') db.compactTo(arg);
        else if (cmd === 'fail-rename') {
          const fs = require('node:fs');
          const rename = fs.renameSync;
          fs.renameSync = () => {
            throw Object.assign(new Error('EXDEV: refused by the test'), { code: 'EXDEV' });
          };
          try {
            db.compact();
          } catch {
            // expected: the rename was refused
          } finally {
            fs.renameSync = rename;
          }
        } else if (cmd === 'exit') {
          db.close();
          process.exit(0);
        }
        process.stdout.write(`ok ${db.collection('items').count()}\n`);
      } catch (err) {
        process.stdout.write(`error ${err.code || err.message}\n`);
      }
    }
  });
}
