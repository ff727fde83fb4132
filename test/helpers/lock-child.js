// Child process for the writer-lock tests (loads the built package; npm test builds first).
//   hold <file>                 open for writing, print "ready", wait to be killed or for "close\n" on stdin
//   stall <file> <ms> <n>       commit n rows, print "ready", then block the event loop <ms> inside a
//                               transaction, commit, checkpoint, compact, commit again, close; print each outcome
//   displaced <file>            open, commit rows 1..5, print "ready", wait for "go\n", then try
//                               commit / checkpoint / compact / close and print each outcome
//   racer                       read "go <file> <startAtMs>" lines from stdin; at startAt try to open
//                               <file> for writing: on success insert a row (id = pid), commit, print
//                               "won <file>", close; otherwise print "lost <file> <code>"
//   writer <file> <maxRows>     commit transactions of 1..maxRows rows forever, print "C <n>" after each
//   cycle <file> <link> <n> <k> n times: open <file> or its hard link <link> for writing (waiting
//                               for the lock), create <file>.inside exclusively, by a hard link (a
//                               second writer at the same time fails there: "OVERLAP"), insert row k*100000+i, remove
//                               the marker, close; print "done <n>" (or the first error)
'use strict';
const { openItems } = require('./items.js');

const [mode, file, arg, arg2] = process.argv.slice(2);

function outcome(fn) {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return `${err.constructor.name} ${err.code}`;
  }
}

function lines(onLine) {
  let buf = '';
  process.stdin.on('data', (chunk) => {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
}

if (mode === 'hold') {
  const db = openItems(file);
  process.stdout.write('ready\n');
  lines((line) => {
    if (line === 'close') {
      db.close();
      process.stdout.write('closed\n');
      process.exit(0);
    }
  });
} else if (mode === 'stall') {
  const db = openItems(file, { lockStaleMs: 5000 });
  const n = Number(arg2);
  for (let i = 1; i <= n; i++) db.insert('items', { id: i, txn: 1, note: 'before' });
  process.stdout.write('ready\n');
  setTimeout(() => {
    const results = [];
    results.push(
      `commit ${outcome(() =>
        db.transaction(() => {
          db.insert('items', { id: 100000, txn: 2, note: 'stalled' });
          const until = Date.now() + Number(arg);
          while (Date.now() < until) {
            /* a long synchronous transaction */
          }
        }),
      )}`,
    );
    results.push(`checkpoint ${outcome(() => db.checkpoint())}`);
    results.push(`compact ${outcome(() => db.compact())}`);
    results.push(`after ${outcome(() => db.insert('items', { id: 100001, txn: 3, note: 'after' }))}`);
    results.push(`close ${outcome(() => db.close())}`);
    process.stdout.write(results.join('\n') + '\n');
    process.exit(0);
  }, 20);
} else if (mode === 'displaced') {
  const db = openItems(file);
  for (let i = 1; i <= 5; i++) db.insert('items', { id: i, txn: 1, note: 'first owner' });
  process.stdout.write('ready\n');
  lines((line) => {
    if (line !== 'go') return;
    const results = [];
    results.push(`commit ${outcome(() => db.insert('items', { id: 6, txn: 1, note: 'late' }))}`);
    results.push(`checkpoint ${outcome(() => db.checkpoint())}`);
    results.push(`compact ${outcome(() => db.compact())}`);
    results.push(`close ${outcome(() => db.close())}`);
    process.stdout.write(results.join('\n') + '\n');
    process.exit(0);
  });
} else if (mode === 'racer') {
  // A winner keeps its handle open until the next round, so a second winner of the same round
  // would be a second simultaneous writer, not a successor.
  let held = null;
  process.stdout.write('ready\n');
  lines((line) => {
    const [cmd, f, at] = line.split(' ');
    if (held) held.close();
    held = null;
    if (cmd === 'exit') process.exit(0);
    if (cmd !== 'go') return;
    while (Date.now() < Number(at)) {
      /* spin to the common start */
    }
    let db;
    try {
      db = openItems(f);
    } catch (err) {
      process.stdout.write(`lost ${f} ${err.constructor.name} ${err.code}\n`);
      return;
    }
    try {
      db.insert('items', { id: process.pid, txn: 1, note: 'racer' });
      process.stdout.write(`won ${f}\n`);
    } catch (err) {
      process.stdout.write(`failed ${f} ${err.constructor.name} ${err.code}\n`);
    }
    held = db;
  });
} else if (mode === 'writer') {
  // Transactions of 1..maxRows rows over a bounded id range (the table stays small while the log
  // grows); checkpoints every MiB keep each reader's open (a replay since the last one) short.
  const db = openItems(file, { checkpointEveryBytes: 1 << 20 });
  const max = Number(arg);
  let id = 0;
  let txn = 0;
  const tick = () => {
    txn++;
    const rows = 1 + ((txn * 7919) % max);
    db.transaction(() => {
      for (let i = 0; i < rows; i++)
        db.insert('items', { id: id++ % 5000, txn, note: 'w'.repeat(40 + (i % 50)) });
    });
    process.stdout.write(`C ${txn}\n`);
    setTimeout(tick, 1);
  };
  tick();
} else if (mode === 'cycle') {
  const fs = require('node:fs');
  const [link, n, k] = [arg, Number(arg2), Number(process.argv[6])];
  const marker = `${file}.inside`;
  // The marker is made by linking a file that already holds this pid: it never exists empty. (A
  // marker written in place was empty when its writer was killed between creating and writing
  // it, which the next writer could not tell from a live one that had not written yet.)
  const mine = `${marker}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid));
  let i = 0;
  try {
    for (; i < n; i++) {
      const db = openItems((i + k) % 2 === 0 ? file : link, { busyTimeoutMs: 20000 });
      for (;;) {
        try {
          fs.linkSync(mine, marker);
          break;
        } catch (err) {
          if (err.code !== 'EEXIST') throw err;
          // A writer killed inside leaves its marker: only a living one's means two writers.
          let owner;
          try {
            owner = Number(fs.readFileSync(marker, 'utf8'));
          } catch (readErr) {
            if (readErr.code === 'ENOENT') continue;
            throw readErr;
          }
          let alive = true;
          try {
            process.kill(owner, 0);
          } catch {
            alive = false;
          }
          if (alive || !owner) {
            process.stdout.write(`OVERLAP ${err.code} with ${owner}\n`);
            process.exit(1);
          }
          fs.rmSync(marker, { force: true });
        }
      }
      db.insert('items', { id: k * 100000 + i, txn: k, note: 'cycle' });
      fs.unlinkSync(marker);
      db.close();
    }
    fs.rmSync(mine, { force: true });
    process.stdout.write(`done ${i}\n`);
  } catch (err) {
    process.stdout.write(`error ${i} ${err.constructor.name} ${err.code} ${err.message}\n`);
    process.exit(1);
  }
}
