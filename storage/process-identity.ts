/**
 * Who a lock owner is, and whether it still runs. A writer lock records its owner's pid, host,
 * boot id and process start time; another process takes the lock over only when that owner is
 * provably gone. A pid alone is not enough (pids are reused), a timestamp is wrong (a busy process
 * is alive), so on Linux the start time read from /proc tells a reused pid apart and the boot id
 * tells a lock left behind before a reboot. Ground floor: imports nothing of the engine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Kernel boot id ('' where the platform has none). */
  boot: string;
  /** Process start time in clock ticks since boot ('' where the platform has none). */
  start: string;
}

export type Liveness = 'alive' | 'dead' | 'foreign';

function readBootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

let self: ProcessIdentity | null = null;

export function currentProcess(): ProcessIdentity {
  self ??= {
    pid: process.pid,
    host: os.hostname(),
    boot: readBootId(),
    start: processStartTime(process.pid) ?? '',
  };
  return self;
}

/**
 * Whether the process `owner` describes is still running. A process on another host cannot be
 * probed ('foreign'): such a lock is never taken over automatically.
 */
export function liveness(owner: ProcessIdentity): Liveness {
  const me = currentProcess();
  if (owner.host !== me.host) return 'foreign';
  if (owner.boot !== '' && me.boot !== '' && owner.boot !== me.boot) return 'dead';
  if (owner.pid === me.pid) return owner.start === me.start ? 'alive' : 'dead';
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user; it is alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  if (owner.start !== '') {
    const start = processStartTime(owner.pid);
    if (start === null) {
      // /proc says nothing about a pid that kill(0) found: it exited between the two calls.
      if (fs.existsSync('/proc/self/stat')) return 'dead';
    } else if (start !== owner.start) {
      return 'dead'; // the pid was reused by a newer process
    }
  }
  return 'alive';
}

/** Whether a bare pid (from a leftover file's name) is a running process on this host. */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
