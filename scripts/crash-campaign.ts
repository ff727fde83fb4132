/**
 * Extended SIGKILL crash campaign (docs/operations.md, "Crash campaign"):
 *
 *   npm run crash -- --kills N [--seed S] [--dir D] [--fresh-every R] [--out [FILE]]
 *
 * Prints a summary; exit code 1 if any acknowledged commit was lost or anything else failed.
 * `--dir` keeps the database files there (and copies of failing ones under failures/); without
 * it a temporary directory is used and removed unless something failed. `--out` writes the result
 * as JSON (default bench/results/crash-campaign-<date>.json).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCampaign } from './crash/campaign';
import type { CampaignResult } from './crash/campaign';

interface Args {
  kills: number;
  seed: number;
  dir: string | null;
  freshEvery: number;
  out: string | null;
}

const USAGE = 'usage: npm run crash -- --kills N [--seed S] [--dir D] [--fresh-every R] [--out [FILE]]';

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { kills: 1000, seed: Date.now() % 2 ** 31, dir: null, freshEvery: 25, out: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const count = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) usage(`${flag} needs a non-negative integer`);
      i++;
      return n;
    };
    switch (flag) {
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      case '--kills':
        args.kills = count();
        break;
      case '--seed':
        args.seed = count();
        break;
      case '--fresh-every':
        args.freshEvery = Math.max(1, count());
        break;
      case '--dir':
        if (!value) usage('--dir needs a directory');
        args.dir = path.resolve(value);
        i++;
        break;
      case '--out':
        if (value && !value.startsWith('--')) {
          args.out = path.resolve(value);
          i++;
        } else {
          const stamp = new Date().toISOString().replace(/[:.]/g, '-');
          args.out = path.resolve(__dirname, '..', '..', 'bench', 'results', `crash-campaign-${stamp}.json`);
        }
        break;
      default:
        usage(`unknown argument ${flag}`);
    }
  }
  return args;
}

function summary(r: CampaignResult): string {
  const t = r.byTrigger;
  const l = r.byLanding;
  return [
    `crash campaign, seed ${r.seed}: ${r.kills} SIGKILLs over ${r.files} database files in ${(r.wallMs / 1000).toFixed(1)} s`,
    `  kills aimed at:     random moment ${t.random}, transaction ${t.commit}, checkpoint() ${t.checkpoint}, compact() ${t.compact}, close() ${t.close}, op never came ${t.timeout}`,
    `  kills landed in:    transaction ${l.txn}, checkpoint() ${l.checkpoint}, compact() ${l.compact}, close() ${l.close}, open/recovery ${l.open}, between steps ${l.between}`,
    `                      (aimed kills whose transaction or call had already returned: ${r.aimedCallReturnedBeforeKill})`,
    `  acknowledged:       ${r.acknowledgedCommits} commits, ${r.acknowledgedRollbacks} rollbacks, ${r.acknowledgedMaintenance} checkpoint/compact/close calls`,
    `  rows compared:      ${r.rowsCompared}`,
    `  in-flight txn durable though unacknowledged: ${r.unacknowledgedButDurable}; torn tails cut by recovery: ${r.tornTailsCut}`,
    `  new files killed before their header, unreadable read-only (allowed): ${r.newFileNotReadable}`,
    `  LOST commits:       ${r.lost} (${r.lostRows} rows)`,
    `  PARTIAL txns:       ${r.partial}`,
    `  phantom rows ${r.phantom}, corrupt rows ${r.corrupt}, recovery errors ${r.recoveryErrors}, index mismatches ${r.indexMismatches}, worker errors ${r.workerErrors}`,
    `  leftover *.compact-*.tmp: at most ${r.leftoverCompactTmpAfterKillMax} beside one file right after a kill, ${r.leftoverCompactTmpAfterReopenMax} after the next open (at most ${(r.leftoverCompactTmpBytesMax / 1048576).toFixed(1)} MiB); ${r.leftoverCompactTmpTotal} over the run (not a failure)`,
    ...r.failures
      .slice(0, 20)
      .map(
        (f) =>
          `  FAILED round ${f.round} (${f.copy ?? f.file}; worker: node ${f.workerArgs.join(' ')}):\n    ${f.problems.slice(0, 8).join('\n    ')}`,
      ),
    r.ok ? 'OK' : 'FAILED',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mv-crash-'));
  process.stdout.write(`crash campaign: ${args.kills} kills, seed ${args.seed}, files in ${dir}\n`);
  // The commit tested (taken now: a long run may outlive it), so a result can be told apart from
  // later runs on other code.
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  const commit = head.status === 0 ? head.stdout.trim() : null;
  const result = await runCampaign({
    kills: args.kills,
    seed: args.seed,
    dir,
    freshEvery: args.freshEvery,
    log: (line) => process.stdout.write(`  ${line}\n`),
  });
  process.stdout.write(`${summary(result)}\n`);
  if (args.out) {
    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(
      args.out,
      `${JSON.stringify({ date: new Date().toISOString(), commit, node: process.version, ...result }, null, 2)}\n`,
    );
    process.stdout.write(`result written to ${args.out}\n`);
  }
  // A failing run keeps its files for the post-mortem; a temporary directory is otherwise removed.
  if (!args.dir && result.ok) fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
