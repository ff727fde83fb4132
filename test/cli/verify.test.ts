/**
 * `verify` and `salvage` on real files: a clean file passes; a flipped byte inside the log, a
 * torn tail, a damaged superseded checkpoint (which a normal open never reads) and an index
 * whose checkpoint disagrees with its rows are each found, with their offset, and exit 3.
 * `salvage` copies the readable rows around damage inside the log and says what was lost.
 */
import * as fs from 'node:fs';
import { connect } from '../../src/index';
import { crc32c } from '../../storage/crc32c';
import { tmpDir } from '../helpers/tmp';
import { verifyDatabaseFile } from '../../src/cli/check-file';
import { FrameKind } from '../../storage/format';
import { frameBytes } from '../helpers/engine-util';
import { cli } from './cli-helper';

const tmp = tmpDir('mv-cli-verify-');
afterAll(() => tmp.cleanup());

interface Frame {
  offset: number;
  kind: number;
  length: number;
}

/** The frames of a file, walked by their length fields (docs/format.md §3). */
function frames(file: string): Frame[] {
  const b = fs.readFileSync(file);
  const out: Frame[] = [];
  for (let at = 192; at + 20 <= b.length;) {
    const length = b.readUInt32LE(at);
    if (length === 0 && b[at + 4] === 0) break;
    out.push({ offset: at, kind: b[at + 4], length });
    at += 20 + length;
  }
  return out;
}

const RECORD_PUT = 5;
const CHECKPOINT = 8;
const PAGES = 12;

/** 4 transactions of 10 rows each, a checkpoint after the second, an index on `grp`. */
function build(): string {
  const file = tmp.file();
  const conn = connect(file, { autocommit: true });
  conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, grp INTEGER, note TEXT)');
  conn.execute('CREATE INDEX items_grp ON items (grp)');
  conn.autocommit = false;
  for (let t = 0; t < 4; t++) {
    conn.executeMany(
      'INSERT INTO items VALUES (?, ?, ?)',
      Array.from({ length: 10 }, (_, i) => [t * 10 + i, i % 3, `note ${t}.${i}`]),
    );
    conn.commit();
    if (t === 1) conn.database.checkpoint();
  }
  conn.close();
  return file;
}

function flip(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] ^= 0xff;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

function ids(file: string): number[] {
  const r = cli(['sql', file, 'SELECT id FROM items ORDER BY id', '-f', 'csv']);
  return r.stdout.trim().split('\r\n').slice(1).map(Number);
}

