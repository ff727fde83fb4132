// Preloaded (node --require) into a CLI child by test/cli/full-disk.test.ts: files opened under
// MV_FULL_DIR may hold MV_FULL_BYTES bytes each; a write past that writes what fits, then fails
// with ENOSPC as a full disk does. Everything else is untouched.
'use strict';
const fs = require('node:fs');
const nodePath = require('node:path');

const dir = process.env.MV_FULL_DIR;
const cap = Number(process.env.MV_FULL_BYTES || 0);
const limited = new Map(); // fd -> bytes it holds
const realOpen = fs.openSync;
const realWrite = fs.writeSync;
const realClose = fs.closeSync;

fs.openSync = function openSync(path, ...rest) {
  const fd = realOpen.call(fs, path, ...rest);
  if (dir && typeof path === 'string' && nodePath.resolve(path).startsWith(dir)) limited.set(fd, 0);
  return fd;
};
fs.closeSync = function closeSync(fd) {
  limited.delete(fd);
  return realClose.call(fs, fd);
};
fs.writeSync = function writeSync(fd, buffer, ...rest) {
  if (!limited.has(fd)) return realWrite.call(fs, fd, buffer, ...rest);
  const bytes = typeof buffer === 'string' ? Buffer.from(buffer) : buffer;
  const offset = typeof buffer === 'string' ? 0 : (rest[0] ?? 0);
  const length = typeof buffer === 'string' ? bytes.length : (rest[1] ?? bytes.length - offset);
  const position = typeof buffer === 'string' ? rest[0] : rest[2];
  const at = typeof position === 'number' ? position : limited.get(fd);
  const room = cap - at;
  if (room <= 0) {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
    });
  }
  const n = realWrite.call(
    fs,
    fd,
    bytes,
    offset,
    Math.min(length, room),
    typeof position === 'number' ? position : null,
  );
  limited.set(fd, Math.max(limited.get(fd), at + n));
  return n;
};
