/**
 * What every command shares about talking to the terminal: exit codes, the one error line format,
 * and colors (only on a TTY, never with NO_COLOR). Commands write through `Io` so tests and the
 * shell can capture output, and so EPIPE on a closed pipe (`modelvault sql … | head`) ends quietly.
 */
import { ModelVaultError } from '../errors';

/** Exit codes (docs/cli.md). */
export const EXIT = {
  OK: 0,
  /** The command failed: a database error, a missing file, a refused write. */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing argument, bad option value. */
  USAGE: 2,
  /** `verify` found damage (or `salvage` could not read everything). */
  DAMAGED: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command-line mistake the user must fix (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout / stderr are terminals (progress bars, colors, table widths). */
  readonly stdoutTty: boolean;
  readonly stderrTty: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    stdoutTty: process.stdout.isTTY === true,
    stderrTty: process.stderr.isTTY === true,
    env: process.env,
  };
}

/** Colors on when the stream is a terminal and NO_COLOR is unset or empty (no-color.org). */
export function colorsOn(io: Io, stream: 'out' | 'err'): boolean {
  const noColor = io.env.NO_COLOR;
  if (noColor !== undefined && noColor !== '') return false;
  return stream === 'out' ? io.stdoutTty : io.stderrTty;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

const PLAIN: Style = { bold: id, dim: id, red: id, green: id, yellow: id };
const ANSI: Style = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
};

function id(s: string): string {
  return s;
}

export function style(io: Io, stream: 'out' | 'err'): Style {
  return colorsOn(io, stream) ? ANSI : PLAIN;
}

/**
 * The one line an error is reported as: `modelvault: <ErrorClass> <code>: message`. Node's own
 * errors (a missing file) show their errno code; anything else its class name alone.
 */
export function errorLine(err: unknown): string {
  if (err instanceof ModelVaultError) {
    const offset = err.offset !== undefined && !err.message.includes(`offset ${err.offset}`);
    return `${err.constructor.name} ${err.code}: ${err.message}${offset ? ` (offset ${err.offset})` : ''}`;
  }
  if (err instanceof UsageError) return `usage: ${err.message}`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code
      ? `${err.constructor.name} ${code}: ${err.message}`
      : `${err.constructor.name}: ${err.message}`;
  }
  return `Error: ${String(err)}`;
}

export function reportError(io: Io, err: unknown): ExitCode {
  const s = style(io, 'err');
  io.err(`${s.red('modelvault:')} ${errorLine(err)}\n`);
  return err instanceof UsageError ? EXIT.USAGE : EXIT.ERROR;
}