test('a clean file passes: every frame, checkpoint, row and index entry counted', () => {
  const file = build();
  const r = cli(['verify', file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const n = frames(file).length;
  expect(r.stdout).toBe(
    `ok ${file}: ${n} frames (1 checkpoint), 6 transactions, 1 collection, 40 rows, 40 index entries checked\n`,
  );
  const json = JSON.parse(cli(['verify', file, '--json']).stdout) as {
    problems: unknown[];
    rowsChecked: number;
  };
  expect(json.problems).toEqual([]);
  expect(json.rowsChecked).toBe(40);
});

test('a flipped byte inside the log: offset and reason, exit 3', () => {
  const file = build();
  const puts = frames(file).filter((f) => f.kind === RECORD_PUT);
  const target = puts[5]; // inside the first transaction of rows, long before the end
  flip(file, target.offset + 25);
  const r = cli(['verify', file]);
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(
    new RegExp(
      `^damage at offset ${target.offset}: checksum mismatch in RECORD_PUT frame; committed transaction \\d+ follows at offset \\d+ \\(damage inside the log\\)\\n$`,
    ),
  );
  expect(r.stderr).toMatch(
    new RegExp(`^modelvault: FormatError CORRUPT: .*1 problem found.*\\(offset ${target.offset}\\)\\n$`),
  );
});

test('a torn tail is reported as one (exit 3), and the writer would cut it', () => {
  const file = build();
  const size = fs.statSync(file).size;
  fs.truncateSync(file, size - 7);
  const r = cli(['verify', file]);
  expect(r.code).toBe(3);
  const last = frames(file).filter((f) => f.offset + 20 + f.length <= size - 7).length;
  expect(last).toBeGreaterThan(0);
  expect(r.stdout).toMatch(/a torn tail \(an append a crash interrupted; the next writer cuts it\)/);
});

test('a damaged superseded checkpoint is found though no open reads it', () => {
  const file = build();
  const conn = connect(file);
  conn.database.checkpoint(); // the first checkpoint is now superseded
  conn.close();
  const [old] = frames(file).filter((f) => f.kind === CHECKPOINT);
  expect(cli(['sql', file, 'SELECT count(*) AS n FROM items', '-f', 'csv']).stdout).toBe('n\r\n40\r\n');
  flip(file, old.offset + 30);
  // Opening still works (the current checkpoint is intact) ...
  expect(cli(['sql', file, 'SELECT count(*) AS n FROM items', '-f', 'csv']).stdout).toBe('n\r\n40\r\n');
  // ... but verify reads every frame.
  const r = cli(['verify', file]);
  expect(r.code).toBe(3);
  expect(r.stdout).toContain(`damage at offset ${old.offset}: checksum mismatch in CHECKPOINT frame`);
});

test('a damaged column page (format 1.3) is found though only a filtered scan reads it', () => {
  const file = build();
  const bytes = fs.readFileSync(file);
  const pages = frames(file).find((f) => f.kind === PAGES);
  if (!pages) throw new Error('no PAGES frame');
  // The frame holds the primary-key page, then its column page (id and grp as INTS), then the
  // index page: flip a byte of the column page's last column and mend the frame's checksum.
  const pk = pages.offset + 20;
  const columnPage = bytes.indexOf(Buffer.from([20, 2, 0, 2]), pk); // 20 rows, 2 columns, field 0, INTS
  expect(columnPage).toBeGreaterThan(pk);
  flip(file, columnPage + 20);
  const damaged = fs.readFileSync(file);
  const body = damaged.subarray(pk, pk + pages.length);
  damaged.writeUInt32LE(
    crc32c(body, 0, body.length, crc32c(damaged, pages.offset, pages.offset + 16)),
    pages.offset + 16,
  );
  fs.writeFileSync(file, damaged);
  expect(cli(['sql', file, 'SELECT count(*) AS n FROM items', '-f', 'csv']).stdout).toBe('n\r\n40\r\n');
  const r = cli(['verify', file]);
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/checkpoint does not load: corrupt column page at offset \d+: checksum mismatch/);
});

test('an index whose checkpoint disagrees with the rows is found', () => {
  const file = build();
  const conn = connect(file);
  // Forge what a bug would leave: an index entry pointing at the wrong key, persisted by a checkpoint.
  const tree = conn.database.storage.collection('items')?.indexes[0].tree;
  expect(tree?.delete(1, 1)).toBe(true);
  tree?.add(99, 1);
  conn.database.checkpoint();
  conn.close();
  const r = cli(['verify', file]);
  expect(r.code).toBe(3);
  expect(r.stdout).toContain('collection items, index items_grp');
  expect(r.stdout).toMatch(/entry \(\d+ → \d+\) disagrees/);
});

test('salvage: rows before and after damage inside the log are copied, the loss reported', () => {
  const file = build();
  const puts = frames(file).filter((f) => f.kind === RECORD_PUT);
  flip(file, puts[25].offset + 25); // a row of the third batch (ids 20..29), after the checkpoint
  const dest = tmp.file();
  const r = cli(['salvage', file, '--to', dest]);
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^salvaged 30 rows in 1 collection from .* into .*\n/);
  expect(r.stdout).toMatch(/lost whatever was committed between offsets \d+ and \d+/);
  expect(r.stdout).toContain('replayed 1 intact transaction found after the damage');
  // inspect still opens it (read-only, the committed prefix) and says what is out of reach.
  const inspect = cli(['inspect', file]);
  expect(inspect.code).toBe(0);
  expect(inspect.stdout).toMatch(/^unreachable commits: +from offset \d+ \(run verify\)$/m);
  expect(inspect.stdout).toMatch(/^damaged tail: +from offset \d+: checksum mismatch/m);
  const expected = [
    ...Array.from({ length: 20 }, (_, i) => i),
    ...Array.from({ length: 10 }, (_, i) => 30 + i),
  ];
  expect(ids(dest)).toEqual(expected);
  expect(cli(['verify', dest]).code).toBe(0);
  // Never over an existing file.
  const again = cli(['salvage', file, '--to', dest]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('salvage writes a new file only');
});

test('salvage: a live row that cannot be read costs only itself', () => {
  const file = build();
  const puts = frames(file).filter((f) => f.kind === RECORD_PUT);
  flip(file, puts[15].offset + 25); // id 15, covered by the checkpoint: the open never reads it
  const dest = tmp.file();
  const r = cli(['salvage', file, '--to', dest]);
  expect(r.code).toBe(3);
  expect(r.stdout).toContain(`lost row of items at offset ${puts[15].offset}: `);
  expect(ids(dest)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 15));
});

test('salvage of a clean file copies everything and exits 0', () => {
  const file = build();
  const dest = tmp.file();
  const r = cli(['salvage', file, '--to', dest, '--json']);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as {
    rowsWritten: number;
    lostRange: unknown;
    unreadableRows: unknown[];
  };
  expect(report).toEqual(expect.objectContaining({ rowsWritten: 40, lostRange: null, unreadableRows: [] }));
  expect(ids(dest)).toEqual(Array.from({ length: 40 }, (_, i) => i));
});

