/**
 * Whether a directory has changed since a check about it last passed, in one fstat of a held
 * descriptor: for the checks a writer makes before every commit that otherwise walk paths (the
 * writer lock's entries: stat + access per lock; the database file's name: readlink of
 * /proc/self/fd), each ~10 µs beside a commit's sync.
 *
 * Why a directory's ctime can stand for its entries: POSIX marks a directory's status-change time
 * for update whenever an entry in it is created, removed or renamed, and a directory's own when it
 * is renamed; no call sets a ctime to a chosen value. A removed directory's link count is 0. So
 * while the ctime read now equals the one read before a full check that passed, no entry came, went
 * or moved since — provided a change cannot carry the timestamp the earlier change already had.
 * Timestamps tick coarsely (one kernel tick, at most 10 ms, where the kernel does not hand out
 * finer ones), so a ctime is trusted only once it is `settleMs` old: any later change then lands
 * on a later tick.
 *
 * Only on Linux file systems known to keep directory ctimes this way (ext2-4, xfs, btrfs, tmpfs,
 * overlayfs, f2fs, zfs); elsewhere — network and FUSE file systems, FAT, other platforms — a
 * watch never reports "unchanged" and every check is made in full, as before.
 *
 *   open ──► unsettled ──(full check passed, ctime ≥ settleMs old)──► trusted
 *               ▲                                                     │
 *               └──────────────(ctime differs, or link count 0)───────┘
 */
import * as fs from 'node:fs';

/** statfs(2) f_type of the file systems a watch trusts. */
const TRUSTED_FILE_SYSTEMS = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x794c7630, // overlayfs (containers)
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
]);

/**
 * How old a ctime must be before a watch trusts it (@internal mutable: tests raise it to make
 * the settling visible). Twice the coarsest Linux tick (HZ = 100).
 */
export const dirWatchPolicy = { settleMs: 20 };

export class DirWatch {
  /**
   * The ctime read by the last unchanged(), in milliseconds (null: unreadable, or the directory is
   * gone). A double holds it to ~0.25 µs: two ctimes it cannot tell apart lie within one tick, and
   * a trusted one is at least settleMs older than any change after it (see confirm()).
   */
  private seen: number | null = null;
  /** When that read was made (Date.now()). */
  private seenAt = 0;
  /** The ctime a full check passed with, once settled; null: none yet. */
  private trusted: number | null = null;
  /** @internal Checks unchanged() answered without the caller's full check (tests count them). */
  spared = 0;

  private constructor(private fd: number | null) {}

  /** A watch on `dir`; one that never trusts where the platform or file system is not known to fit. */
  static open(dir: string): DirWatch {
    if (process.platform !== 'linux') return new DirWatch(null);
    let fd: number | null = null;
    try {
      if (!TRUSTED_FILE_SYSTEMS.has(fs.statfsSync(dir).type)) return new DirWatch(null);
      fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      if (fd !== null) fs.closeSync(fd);
      return new DirWatch(null);
    }
    return new DirWatch(fd);
  }

  /**
   * True when nothing in the directory changed since a full check passed: the caller may skip its
   * own. False means: make the full check, and call confirm() if it passes.
   */
  unchanged(): boolean {
    if (this.fd === null) return false;
    let st: fs.Stats;
    try {
      // Not { bigint: true }: three BigInt stats were 4.3 of a one-row commit's 28.6 KB of garbage
      // (allocation profile), three of these 2.7.
      st = fs.fstatSync(this.fd);
    } catch {
      this.seen = null;
      return false;
    }
    this.seenAt = Date.now();
    this.seen = st.nlink > 0 ? st.ctimeMs : null;
    if (this.seen === null || this.seen !== this.trusted) {
      this.trusted = null;
      return false;
    }
    this.spared++;
    return true;
  }

  /**
   * The caller's full check, made after unchanged() returned false, passed: trust the ctime that
   * unchanged() read, if it is settled (changes after the read cannot share its tick).
   */
  confirm(): void {
    if (this.seen !== null && this.seen < this.seenAt - dirWatchPolicy.settleMs) this.trusted = this.seen;
  }

  close(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // closed already
    }
    this.fd = null;
    this.trusted = null;
  }
}
