/**
 * The command line: commander wiring only. Each command's work lives in its own module; this
 * one turns options into calls, errors into the one-line format and both into exit codes.
 */
import * as fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, UsageError, reportError } from './io';
import type { ExitCode, Io } from './io';
import { inspectFile, printCatalog, printInspect, readCatalog } from './inspect';
import { backupCommand, checkpointCommand, compactCommand, restoreCommand } from './maintenance';
import { runSqlCommand } from './sql';
import { FORMATS } from './results';
import type { Format } from './results';
import { verifyCommand } from './verify';
import { dumpCommand } from './dump';
import { exportCommand, importCommand } from './transfer';
import { salvageCommand } from './salvage';
import { shellCommand } from './shell';
import { migrateCommand, typesCommand } from './models';
import { version } from '../version';

function milliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number of milliseconds');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const busyOption = (): Option =>
  new Option('--busy-timeout <ms>', "wait up to <ms> for another writer's lock").argParser(milliseconds);

export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const program = new Command('modelvault');
  program
    .description('Inspect, verify, query, back up and repair ModelVault database files.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`modelvault: usage: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showHelpAfterError('(modelvault --help lists the commands)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 error, 2 usage, 3 damage found (verify, salvage).\nDocs: docs/cli.md',
    )
    .argument('[file]', 'open the interactive SQL shell on <file>')
    .action(async (file: string | undefined) => {
      if (file === undefined) {
        program.outputHelp({ error: true });
        code = EXIT.USAGE;
        return;
      }
      // A mistyped command must not create a database named after it.
      if (!fs.existsSync(file) && !/[./\\]/.test(file))
        throw new UsageError(
          `unknown command '${file}' (to create a database, give a file name such as ${file}.modelvault)`,
        );
      code = await shellCommand(io, file);
    });

  program
    .command('inspect')
    .description('show the format version, size, collections, indexes, checkpoint and log state')
    .argument('<file>', 'database file')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const report = inspectFile(file);
      if (opts.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else printInspect(io, report);
    });

  program
    .command('dump-catalog')
    .description('print every collection schema and index')
    .argument('<file>', 'database file')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const catalog = readCatalog(file);
      if (opts.json) io.out(`${JSON.stringify(catalog, null, 2)}\n`);
      else printCatalog(io, catalog);
    });

  program
    .command('checkpoint')
    .description('write a checkpoint so the next open replays only what follows it')
    .argument('<file>', 'database file')
    .addOption(busyOption())
    .action((file: string, opts: { busyTimeout?: number }) => {
      checkpointCommand(io, file, { busyTimeoutMs: opts.busyTimeout });
    });

  program
    .command('compact')
    .description('rewrite the file with only its live state (in place, or into --to)')
    .argument('<file>', 'database file')
    .option('--to <dest>', 'write the compacted copy to <dest> and leave <file> as it is')
    .addOption(busyOption())
    .action((file: string, opts: { to?: string; busyTimeout?: number }) => {
      compactCommand(io, file, opts.to, { busyTimeoutMs: opts.busyTimeout });
    });

  program
    .command('sql')
    .description('run SQL statements and print their results')
    .argument('<file>', 'database file (created when a statement writes to a missing file)')
    .argument('<statement>', 'SQL text; several statements separated by ; run in order')
    .argument('[params...]', 'values for ? placeholders of the last statement')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option(
      '-p, --param <name=value>',
      'a value for a named placeholder (:name, @name, $name); repeatable',
      collect,
      [],
    )
    .option('--readonly', 'open read-only even for statements that could write')
    .addOption(busyOption())
    .action(
      (
        file: string,
        statement: string,
        params: string[],
        opts: { format: Format; param: string[]; readonly?: boolean; busyTimeout?: number },
      ) => {
        runSqlCommand(io, file, statement, params, {
          format: opts.format,
          named: opts.param,
          readonly: opts.readonly,
          busyTimeoutMs: opts.busyTimeout,
        });
      },
    );

  program
    .command('verify')
    .description('check every frame, checkpoint, row and index; exit 3 on damage')
    .argument('<file>', 'database file')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .action((file: string, opts: { json?: boolean; progress?: boolean }) => {
      code = verifyCommand(io, file, opts);
    });

  program
    .command('backup')
    .description('copy the committed state to <dest> while writers go on')
    .argument('<file>', 'database file')
    .requiredOption('--to <dest>', 'backup file to write (replaced atomically)')
    .option('--verify', 'verify the backup after writing it')
    .action((file: string, opts: { to: string; verify?: boolean }) => {
      backupCommand(io, file, opts.to, opts.verify === true);
    });

  program
    .command('restore')
    .description('replace --to <file> with the backup <backup> (refused while a writer has it open)')
    .argument('<backup>', 'backup file')
    .requiredOption('--to <file>', 'database file to replace')
    .action((backup: string, opts: { to: string }) => {
      restoreCommand(io, backup, opts.to);
    });

  program
    .command('dump')
    .description('print the schema and data as SQL that sqlite3 or psql loads')
    .argument('<file>', 'database file')
    .addOption(
      new Option('--dialect <dialect>', 'SQL dialect').choices(['sqlite', 'postgres']).default('sqlite'),
    )
    .option('--table <name...>', 'dump only these tables')
    .action((file: string, opts: { dialect: 'sqlite' | 'postgres'; table?: string[] }) => {
      dumpCommand(io, file, opts.dialect, opts.table);
    });

  program
    .command('import')
    .description('insert rows from a CSV or JSON Lines file into <table>')
    .argument('<file>', 'database file')
    .argument('<table>', 'table to insert into (created from the input when missing)')
    .argument('<input>', 'CSV or JSON Lines file; - reads standard input')
    .addOption(
      new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'jsonl']),
    )
    .option('--batch <rows>', 'rows per transaction', positiveCount, 10000)
    .addOption(busyOption())
    .action(
      async (
        file: string,
        table: string,
        input: string,
        opts: { format?: 'csv' | 'jsonl'; batch: number; busyTimeout?: number },
      ) => {
        await importCommand(io, file, table, input, opts);
      },
    );

  program
    .command('export')
    .description('write a table or query result as CSV, JSON Lines or JSON, streamed')
    .argument('<file>', 'database file')
    .argument('<source>', 'table name, or a SELECT statement')
    .addOption(
      new Option('--format <format>', 'output format').choices(['csv', 'jsonl', 'json']).default('csv'),
    )
    .option('--to <out>', 'write to <out> instead of standard output')
    .action((file: string, source: string, opts: { format: Format; to?: string }) => {
      exportCommand(io, file, source, opts);
    });

  program
    .command('salvage')
    .description('copy every readable committed row of a damaged file into a new file')
    .argument('<file>', 'damaged database file (never modified)')
    .requiredOption('--to <dest>', 'new database file to write')
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { to: string; json?: boolean }) => {
      code = salvageCommand(io, file, opts.to, opts.json === true);
    });

  program
    .command('types')
    .description('print TypeScript row interfaces for every table (docs/models.md)')
    .argument('<file>', 'database file')
    .option('--document', 'the nested shape db.get() returns instead of SQL result rows')
    .option('--bigint', '64-bit integers as bigint (connections opened with safeIntegers)')
    .action((file: string, opts: { document?: boolean; bigint?: boolean }) => {
      typesCommand(io, file, opts);
    });

  const migrate = program
    .command('migrate')
    .description('compare models with the catalog, and apply them (docs/migrations.md)');
  migrate
    .command('plan')
    .description(
      'classify what each exported model would change, with row counts; exit 1 unless all compatible',
    )
    .argument('<file>', 'database file')
    .argument('<models>', 'CommonJS module (.js) exporting models built with model() or fromZod()')
    .option('--json', 'print the plans as JSON')
    .action((file: string, models: string, opts: { json?: boolean }) => {
      if (!migrateCommand(io, file, models, 'plan', opts)) code = EXIT.ERROR;
    });
  migrate
    .command('apply')
    .description(
      'apply compatible changes; with --force also migrations and breaking changes once every row fits',
    )
    .argument('<file>', 'database file (created when missing)')
    .argument('<models>', 'CommonJS module (.js) exporting models built with model() or fromZod()')
    .option(
      '--force',
      'apply changes that need a migration or break (drop, rename, retype) once every row fits',
    )
    .addOption(busyOption())
    .action((file: string, models: string, opts: { force?: boolean; busyTimeout?: number }) => {
      migrateCommand(io, file, models, 'apply', { force: opts.force, busyTimeoutMs: opts.busyTimeout });
    });

  program
    .command('shell')
    .description('interactive SQL shell (same as modelvault <file>)')
    .argument('<file>', 'database file')
    .action(async (file: string) => {
      code = await shellCommand(io, file);
    });

  for (const cmd of [...program.commands, ...migrate.commands]) {
    cmd.helpOption('-h, --help', 'show help for this command');
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    // Commander has already printed its message (help and --version exit 0, mistakes 2).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    return reportError(io, err);
  }
}
