#!/usr/bin/env node
/** The `modelvault` command (docs/cli.md). */
import '../startup/begin';
import { run } from './program';
import { processIo } from './io';
import '../startup/end';

// EPIPE (`modelvault sql … | head`) is the reader leaving early, not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

void run(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
