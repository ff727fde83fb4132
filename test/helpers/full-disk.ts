/**
 * A simulated full disk for tests: a spy on `fs.writeSync` lets each file `covers` accepts grow
 * up to `capacity.bytes`, writes what fits of a write that crosses it, then fails with ENOSPC as
 * the kernel does. Restored by jest.restoreAllMocks().
 */
import * as fs from 'node:fs';
// The module object itself (not the namespace copy `import *` makes): what the spy replaces.
import fsModule from 'node:fs';

type WriteSync = (
  fd: number,
  buffer: NodeJS.ArrayBufferView,
  offset: number,
  length: number,
  position: number,
) => number;

const realWriteSync = fsModule.writeSync.bind(fsModule) as unknown as WriteSync;

export function noSpace(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/** Counts the writes it refused (cut short or failed) in `capacity.refused`. */
export function limitDisk(
  covers: (fd: number) => boolean,
  capacity: { bytes: number; refused: number },
): { bytes: number; refused: number } {
  const write: WriteSync = (fd, buffer, offset, length, position) => {
    if (typeof position === 'number' && covers(fd)) {
      const room = capacity.bytes - position;
      if (room <= 0 || length > room) capacity.refused++;
      if (room <= 0) throw noSpace();
      if (length > room) return realWriteSync(fd, buffer, offset, room, position);
    }
    return realWriteSync(fd, buffer, offset, length, position);
  };
  jest.spyOn(fsModule, 'writeSync').mockImplementation(write as unknown as typeof fs.writeSync);
  return capacity;
}

/** covers() for the database file `file` (its inode, as long as it is not replaced). */
export function theFile(file: string): (fd: number) => boolean {
  const ino = fs.statSync(file).ino;
  return (fd) => fs.fstatSync(fd).ino === ino;
}
