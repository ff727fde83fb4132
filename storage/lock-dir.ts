/**
 * One exclusive lock kept in a directory of numbered, immutable entries — the compare-and-swap the
 * writer lock is built on. The entry with the highest number says who holds the lock (an owner's
 * pid, host, boot id, start time and a random token) or that it is free.
 *
 *   take:    read the highest entry N; if it is free or its owner is gone, create entry N+1 naming
 *            yourself with link(2) (atomic, and it fails if N+1 exists), then list again: you hold
 *            the lock only if N+1 is still the highest. Lower entries are then removed.
 *   release: create entry N+1 saying "free", then remove N.
 *   retire:  (a clean close) while holding N, rename the directory away and delete it, so closed
 *            databases leave no lock folders behind; where the rename is refused, release.
 *
 * Why this shape: among racers that all saw owner N dead, link() lets exactly one create N+1, so
 * exactly one wins. Entries are written in full before they are linked into place and never
 * change, so a reader never sees half an owner. The highest number never goes down (only entries
 * below an existing higher one are removed), which makes a racer acting on an old listing harmless:
 * whatever number it manages to create, a higher one already exists when it checks.
 *
 * Retiring keeps that argument per incarnation of the directory. Only the live holder renames it
 * away, and nobody creates an entry above a live holder, so no take is half done in it when it
 * goes. A racer's link(2) reads its own temporary file from the path `dir/.tmp-…`, written before
 * it listed: after a rename that file is in the old incarnation, so the link fails (ENOENT) rather
 * than land in a newer incarnation on an old listing, and the racer starts over. A racer that
 * withdraws an entry made on an old listing removes it only while the name still holds its own
 * file (its inode), not an entry of the same number in a newer incarnation.
 *
 *        take (free, or owner gone)          release
 *   free ─────────────────────────► held ──────────────► free
 *                                     │ owner process dies
 *                                     ▼
 *                                   orphan ── take ──► held (by the taker)
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { randomBytes } from 'node:crypto';
import { ioError } from './io-error';
import { DirWatch } from './dir-watch';
import { currentProcess, liveness, pidAlive } from './process-identity';
import type { Liveness, ProcessIdentity } from './process-identity';

export interface LockOwner extends ProcessIdentity {
  /** Tells apart two locks of one process (two engines, a compaction's second file). */
  token: string;
}

/**
 * An entry this process created and holds open: while the descriptor is open, the entry's inode
 * cannot be reused, so "the file named <gen> has our inode" proves the entry is still ours even if
 * someone deleted the directory and a new owner started over at our number.
 */
export interface HeldEntry {
  gen: number;
  fd: number;
  ino: number;
  /** The entry's path and the next number's: holds() runs before every write, so built once. */
  path: string;
  nextPath: string;
  /**
   * The "free" entry release() links into place, written when the lock was taken (null when that
   * write failed): freeing the lock then needs no new file, so a full disk cannot keep it held.
   */
  freeMarker: string | null;
  /**
   * The lock directory, watched (storage/dir-watch.ts): while no entry in it came, went or moved
   * since holds() last passed in full, it still holds, and it is answered with one fstat.
   */
  watch: DirWatch;
}

export type TakeResult =
  { taken: true; entry: HeldEntry } | { taken: false; owner: LockOwner | null; state: Liveness };

const DIGITS = 12;
/** What a free entry says. */
const FREE = '{"free":true}';

function freeMarkerPath(dir: string, pid: number, token: string): string {
  return nodePath.join(dir, `.tmp-${pid}-${token}-free`);
}

/** Write the free entry a holder will link at release; null when the file system refuses. */
function writeFreeMarker(path: string): string | null {
  try {
    fs.writeFileSync(path, FREE, { mode: 0o644 });
    return path;
  } catch {
    return null;
  }
}
/** An error saying the directory or a file we put in it is no longer there. */
function gone(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}
const ENTRY = /^\d{12}$/;
const TMP = /^\.tmp-(\d+)-/;
/** Listings tried before a take gives up as "busy": each retry means another process moved. */
const MAX_ROUNDS = 64;

function entryName(gen: number): string {
  return String(gen).padStart(DIGITS, '0');
}

export function newOwner(): LockOwner {
  return { ...currentProcess(), token: randomBytes(8).toString('hex') };
}