test('the golden fixtures of both format versions verify clean; their torn-tail twins do not', () => {
  for (const version of ['v1.0', 'v1.1']) {
    const dir = `${__dirname}/../../fixtures/format/${version}`;
    const ok = cli(['verify', `${dir}/all-types.modelvault`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /: 67 frames \(1 checkpoint\), 9 transactions, 2 collections, 41 rows, 114 index entries checked\n$/,
    );
    const torn = cli(['verify', `${dir}/torn-tail.modelvault`]);
    expect(torn.code).toBe(3);
    expect(torn.stdout).toMatch(/a torn tail/);
    const inspect = JSON.parse(cli(['inspect', `${dir}/all-types.modelvault`, '--json']).stdout) as {
      formatVersion: string;
    };
    expect(inspect.formatVersion).toBe(version.slice(1));
  }
});

test('salvage carries the SQL views: those before the damage and those a later intact transaction made', () => {
  const file = tmp.file();
  const conn = connect(file, { autocommit: true });
  conn.execute('PRAGMA user_version = 7');
  conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, grp INTEGER, note TEXT)');
  conn.execute('CREATE VIEW evens AS SELECT id FROM items WHERE id % 2 = 0');
  conn.autocommit = false;
  for (let t = 0; t < 3; t++) {
    conn.executeMany(
      'INSERT INTO items VALUES (?, ?, ?)',
      Array.from({ length: 10 }, (_, i) => [t * 10 + i, i % 3, `note ${t}.${i}`]),
    );
    if (t === 2) conn.execute('CREATE VIEW grp1 (k) AS SELECT id FROM items WHERE grp = 1');
    conn.commit();
    if (t === 0) conn.database.checkpoint();
  }
  conn.close();
  const puts = frames(file).filter((f) => f.kind === RECORD_PUT);
  flip(file, puts[15].offset + 25); // the second batch (ids 10..19), after the checkpoint
  const dest = tmp.file();
  const r = cli(['salvage', file, '--to', dest]);
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/^salvaged 20 rows in 1 collection and 2 views from /);
  const out = connect(dest, { readOnly: true });
  expect(out.execute('SELECT count(*) FROM evens').fetchAll()).toEqual([[10]]);
  expect(out.execute('SELECT k FROM grp1 ORDER BY k').fetchAll()).toEqual([[1], [4], [7], [21], [24], [27]]);
  expect(out.execute("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").fetchAll()).toEqual([
    ['evens'],
    ['grp1'],
  ]);
  expect(out.execute('PRAGMA user_version').fetchAll()).toEqual([[7]]);
  out.close();
  const json = JSON.parse(cli(['salvage', file, '--to', tmp.file(), '--json']).stdout) as { views: number };
  expect(json.views).toBe(2);
});

test('a live writer’s append caught halfway (whole frames, no commit marker yet) is not damage; the same bytes with no writer are', () => {
  const file = build();
  const conn = connect(file);
  try {
    // The live writer: it holds the lock while verify looks.
    conn.execute('INSERT INTO items VALUES (100, 1, ?)', ['x']);
    conn.commit();
    const before = verifyDatabaseFile(file);
    expect(before.problems).toEqual([]);
    const end = before.logEnd;
    // Its next transaction as a reader can meet it mid-append: TXN_BEGIN and a record, no commit.
    const txn = before.transactions + 1;
    const forged = Buffer.concat([
      frameBytes(FrameKind.TXN_BEGIN, txn, null),
      frameBytes(FrameKind.RECORD_PUT, txn, [1, 1, [101, 1, 'y']]),
    ]);
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    const saved = Buffer.alloc(forged.length);
    fs.readSync(fd, saved, 0, forged.length, end);
    fs.writeSync(fd, forged, 0, forged.length, end);
    try {
      const live = verifyDatabaseFile(file);
      expect(live.problems).toEqual([]);
      expect(live.notes.join('\n')).toMatch(/a writer \(pid \d+\) has the file open/);
      expect(live.logEnd).toBe(end);
      expect(live.transactions).toBe(before.transactions);
      const copy = tmp.file();
      fs.copyFileSync(file, copy);
      const dead = verifyDatabaseFile(copy);
      expect(dead.problems).toHaveLength(1);
      expect(dead.problems[0].reason).toMatch(/no commit marker|torn tail/);
    } finally {
      // Give the writer back its reserved bytes (its own checks would stop it otherwise).
      fs.writeSync(fd, saved, 0, saved.length, end);
      fs.ftruncateSync(fd, size);
      fs.closeSync(fd);
    }
  } finally {
    conn.close();
  }
});
