/**
 * What a live reader does between statements (docs/operations.md "Live read-only readers"): one
 * read past the end of the log it applied, and a check of which file is at its path only every
 * livePolicy.identityCheckMs — or at once when the log ends with a MOVED frame, which every
 * rename of this library's (compaction in place, compactTo, restoreSnapshot) appends first.
 * The identity interval is stretched here so that each test shows what the look alone sees.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as path from 'node:path';
import { Database, connect } from '../../src/index';
import { livePolicy } from '../../storage/engine-types';
import { FileStore } from '../../storage/file-store';
import { tmpDir } from '../helpers/tmp';

const CHILD = path.join(__dirname, '..', 'helpers', 'child-writer.js');

/** A writer process driven one command at a time (child-writer.js `serve`). */
class Writer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiting: ((line: string) => void) | null = null;

  constructor(file: string) {
    this.proc = spawn(process.execPath, [CHILD, 'serve', file]);
    let pending = '';
    this.proc.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = null;
          w(line);
        } else this.lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Run `command`; resolves with the reply (for `ok <n>`: the writer's row count). */
  async run(command: string): Promise<string> {
    this.proc.stdin.write(`${command}\n`);
    return this.next();
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

function makeItems(file: string, rows: number): void {
  const db = Database.open(file);
  db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'txn', type: 'int64' },
      { path: 'note', type: 'string' },
    ],
    'id',
    [{ name: 'items_txn', path: 'txn', kind: 'index' }],
  );
  db.transaction(() => {
    for (let id = 0; id < rows; id++) db.insert('items', { id, txn: 0, note: 'r' });
  });
  db.close();
}

describe('a live reader between statements', () => {
  const tmp = tmpDir();
  const interval = livePolicy.identityCheckMs;
  beforeEach(() => {
    livePolicy.identityCheckMs = 1e9;
  });
  afterEach(() => {
    livePolicy.identityCheckMs = interval;
    jest.restoreAllMocks();
  });
  afterAll(() => tmp.cleanup());

  test('sees every commit and every compaction of a writer process by the read past the log', async () => {
    const file = tmp.file();
    const writer = new Writer(file);
    try {
      expect(await writer.next()).toBe('ready');
      expect(await writer.run('insert 5')).toBe('ok 5');
      const reader = Database.open(file, { readOnly: true });
      const conn = connect(file, { readOnly: true });
      const cur = conn.cursor();
      try {
        let rows = 5;
        for (let round = 1; round <= 12; round++) {
          if (round % 3 === 0) {
            // The rename comes between two statements of the reader; the commit after it is in
            // the new file, which the reader finds only by re-attaching.
            expect(await writer.run('compact')).toBe(`ok ${rows}`);
          }
          rows += round;
          expect(await writer.run(`insert ${round}`)).toBe(`ok ${rows}`);
          expect(reader.collection('items').count()).toBe(rows);
          cur.execute('SELECT COUNT(*) FROM items');
          expect(cur.fetchOne()).toEqual([rows]);
        }
        // Nothing new: one read per statement and handle, no stat (a commit found takes one, for
        // the file's new length).
        const fstat = jest.spyOn(fsModule, 'fstatSync');
        const looks = jest.spyOn(FileStore.prototype, 'logEndsAt');
        for (let i = 0; i < 20; i++) {
          expect(reader.collection('items').count()).toBe(rows);
          cur.execute('SELECT COUNT(*) FROM items');
          expect(cur.fetchOne()).toEqual([rows]);
        }
        expect(fstat).not.toHaveBeenCalled();
        expect(looks).toHaveBeenCalledTimes(40);
        for (const result of looks.mock.results) expect(result.value).toBe(true);
      } finally {
        reader.close();
        conn.close();
      }
    } finally {
      writer.kill();
    }
  }, 30_000);

  test('a compaction whose rename failed leaves a MOVED frame the writer goes on after', async () => {
    const file = tmp.file();
    const writer = new Writer(file);
    try {
      expect(await writer.next()).toBe('ready');
      expect(await writer.run('insert 4')).toBe('ok 4');
      const reader = Database.open(file, { readOnly: true });
      try {
        expect(reader.collection('items').count()).toBe(4);
        expect(await writer.run('fail-rename')).toBe('ok 4');
        // The log now ends with the MOVED frame: a reader opened now checks the path each time.
        const copy = tmp.file();
        fs.copyFileSync(file, copy);
        const late = Database.open(copy, { readOnly: true, recovery: 'strict' });
        expect(late.collection('items').count()).toBe(4);
        late.close();
        expect(reader.collection('items').count()).toBe(4);
        expect(await writer.run('insert 3')).toBe('ok 7');
        expect(reader.collection('items').count()).toBe(7);
        expect(await writer.run('compact')).toBe('ok 7');
        expect(await writer.run('insert 1')).toBe('ok 8');
        expect(reader.collection('items').count()).toBe(8);
        // A writer that died between the MOVED frame and the rename: the next writer goes on.
        const again = Database.open(copy);
        expect(again.collection('items').count()).toBe(4);
        again.insert('items', { id: 100, txn: 1, note: 'after' });
        again.close();
        const strict = Database.open(copy, { readOnly: true, recovery: 'strict' });
        expect(strict.collection('items').count()).toBe(5);
        strict.close();
      } finally {
        reader.close();
      }
    } finally {
      writer.kill();
    }
  }, 30_000);

  test('compactTo and restoreSnapshot over a file mark it for its readers', async () => {
    const target = tmp.file();
    makeItems(target, 3);
    const reader = Database.open(target, { readOnly: true });
    try {
      expect(reader.collection('items').count()).toBe(3);
      const source = tmp.file();
      makeItems(source, 9);
      const writer = new Writer(source);
      try {
        expect(await writer.next()).toBe('ready');
        expect(await writer.run(`compactTo ${target}`)).toBe('ok 9');
      } finally {
        writer.kill();
      }
      expect(reader.collection('items').count()).toBe(9);
      const backup = tmp.file();
      makeItems(backup, 2);
      Database.restoreSnapshot(backup, target);
      expect(reader.collection('items').count()).toBe(2);
    } finally {
      reader.close();
    }
  }, 30_000);

  test('a file replaced by other means is seen at the next identity check', async () => {
    const file = tmp.file();
    makeItems(file, 3);
    const reader = Database.open(file, { readOnly: true });
    try {
      livePolicy.identityCheckMs = 40;
      expect(reader.collection('items').count()).toBe(3);
      const other = tmp.file();
      makeItems(other, 6);
      fs.renameSync(other, file); // no MOVED frame: a rename by hand
      await new Promise((r) => setTimeout(r, 60));
      expect(reader.collection('items').count()).toBe(6);
    } finally {
      reader.close();
    }
  });
});
