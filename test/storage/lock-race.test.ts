/**
 * Races that must have exactly one outcome: N processes taking over one crashed writer's lock
 * (exactly one wins, every time), and read-only opens racing a writer's appends (never a false
 * TORN_TAIL). Rounds are many and cheap: long-lived child processes are told when to race.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { LOCK_CHILD, startChild } from '../helpers/children';
import type { Child } from '../helpers/children';

const ROUNDS = Number(process.env.MV_LOCK_RACES ?? 300);
const RACERS = 3;

describe('takeover race', () => {
  const tmp = tmpDir('mv-race-');
  afterAll(() => tmp.cleanup());

  test(`${RACERS} processes take over a crashed writer's lock: exactly one wins, ${ROUNDS} times`, async () => {
    // A crashed writer: its lock names a process that no longer exists.
    const template = tmp.file('template.modelvault');
    const holder = startChild(LOCK_CHILD, ['hold', template]);
    await holder.waitFor('ready');
    await holder.kill();
    expect(fs.readdirSync(`${template}.lock`).length).toBeGreaterThan(0);

    const racers: Child[] = [];
    for (let i = 0; i < RACERS; i++) racers.push(startChild(LOCK_CHILD, ['racer']));
    await Promise.all(racers.map((r) => r.waitFor('ready')));

    const tally = { oneWinner: 0, doubleWinners: 0, noWinner: 0, otherErrors: [] as string[] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const file = path.join(tmp.dir, `race-${round}.modelvault`);
        fs.copyFileSync(template, file);
        fs.cpSync(`${template}.lock`, `${file}.lock`, { recursive: true });
        const marks = racers.map((r) => r.output().length);
        const startAt = Date.now() + 15;
        for (const r of racers) r.send(`go ${file} ${startAt}`);
        await Promise.all(racers.map((r, i) => r.waitFor(` ${file}`, marks[i])));
        // Give a late line (a second winner would print after its open) a moment to arrive.
        const lines = racers.map((r, i) => r.output().slice(marks[i]).trim());
        const won = lines.filter((l) => l.startsWith('won ')).length;
        for (const l of lines)
          if (!l.startsWith('won ') && !/^lost \S+ LockError LOCKED$/.test(l)) tally.otherErrors.push(l);
        if (won === 1) tally.oneWinner++;
        else if (won === 0) tally.noWinner++;
        else tally.doubleWinners++;
      }
      for (const r of racers) r.send('exit');
      await Promise.all(racers.map((r) => r.exited));
    } finally {
      await Promise.all(racers.map((r) => r.kill()));
    }
    expect(tally).toEqual({ oneWinner: ROUNDS, doubleWinners: 0, noWinner: 0, otherErrors: [] });
    // Every winner's acknowledged insert is in its file: no writer overwrote another.
    for (let round = 0; round < ROUNDS; round += 7) {
      const db = Database.open(path.join(tmp.dir, `race-${round}.modelvault`), {
        readOnly: true,
        recovery: 'strict',
      });
      expect(db.collection('items').count()).toBe(1);
      db.close();
    }
  }, 180_000);
});

describe('read-only opens racing a writer', () => {
  const tmp = tmpDir('mv-race-ro-');
  afterAll(() => tmp.cleanup());

  test('a strict read-only open never reports damage for a transaction still being appended (200+ opens)', async () => {
    const file = tmp.file();
    const writer = startChild(LOCK_CHILD, ['writer', file, '2000']);
    await writer.waitFor('C 3');
    const failures: string[] = [];
    let opens = 0;
    let lastSeen = 0;
    try {
      while (opens < 200) {
        try {
          const db = Database.open(file, { readOnly: true });
          const n = db.collection('items').count();
          // Committed data only, and never less than an earlier open saw.
          if (n < lastSeen) failures.push(`count went back from ${lastSeen} to ${n}`);
          lastSeen = n;
          db.close();
        } catch (err) {
          failures.push(
            `${(err as Error).constructor.name} ${(err as { code?: string }).code}: ${(err as Error).message}`,
          );
        }
        opens++;
        if (opens % 20 === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      await writer.kill();
    }
    expect(failures).toEqual([]);
    expect(lastSeen).toBeGreaterThan(0);
  }, 120_000);
});
