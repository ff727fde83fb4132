/**
 * A clean close removes the writer's lock folders (`<file>.lock` and the identity lock under the
 * temp folder: storage/lock-dir.ts "retire"), so hosts that create many databases no longer
 * collect them; and removing them never lets two writers in. Processes cycling open → write →
 * close on one file through two hard links (two path locks, one identity lock) check with an
 * exclusively created marker file that no two of them ever write at the same time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, connect } from '../../src/index';
import { identityLockDir, identityLockRoot } from '../../storage/lock';
import { tmpDir } from '../helpers/tmp';
import { LOCK_CHILD, startChild } from '../helpers/children';
import type { Child } from '../helpers/children';

const CYCLES = Number(process.env.MV_LOCK_CYCLES ?? 60);
const PROCESSES = 3;
const KILL_CAMPAIGN_MS = Number(process.env.MV_LOCK_KILL_MS ?? 8000);

function identityDir(file: string): string {
  const st = fs.statSync(file);
  return identityLockDir({ dev: st.dev, ino: st.ino, birthMs: st.birthtimeMs });
}

/** Lock folders (live or retired) of `file` beside it and under the identity-lock root. */
function lockFolders(file: string): string[] {
  const id = path.basename(identityDir(file));
  return [
    ...fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith(`${path.basename(file)}.lock`)),
    ...fs.readdirSync(identityLockRoot()).filter((n) => n === id || n.startsWith(`${id}.`)),
  ];
}

/** Create `file` with the `items` collection the lock child writes (helpers/items.js), and `link` to it. */
function linkedItems(file: string, link: string): void {
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
  db.close();
  fs.linkSync(file, link);
}

describe('a clean close leaves no lock folders', () => {
  const tmp = tmpDir('mv-retire-');
  afterAll(() => tmp.cleanup());

  test('Database, connect, after compaction and checkpoints; read-only opens create none', () => {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection('t', [{ path: 'id', type: 'int64' }], 'id');
    db.insert('t', { id: 1 });
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    expect(fs.existsSync(identityDir(file))).toBe(true);
    db.checkpoint();
    db.compact();
    db.insert('t', { id: 2 });
    db.close();
    expect(lockFolders(file)).toEqual([]);

    const conn = connect(file);
    conn.cursor().execute('INSERT INTO t VALUES (3)');
    conn.commit();
    conn.close();
    expect(lockFolders(file)).toEqual([]);

    const reader = connect(file, { readOnly: true });
    expect(reader.cursor().execute('SELECT count(*) FROM t').fetchAll()).toEqual([[3]]);
    reader.close();
    expect(lockFolders(file)).toEqual([]);
  });

  test('a killed writer leaves its folders; the next writer takes over and its close removes them', async () => {
    const file = tmp.file();
    const holder = startChild(LOCK_CHILD, ['hold', file]);
    await holder.waitFor('ready');
    await holder.kill();
    expect(lockFolders(file).length).toBe(2);
    const db = Database.open(file);
    expect(db.collectionNames()).toEqual(['items']);
    db.close();
    expect(lockFolders(file)).toEqual([]);
  });

  test(`${PROCESSES} processes cycle open → write → close ${CYCLES} times each through two hard links: never two writers at once`, async () => {
    const file = tmp.file('cycled.modelvault');
    const link = tmp.file('cycled-link.modelvault');
    linkedItems(file, link);
    const children = Array.from({ length: PROCESSES }, (_v, k) =>
      startChild(LOCK_CHILD, ['cycle', file, link, String(CYCLES), String(k + 1)]),
    );
    await Promise.all(children.map((c) => c.exited));
    expect(children.map((c) => c.output().trim())).toEqual(children.map(() => `done ${CYCLES}`));
    const check = Database.open(link, { readOnly: true });
    try {
      const ids = check
        .collection('items')
        .all()
        .map((r) => Number(r.id))
        .sort((a, b) => a - b);
      const expected = children.flatMap((_c, k) =>
        Array.from({ length: CYCLES }, (_v, i) => (k + 1) * 100000 + i),
      );
      expect(ids).toEqual(expected);
    } finally {
      check.close();
    }
    expect(lockFolders(file)).toEqual([]);
    expect(fs.readdirSync(tmp.dir).filter((n) => n.startsWith('cycled-link.modelvault.lock'))).toEqual([]);
  }, 120_000);

  test(`the same with SIGKILLs every ~150 ms for ${KILL_CAMPAIGN_MS / 1000} s: takeovers and retires never overlap`, async () => {
    const file = tmp.file('killed-cycles.modelvault');
    const link = tmp.file('killed-cycles-link.modelvault');
    linkedItems(file, link);
    const end = Date.now() + KILL_CAMPAIGN_MS;
    const slots: Child[] = [];
    const outputs: string[] = [];
    let next = 1;
    let kills = 0;
    const start = (slot: number): void => {
      const child = startChild(LOCK_CHILD, ['cycle', file, link, '1000000', String(next++)]);
      slots[slot] = child;
      void child.exited.then(() => {
        outputs.push(child.output());
        if (slots[slot] === child && Date.now() < end) start(slot);
      });
    };
    for (let i = 0; i < PROCESSES; i++) start(i);
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 75 + Math.random() * 150));
      const victim = slots[Math.floor(Math.random() * PROCESSES)];
      await victim.kill();
      kills++;
    }
    await Promise.all(slots.map((c) => c.kill()));
    // Every child was killed: none printed anything but an overlap would (or an error).
    expect(outputs.filter((o) => o.trim() !== '')).toEqual([]);
    expect(kills).toBeGreaterThan(10);
    const check = Database.open(link);
    try {
      expect(check.collection('items').count()).toBeGreaterThan(0);
    } finally {
      check.close();
    }
  }, 120_000);
});
