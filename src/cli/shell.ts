/**
 * The interactive shell, `modelvault <file>`: SQL statements end with `;` and may span lines;
 * dot-commands (.help lists them) work at the start of a statement. On a terminal it keeps a
 * history (~/.modelvault_history, or $MODELVAULT_HISTORY); with input piped in it runs the
 * script, goes on after errors, and exits 1 if any statement failed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Connection } from '../../cursor/index';
import { LockError } from '../errors';
import { openReader, openWriter } from './open';
import { runStatement } from './sql';
import { isFormat, FORMATS } from './results';
import type { Format } from './results';
import { splitStatements } from './statements';
import { EXIT, errorLine, style } from './io';
import type { ExitCode, Io } from './io';

const HELP = `.explain on|off      show each statement's query plan before running it
.help                this list
.indexes [TABLE]     index names (of TABLE)
.mode [FORMAT]       output format: ${FORMATS.join(', ')}
.quit, .exit         leave the shell
.read FILE           run the SQL statements in FILE
.schema [TABLE]      CREATE statements (of TABLE)
.tables              table names
.timer on|off        print how long each statement took
SQL statements end with ';' and may span several lines.
`;

const HISTORY_LINES = 1000;

interface ShellState {
  conn: Connection;
  format: Format;
  explain: boolean;
  timer: boolean;
  failed: boolean;
  quit: boolean;
}

export async function shellCommand(io: Io, file: string): Promise<ExitCode> {
  const interactive = process.stdin.isTTY === true && io.stdoutTty;
  let conn: Connection;
  try {
    conn = openWriter(file, {}, true);
  } catch (err) {
    // Another process writes the file: still useful for reading.
    if (!(err instanceof LockError)) throw err;
    conn = openReader(file);
    io.err(`${style(io, 'err').yellow('note:')} another process is writing ${file}; opened read-only\n`);
  }
  const state: ShellState = {
    conn,
    format: 'table',
    explain: false,
    timer: false,
    failed: false,
    quit: false,
  };
  const historyFile = io.env.MODELVAULT_HISTORY ?? path.join(os.homedir(), '.modelvault_history');
  const rl = readline.createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
    historySize: HISTORY_LINES,
    history: interactive ? loadHistory(historyFile) : [],
  });
  if (interactive) io.out(`ModelVault shell on ${file}. Statements end with ';'. .help lists commands.\n`);
  let buffer = '';
  const prompt = (): void => {
    if (!interactive) return;
    rl.setPrompt(buffer ? '   ...> ' : 'modelvault> ');
    rl.prompt();
  };
  prompt();
  try {
    for await (const line of rl) {
      if (!buffer && line.trim().startsWith('.')) {
        await dotCommand(io, state, line.trim());
      } else {
        buffer = buffer ? `${buffer}\n${line}` : line;
        const { statements, rest } = splitStatements(buffer);
        buffer = rest;
        for (const sql of statements) runOne(io, state, sql);
      }
      if (state.quit) break;
      prompt();
    }
    if (buffer.trim() && !state.quit) runOne(io, state, buffer);
  } finally {
    rl.close();
    if (interactive) saveHistory(historyFile, rl);
    state.conn.close();
  }
  return state.failed && !interactive ? EXIT.ERROR : EXIT.OK;
}

function runOne(io: Io, state: ShellState, sql: string): void {
  const started = process.hrtime.bigint();
  try {
    if (state.explain && !/^\s*EXPLAIN\b/i.test(sql))
      runStatement(io, state.conn, `EXPLAIN ${sql}`, [], 'table');
    runStatement(io, state.conn, sql, [], state.format);
  } catch (err) {
    state.failed = true;
    io.err(`${style(io, 'err').red('error:')} ${errorLine(err)}\n`);
  }
  if (state.timer) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    io.out(`${style(io, 'out').dim(`Run Time: ${ms.toFixed(3)} ms`)}\n`);
  }
}

async function dotCommand(io: Io, state: ShellState, line: string): Promise<void> {
  const [cmd, ...args] = line.split(/\s+/);
  const arg = args.join(' ');
  const onOff = (): boolean | null => (arg === 'on' ? true : arg === 'off' ? false : null);
  switch (cmd) {
    case '.quit':
    case '.exit':
      state.quit = true;
      return;
    case '.help':
      io.out(HELP);
      return;
    case '.tables':
      return query(io, state, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    case '.schema':
      return query(
        io,
        state,
        arg
          ? `SELECT sql FROM sqlite_master WHERE tbl_name = ${quoteText(arg)} AND sql IS NOT NULL ORDER BY type DESC, name`
          : 'SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY tbl_name, type DESC, name',
        true,
      );
    case '.indexes':
    case '.indices':
      return query(
        io,
        state,
        `SELECT name FROM sqlite_master WHERE type = 'index'${arg ? ` AND tbl_name = ${quoteText(arg)}` : ''} ORDER BY name`,
      );
    case '.mode':
      if (!arg) io.out(`${state.format}\n`);
      else if (isFormat(arg)) state.format = arg;
      else fail(io, state, `.mode: expected one of ${FORMATS.join(', ')}`);
      return;
    case '.explain':
    case '.timer': {
      const v = onOff();
      if (v === null) fail(io, state, `${cmd}: expected on or off`);
      else if (cmd === '.explain') state.explain = v;
      else state.timer = v;
      return;
    }
    case '.read': {
      if (!arg) return fail(io, state, '.read: expected a file name');
      let text: string;
      try {
        text = fs.readFileSync(arg, 'utf8');
      } catch (err) {
        return fail(io, state, errorLine(err));
      }
      const { statements, rest } = splitStatements(text);
      for (const sql of rest ? [...statements, rest] : statements) runOne(io, state, sql);
      return;
    }
    default:
      fail(io, state, `unknown command ${cmd}; .help lists the commands`);
  }
}

/** A catalog listing: one value per line, as the sqlite3 shell shows them. */
function query(io: Io, state: ShellState, sql: string, statements = false): void {
  try {
    const rows = state.conn.execute(sql).fetchAll() as unknown[][];
    for (const [v] of rows) io.out(`${String(v)}${statements ? ';' : ''}\n`);
  } catch (err) {
    fail(io, state, errorLine(err));
  }
}

function fail(io: Io, state: ShellState, message: string): void {
  state.failed = true;
  io.err(`${style(io, 'err').red('error:')} ${message}\n`);
}

function quoteText(s: string): string {
  return `'${s.split("'").join("''")}'`;
}

function loadHistory(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_LINES);
  } catch {
    return [];
  }
}

function saveHistory(file: string, rl: readline.Interface): void {
  const lines = (rl as unknown as { history?: string[] }).history ?? [];
  try {
    fs.writeFileSync(file, `${lines.slice(0, HISTORY_LINES).reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience: an unwritable home directory must not fail the session.
  }
}