function parseOwner(text: string): LockOwner | 'free' | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v.free === true) return 'free';
    if (
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.boot === 'string' &&
      typeof v.start === 'string' &&
      typeof v.token === 'string'
    )
      return { pid: v.pid, host: v.host, boot: v.boot, start: v.start, token: v.token };
  } catch {
    // fall through: unreadable content
  }
  return null;
}

/** The highest entry number in `dir` (0 when none); throws the fs error when it cannot be listed. */
function highest(dir: string): number {
  let max = 0;
  for (const name of fs.readdirSync(dir)) {
    if (ENTRY.test(name)) {
      const n = Number(name);
      if (n > max) max = n;
    }
  }
  return max;
}

type Reading = { gen: number; owner: LockOwner | 'free' | null } | 'retry';

function readTop(dir: string): Reading {
  const gen = highest(dir);
  if (gen === 0) return { gen: 0, owner: 'free' };
  let text: string;
  try {
    text = fs.readFileSync(nodePath.join(dir, entryName(gen)), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'retry'; // superseded meanwhile
    throw err;
  }
  // Unreadable content can only come from a crash of the whole machine mid-write: nobody owns it.
  return { gen, owner: parseOwner(text) };
}

export class LockDir {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {}

  /** Try once (a bounded number of listings) to take the lock; never waits. */
  tryTake(): TakeResult {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const result = this.tryTakeIn();
      if (result !== 'replaced') return result;
    }
    return { taken: false, owner: null, state: 'alive' };
  }

  /** One attempt in the directory as it is now; 'replaced' when its holder retired it meanwhile. */
  private tryTakeIn(): TakeResult | 'replaced' {
    try {
      fs.mkdirSync(this.dir, { mode: 0o777 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw ioError(`cannot create the lock directory ${this.dir}`, err);
    }
    const tmp = nodePath.join(this.dir, `.tmp-${this.owner.pid}-${this.owner.token}`);
    try {
      fs.writeFileSync(tmp, JSON.stringify(this.owner), { mode: 0o644 });
    } catch (err) {
      if (gone(err)) return 'replaced';
      throw ioError(`cannot write in the lock directory ${this.dir}`, err);
    }
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const top = readTop(this.dir);
        if (top === 'retry') continue;
        if (top.owner !== 'free' && top.owner !== null) {
          const state = liveness(top.owner);
          if (state !== 'dead') return { taken: false, owner: top.owner, state };
        }
        const gen = top.gen + 1;
        try {
          fs.linkSync(tmp, nodePath.join(this.dir, entryName(gen)));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another racer won N+1
          throw err;
        }
        if (highest(this.dir) === gen) {
          const path = nodePath.join(this.dir, entryName(gen));
          const fd = fs.openSync(path, 'r');
          // Opened once the entry is the highest: holds() checks in full until the watch settles.
          const watch = DirWatch.open(this.dir);
          this.sweep(gen);
          const nextPath = nodePath.join(this.dir, entryName(gen + 1));
          const freeMarker = writeFreeMarker(this.freeMarkerPath());
          const entry = { gen, fd, ino: fs.fstatSync(fd).ino, path, nextPath, freeMarker, watch };
          return { taken: true, entry };
        }
        // Created from an old listing: a higher entry exists, so ours means nothing; withdraw it.
        this.withdraw(gen, tmp);
      }
      return { taken: false, owner: null, state: 'alive' };
    } catch (err) {
      // The directory (or our file in it) vanished: its holder retired it. Start over.
      if (gone(err)) return 'replaced';
      throw ioError(`cannot take the lock in ${this.dir}`, err);
    } finally {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Whether our entry is still the highest: the file named by its number is still our inode, and
   * nobody created the next number. This runs before every write of the file: one fstat of the
   * directory while nothing in it changed since the last full check (two path lookups) passed.
   */
  holds(entry: HeldEntry): boolean {
    if (entry.watch.unchanged()) return true;
    const held = LockDir.holdsInFull(entry);
    if (held) entry.watch.confirm();
    return held;
  }

  private static holdsInFull(entry: HeldEntry): boolean {
    try {
      const st = fs.statSync(entry.path, { throwIfNoEntry: false });
      if (st === undefined || st.ino !== entry.ino) return false;
    } catch {
      return false;
    }
    return !fs.existsSync(entry.nextPath);
  }

  /** Give the lock back; a no-op when it is no longer ours (a displaced holder touches nothing). */
  release(entry: HeldEntry): void {
    try {
      const tmp = entry.freeMarker ?? this.freeMarkerPath();
      if (!this.holds(entry)) return;
      try {
        if (entry.freeMarker === null) fs.writeFileSync(tmp, FREE);
        fs.linkSync(tmp, nodePath.join(this.dir, entryName(entry.gen + 1)));
        this.unlink(entry.gen);
      } catch {
        // EEXIST: someone judged us gone and took over; then the lock is theirs, not ours to free.
      } finally {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // already gone
        }
      }
    } finally {
      entry.watch.close();
      try {
        fs.closeSync(entry.fd);
      } catch {
        // closed already (released twice)
      }
    }
  }

  /**
   * Give the lock back by removing the directory (a clean close): renamed away while we still
   * hold it, then deleted. A no-op when the lock is no longer ours. Where the rename is refused (a
   * folder another user created in the shared temp folder) it is released as before.
   */
  retire(entry: HeldEntry): void {
    if (!this.holds(entry)) {
      this.release(entry); // closes the descriptor, touches nothing else
      return;
    }
    const away = `${this.dir}.retired-${this.owner.pid}-${this.owner.token}`;
    try {
      fs.renameSync(this.dir, away);
    } catch {
      this.release(entry);
      return;
    }
    entry.watch.close();
    try {
      fs.closeSync(entry.fd);
    } catch {
      // closed already
    }
    try {
      fs.rmSync(away, { recursive: true, force: true });
    } catch {
      // left behind: nothing reads a retired folder
    }
  }

  private freeMarkerPath(): string {
    return freeMarkerPath(this.dir, this.owner.pid, this.owner.token);
  }

  /**
   * Remove entries below `gen` and temp files of processes that are gone (best effort). Lowest
   * first: a displaced holder's entry then disappears before any entry above it, so its holds()
   * never sees "mine, and nothing right above" while a higher owner exists.
   */
  private sweep(gen: number): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (ENTRY.test(name)) {
        if (Number(name) < gen) this.unlink(Number(name));
      } else {
        const m = TMP.exec(name);
        if (m && !pidAlive(Number(m[1]))) {
          try {
            fs.unlinkSync(nodePath.join(this.dir, name));
          } catch {
            // another process swept it first, or it is not ours to remove
          }
        }
      }
    }
  }

  /** Remove entry `gen` if it is still the file `tmp` names (linked from it), nothing else. */
  private withdraw(gen: number, tmp: string): void {
    try {
      const path = nodePath.join(this.dir, entryName(gen));
      if (fs.statSync(path).ino === fs.statSync(tmp).ino) fs.unlinkSync(path);
    } catch {
      // gone already, or the directory was retired meanwhile: nothing of ours to remove
    }
  }

  private unlink(gen: number): void {
    try {
      fs.unlinkSync(nodePath.join(this.dir, entryName(gen)));
    } catch {
      // already removed by a sweep, or not permitted (sticky shared directory): harmless
    }
  }

  /**
   * Free the lock in `dir` when its holder is this process's owner `token`. For a worker thread
   * that died holding a lock: its process lives on, so the lock would never count as abandoned.
   * Returns whether it freed anything.
   */
  static releaseAbandoned(dir: string, token: string): boolean {
    let top: Reading;
    try {
      top = readTop(dir);
    } catch {
      return false;
    }
    if (top === 'retry' || top.owner === 'free' || top.owner === null) return false;
    if (top.owner.pid !== process.pid || top.owner.token !== token) return false;
    // The dead thread's own free entry when it wrote one (no new file: a full disk cannot stop it).
    const marker = freeMarkerPath(dir, process.pid, token);
    const tmp = fs.existsSync(marker) ? marker : nodePath.join(dir, `.tmp-${process.pid}-${token}-abandoned`);
    try {
      if (tmp !== marker) fs.writeFileSync(tmp, FREE);
      fs.linkSync(tmp, nodePath.join(dir, entryName(top.gen + 1)));
      fs.unlinkSync(nodePath.join(dir, entryName(top.gen)));
      return true;
    } catch {
      return false;
    } finally {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }

  /** Who holds the lock in `dir` right now, for probes that must not write (read-only opens). */
  static holder(dir: string): { owner: LockOwner; state: Liveness } | null {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let top: Reading;
      try {
        top = readTop(dir);
      } catch {
        return null;
      }
      if (top === 'retry') continue;
      if (top.owner === 'free' || top.owner === null) return null;
      return { owner: top.owner, state: liveness(top.owner) };
    }
    return null;
  }
}
