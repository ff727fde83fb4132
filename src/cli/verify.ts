/**
 * `verify <file>`: runs every check in check-file.ts and prints what was checked, or each
 * problem with its offset. A progress bar (cli-progress) shows on stderr when it is a terminal.
 */
import { SingleBar } from 'cli-progress';
import { verifyDatabaseFile } from './check-file';
import type { Phase, VerifyReport } from './check-file';
import { EXIT, style } from './io';
import type { ExitCode, Io } from './io';
import { requireFile } from './open';

export { verifyDatabaseFile } from './check-file';

const PHASE_LABEL: Record<Phase, string> = { frames: 'frames ', replay: 'replay ', rows: 'rows   ' };

export function verifyCommand(io: Io, file: string, opts: { json?: boolean; progress?: boolean }): ExitCode {
  requireFile(file);
  const showBar = opts.progress !== false && io.stderrTty;
  let bar: SingleBar | null = null;
  let phase: Phase | null = null;
  const report = verifyDatabaseFile(file, (p, done, total) => {
    if (!showBar) return;
    if (p !== phase) {
      bar?.stop();
      phase = p;
      bar = new SingleBar({
        format: `${PHASE_LABEL[p]} [{bar}] {percentage}% {value}/{total}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      });
      bar.start(Math.max(total, 1), 0);
    }
    bar?.update(Math.min(done, Math.max(total, 1)));
  });
  (bar as SingleBar | null)?.stop();
  if (opts.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else printVerify(io, report);
  return report.problems.length > 0 ? EXIT.DAMAGED : EXIT.OK;
}

function printVerify(io: Io, r: VerifyReport): void {
  const s = style(io, 'out');
  for (const note of r.notes) io.out(`${s.dim(`note: ${note}`)}\n`);
  if (r.problems.length > 0) {
    for (const p of r.problems)
      io.out(`${s.red('damage')} ${p.offset === null ? '' : `at offset ${p.offset}: `}${p.reason}\n`);
    const first = r.problems[0];
    const where = first.offset === null ? '' : ` (offset ${first.offset})`;
    io.err(
      `${style(io, 'err').red('modelvault:')} FormatError CORRUPT: ${r.file}: ${r.problems.length} ` +
        `problem${r.problems.length === 1 ? '' : 's'} found, the first: ${first.reason}${where}\n`,
    );
    return;
  }
  io.out(
    `${s.green('ok')} ${r.file}: ${r.framesChecked} frames (${r.checkpointsChecked} checkpoint${r.checkpointsChecked === 1 ? '' : 's'}), ` +
      `${r.transactions} transactions, ${r.collections} collection${r.collections === 1 ? '' : 's'}, ` +
      `${r.rowsChecked} rows, ${r.indexEntriesChecked} index entries checked\n`,
  );
}
