/**
 * SIGKILL crash campaign (SPEC §10 crash safety), the long form of test/storage/crash.test.ts.
 * Each round starts a writer process (worker.ts) on the round's database file, kills it with
 * SIGKILL at a random moment or right as it enters checkpoint(), compact() or close(), then
 * reopens the file as a user would and checks it against a model of everything the writer
 * acknowledged: every acknowledged commit present with exactly its data, the one transaction that
 * was in flight either entirely there or entirely absent, rolled-back work nowhere. The next round
 * writes on the same file, so recovery is tested on files with a long history; every
 * `freshEvery` rounds a new file starts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, connect } from '../../src/index';
import {
  applyPlan,
  applyPlanInPlace,
  COLLECTIONS,
  emptyState,
  intBetween,
  mix,
  noteFor,
  parseLine,
  rng,
} from './workload';
import type { CollectionName, MaintenanceOp, Plan, State } from './workload';

export interface CampaignOptions {
  kills: number;
  seed: number;
  /** Directory for the database files (created if missing). */
  dir: string;
  /** Start a new database file every this many rounds. Default 25. */
  freshEvery?: number;
  /** Progress lines (one every 50 kills); none when omitted. */
  log?: (line: string) => void;
  /** Built worker script; the default is dist/scripts/crash/worker.js of this package. */
  worker?: string;
}

export type Trigger = 'random' | 'commit' | MaintenanceOp | 'timeout';
/** Where the worker was when it died, from the last lines it wrote. */
export type Landing = 'open' | 'txn' | MaintenanceOp | 'between';

export interface Failure {
  round: number;
  file: string;
  /** A copy of the file as the killed worker left it, taken before anything reopened it for writing. */
  copy: string | null;
  /** The worker's command line: rerunning it on the copy replays the round's choices (not its timing). */
  workerArgs: string[];
  problems: string[];
}

export interface CampaignResult {
  seed: number;
  kills: number;
  byTrigger: Record<Trigger, number>;
  byLanding: Record<Landing, number>;
  /** Aimed kills whose transaction or call had already returned when the worker died. */
  aimedCallReturnedBeforeKill: number;
  /** Data transactions acknowledged (commit returned), each checked after the kill ending its round. */
  acknowledgedCommits: number;
  acknowledgedRollbacks: number;
  acknowledgedMaintenance: number;
  /** Rows compared with the model over all rounds (a surviving row is checked again every round). */
  rowsCompared: number;
  /** In-flight transactions found complete in the file although never acknowledged (allowed). */
  unacknowledgedButDurable: number;
  /** Recoveries that cut a torn tail off the file. */
  tornTailsCut: number;
  /** Kills during the file's creation that left it unreadable read-only (allowed: nothing was acknowledged). */
  newFileNotReadable: number;
  /** Acknowledged commits with at least one row missing, stale or resurrected. */
  lost: number;
  lostRows: number;
  /** In-flight transactions partly visible. */
  partial: number;
  /** Rows no acknowledged or in-flight transaction wrote (rolled-back work, garbage). */
  phantom: number;
  /** Rows whose content is not what their transaction wrote. */
  corrupt: number;
  /** Opens that threw, opens that disagreed, index lookups that disagreed with the rows. */
  recoveryErrors: number;
  indexMismatches: number;
  /** Workers that exited by themselves (an error in the writer) instead of being killed. */
  workerErrors: number;
  /**
   * `<file>.compact-<pid>.tmp` files beside the database: most at once right after a kill, most at
   * once after the next writer opened the file (which should remove dead processes' ones), and
   * how many different ones appeared over the run.
   */
  leftoverCompactTmpAfterKillMax: number;
  leftoverCompactTmpAfterReopenMax: number;
  leftoverCompactTmpBytesMax: number;
  leftoverCompactTmpTotal: number;
  files: number;
  wallMs: number;
  failures: Failure[];
  ok: boolean;
}

/** What the parent learned from one worker's stdout. */
interface RoundLog {
  sawReady: boolean;
  lastTag: string;
  lastDone: MaintenanceOp | null;
  /** The transaction announced and not acknowledged when the worker died. */
  inFlight: { txn: number; plan: Plan } | null;
  openOp: MaintenanceOp | null;
  killed: boolean;
  /** The transaction or call the kill was aimed at returned before the worker died. */
  aimedCallReturned: boolean;
  args: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

interface Readback {
  state: State;
  corrupt: string[];
}

/** How a file read back compares with the model. */
interface Verdict {
  problems: string[];
  lostTxns: Set<number>;
  lostRows: number;
  partial: boolean;
  phantom: number;
  inFlightApplied: boolean;
}

const TRIGGERS: readonly Trigger[] = ['random', 'commit', 'checkpoint', 'compact', 'close', 'timeout'];
const LANDINGS: readonly Landing[] = ['open', 'txn', 'checkpoint', 'compact', 'close', 'between'];

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

const message = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

export function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  return new Campaign(opts).run();
}

class Campaign {
  private readonly result: CampaignResult;
  private readonly rand: () => number;
  private readonly freshEvery: number;
  private readonly worker: string;
  private readonly leftoversSeen = new Set<string>();
  private file = '';
  private model: State = emptyState();
  /** Which acknowledged transaction deleted a row, so a row that comes back is blamed on it. */
  private deletedBy = new Map<string, number>();
  private nextTxn = 1;
  private nextId = 1;
  /** Commits acknowledged on the current file (a file of only no-op deletes still must exist). */
  private fileAcks = 0;
  private needFresh = true;
  private lastArgs: string[] = [];

  constructor(private readonly opts: CampaignOptions) {
    this.rand = rng(opts.seed);
    this.freshEvery = opts.freshEvery ?? 25;
    this.worker = opts.worker ?? path.join(packageRoot(), 'dist', 'scripts', 'crash', 'worker.js');
    this.result = {
      seed: opts.seed,
      kills: 0,
      byTrigger: zeroed(TRIGGERS),
      byLanding: zeroed(LANDINGS),
      aimedCallReturnedBeforeKill: 0,
      acknowledgedCommits: 0,
      acknowledgedRollbacks: 0,
      acknowledgedMaintenance: 0,
      rowsCompared: 0,
      unacknowledgedButDurable: 0,
      tornTailsCut: 0,
      newFileNotReadable: 0,
      lost: 0,
      lostRows: 0,
      partial: 0,
      phantom: 0,
      corrupt: 0,
      recoveryErrors: 0,
      indexMismatches: 0,
      workerErrors: 0,
      leftoverCompactTmpAfterKillMax: 0,
      leftoverCompactTmpAfterReopenMax: 0,
      leftoverCompactTmpBytesMax: 0,
      leftoverCompactTmpTotal: 0,
      files: 0,
      wallMs: 0,
      failures: [],
      ok: false,
    };
  }

  async run(): Promise<CampaignResult> {
    const started = Date.now();
    const r = this.result;
    if (!fs.existsSync(this.worker)) throw new Error(`${this.worker} is missing: run npm run build first`);
    fs.mkdirSync(this.opts.dir, { recursive: true });
    for (let round = 0; round < this.opts.kills; round++) {
      if (this.needFresh || round % this.freshEvery === 0) this.freshFile();
      const trigger = (['random', 'random', 'commit', 'commit', 'checkpoint', 'compact', 'close'] as const)[
        intBetween(this.rand, 0, 6)
      ];
      const log = await this.runWorker(round, trigger);
      r.kills++;
      r.byLanding[this.landing(log)]++;
      if (log.aimedCallReturned) r.aimedCallReturnedBeforeKill++;
      if (log.signal !== 'SIGKILL') {
        r.workerErrors++;
        this.fail(round, null, [
          `worker exited by itself (code ${log.code}): ${log.stderr.trim().slice(0, 2000)}`,
        ]);
      }
      const afterKill = this.countLeftovers();
      r.leftoverCompactTmpAfterKillMax = Math.max(r.leftoverCompactTmpAfterKillMax, afterKill);
      this.verify(round, log);
      r.leftoverCompactTmpAfterReopenMax = Math.max(
        r.leftoverCompactTmpAfterReopenMax,
        this.countLeftovers(),
      );
      if (this.opts.log && (round + 1) % 50 === 0) {
        this.opts.log(
          `${round + 1} kills, ${r.acknowledgedCommits} acknowledged commits, lost ${r.lost}, partial ${r.partial}, ` +
            `${r.failures.length} failed rounds, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
    }
    this.retire(this.file);
    r.wallMs = Date.now() - started;
    r.ok =
      r.failures.length === 0 &&
      r.lost === 0 &&
      r.partial === 0 &&
      r.phantom === 0 &&
      r.corrupt === 0 &&
      r.recoveryErrors === 0 &&
      r.indexMismatches === 0 &&
      r.workerErrors === 0;
    return r;
  }

  private freshFile(): void {
    if (this.file) this.retire(this.file);
    this.file = path.join(this.opts.dir, `campaign-${this.result.files++}.modelvault`);
    this.retire(this.file);
    this.model = emptyState();
    this.deletedBy = new Map();
    this.nextTxn = 1;
    this.nextId = 1;
    this.fileAcks = 0;
    this.needFresh = false;
  }

  /** Remove a database file and everything beside it that belongs to it. */
  private retire(file: string): void {
    const dir = path.dirname(file);
    const base = path.basename(file);
    for (const name of fs.readdirSync(dir)) {
      if (name === base || name.startsWith(`${base}.lock`) || name.startsWith(`${base}.compact-`))
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }

  private landing(log: RoundLog): Landing {
    if (log.openOp) return log.openOp;
    if (log.inFlight) return 'txn';
    if (!log.sawReady || (log.lastTag === 'D' && log.lastDone === 'close')) return 'open';
    return 'between';
  }

  private runWorker(round: number, trigger: Trigger): Promise<RoundLog> {
    const r = this.result;
    const rand = this.rand;
    const focus = trigger === 'random' || trigger === 'commit' ? 'none' : trigger;
    const args = [
      this.worker,
      this.file,
      String(mix(this.opts.seed, round)),
      String(this.nextTxn),
      String(this.nextId),
      focus,
    ];
    this.lastArgs = args;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: RoundLog = {
      sawReady: false,
      lastTag: '',
      lastDone: null,
      inFlight: null,
      openOp: null,
      killed: false,
      aimedCallReturned: false,
      args,
      stderr: '',
      signal: null,
      code: null,
    };
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void): void => {
      timers.push(setTimeout(fn, ms));
    };
    const kill = (why: Trigger): void => {
      if (log.killed) return;
      log.killed = true;
      r.byTrigger[why]++;
      child.kill('SIGKILL');
    };

    // A random kill is timed from the first open, except one in five timed from the spawn so
    // that some land while the worker opens and recovers the file. An aimed kill follows the
    // worker's announcement of a transaction or a maintenance call, after a delay spread over how
    // long that usually takes, so that it lands while the transaction is built or committed (its
    // fsync), or inside checkpoint(), compact() or close().
    const fromSpawn = trigger === 'random' && rand() < 0.2;
    const randomDelay = fromSpawn ? intBetween(rand, 0, 400) : intBetween(rand, 0, 600);
    const atAnnouncement = trigger === 'commit' ? intBetween(rand, 1, 15) : intBetween(rand, 1, 2);
    const inOpDelay =
      trigger === 'compact'
        ? intBetween(rand, 0, 25)
        : trigger === 'commit'
          ? intBetween(rand, 0, 8)
          : trigger === 'checkpoint'
            ? intBetween(rand, 0, 3)
            : 0;
    let announcements = 0;
    const aimHere = (): void => {
      if (++announcements !== atAnnouncement) return;
      if (inOpDelay === 0) kill(trigger);
      else later(inOpDelay, () => kill(trigger));
    };
    if (fromSpawn) later(randomDelay, () => kill('random'));
    // The worker runs its focus op often; a round in which it never comes still ends.
    if (trigger !== 'random') later(8000, () => kill('timeout'));

    const onLine = (line: NonNullable<ReturnType<typeof parseLine>>): void => {
      log.lastTag = line.tag;
      switch (line.tag) {
        case 'R':
          if (!log.sawReady && trigger === 'random' && !fromSpawn) later(randomDelay, () => kill('random'));
          log.sawReady = true;
          break;
        case 'P':
          log.inFlight = { txn: line.txn, plan: line.plan };
          this.nextTxn = Math.max(this.nextTxn, line.txn + 1);
          for (const step of line.plan.steps)
            if (step.op === 'put') this.nextId = Math.max(this.nextId, step.to + 1);
          if (trigger === 'commit') aimHere();
          break;
        case 'A': {
          const flight = log.inFlight;
          if (!flight || flight.txn !== line.txn) {
            log.stderr += `protocol: acknowledgement of ${line.txn} without its plan\n`;
            break;
          }
          if (log.killed && trigger === 'commit' && announcements === atAnnouncement)
            log.aimedCallReturned = true;
          if (flight.plan.rollback) r.acknowledgedRollbacks++;
          else {
            r.acknowledgedCommits++;
            this.fileAcks++;
            this.commitToModel(flight.txn, flight.plan);
          }
          log.inFlight = null;
          break;
        }
        case 'K':
          log.openOp = line.op;
          if (line.op === trigger) aimHere();
          break;
        case 'D':
          log.openOp = null;
          log.lastDone = line.op;
          r.acknowledgedMaintenance++;
          if (log.killed && line.op === trigger) log.aimedCallReturned = true;
          break;
      }
    };

    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const text of lines) {
        const line = parseLine(text);
        if (line) onLine(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (log.stderr += chunk.toString()));
    return new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        for (const t of timers) clearTimeout(t);
        log.code = code;
        log.signal = signal;
        resolve(log);
      });
    });
  }

  private commitToModel(txn: number, plan: Plan): void {
    for (const step of plan.steps) {
      if (step.op !== 'del') continue;
      for (const id of step.ids)
        if (this.model[step.coll].has(id)) this.deletedBy.set(`${step.coll}:${id}`, txn);
    }
    applyPlanInPlace(this.model, txn, plan);
  }

  /**
   * Open the killed worker's file three ways and hold each against the model: read-only with
   * autoTruncate while the dead writer's lock is still there (recovery in memory), then the
   * default writer open a user's restart does (recovery truncates the file), then read-only
   * strict, which must accept the file that recovery left and read the same rows.
   */
  private verify(round: number, log: RoundLog): void {
    const r = this.result;
    const file = this.file;
    const problems: string[] = [];
    let copy: string | null = null;
    const inFlight = log.inFlight && !log.inFlight.plan.rollback ? log.inFlight : null;
    const nothingAcknowledged = this.fileAcks === 0;

    // 1. Read-only, autoTruncate. A file the worker was killed while creating (no header yet)
    // cannot be opened read-only; that is fine only while nothing was acknowledged on it.
    let first: Readback | null = null;
    const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
    if (size <= 0) {
      if (nothingAcknowledged) r.newFileNotReadable++;
      else problems.push(`file ${size < 0 ? 'missing' : 'empty'} after the kill`);
    } else {
      try {
        const db = Database.open(file, { readOnly: true, recovery: 'autoTruncate' });
        try {
          first = readTyped(db);
        } finally {
          db.close();
        }
      } catch (err) {
        if (nothingAcknowledged) r.newFileNotReadable++;
        else {
          r.recoveryErrors++;
          problems.push(`read-only autoTruncate open failed: ${message(err)}`);
        }
      }
    }
    if (first) {
      const verdict = this.judge(first.state, inFlight);
      if (verdict.problems.length > 0 || first.corrupt.length > 0) copy = this.keepCopy(round);
    }

    // 2. The writer open a restarting application does: it takes over the dead worker's lock
    // (its owner process is gone), recovers the file and removes the dead compaction's temp file.
    let second: Readback | null = null;
    try {
      const db = Database.open(file);
      try {
        second = readTyped(db);
        if (db.storage.recoveryReport.truncatedFrom !== null) r.tornTailsCut++;
        const mismatch = checkIndex(db, second.state, inFlight?.txn);
        if (mismatch) {
          r.indexMismatches++;
          problems.push(mismatch);
        }
      } finally {
        db.close();
      }
    } catch (err) {
      r.recoveryErrors++;
      problems.push(`default open failed: ${message(err)}`);
    }

    // 3. Read-only, strict, through SQL: recovery must have left a file with no damage at all.
    let third: Readback | null = null;
    if (second) {
      try {
        third = readSql(file);
      } catch (err) {
        r.recoveryErrors++;
        problems.push(`read-only strict open after recovery failed: ${message(err)}`);
      }
    }

    if (second) {
      r.corrupt += second.corrupt.length;
      problems.push(...second.corrupt.slice(0, 5));
      if (first && !sameState(first.state, second.state)) {
        r.recoveryErrors++;
        problems.push('read-only recovery and writer recovery read different rows');
      }
      if (third && !sameState(third.state, second.state)) {
        r.recoveryErrors++;
        problems.push('strict read-only open read different rows than the writer open');
      }
      const verdict = this.judge(second.state, inFlight);
      r.rowsCompared += COLLECTIONS.reduce((n, c) => n + this.model[c].size, 0);
      r.lost += verdict.lostTxns.size;
      r.lostRows += verdict.lostRows;
      r.phantom += verdict.phantom;
      if (verdict.partial) r.partial++;
      problems.push(...verdict.problems);
      if (verdict.inFlightApplied && inFlight) {
        r.unacknowledgedButDurable++;
        this.commitToModel(inFlight.txn, inFlight.plan);
      }
    }
    if (problems.length > 0) {
      this.fail(round, copy, problems);
      // The model no longer describes the file; go on with a new one.
      this.needFresh = true;
    }
  }

  /**
   * Compare rows read back with the model: `expected` is the acknowledged state; the in-flight
   * transaction may be wholly there or wholly absent.
   */
  private judge(actual: State, inFlight: { txn: number; plan: Plan } | null): Verdict {
    const verdict: Verdict = {
      problems: [],
      lostTxns: new Set(),
      lostRows: 0,
      partial: false,
      phantom: 0,
      inFlightApplied: false,
    };
    const expected = this.model;
    const after = inFlight ? applyPlan(expected, inFlight.txn, inFlight.plan) : expected;
    let inFlightChanges = 0;
    let inFlightSeen = 0;
    for (const coll of COLLECTIONS) {
      const ids = new Set([...expected[coll].keys(), ...actual[coll].keys(), ...after[coll].keys()]);
      for (const id of ids) {
        const want = expected[coll].get(id);
        const got = actual[coll].get(id);
        const ifApplied = after[coll].get(id);
        if (ifApplied !== want) {
          inFlightChanges++;
          if (got === ifApplied) inFlightSeen++;
        }
        if (got === want || got === ifApplied) continue;
        if (want !== undefined && (got === undefined || got < want)) {
          verdict.lostTxns.add(want);
          verdict.lostRows++;
          if (verdict.problems.length < 10)
            verdict.problems.push(
              `lost: ${coll} id ${id} of acknowledged txn ${want} is ${got === undefined ? 'missing' : `at txn ${got}`}`,
            );
        } else if (want === undefined && got !== undefined && this.deletedBy.has(`${coll}:${id}`)) {
          const by = this.deletedBy.get(`${coll}:${id}`) as number;
          verdict.lostTxns.add(by);
          verdict.lostRows++;
          if (verdict.problems.length < 10)
            verdict.problems.push(
              `lost: ${coll} id ${id}, deleted by acknowledged txn ${by}, is back (txn ${got})`,
            );
        } else {
          verdict.phantom++;
          if (verdict.problems.length < 10)
            verdict.problems.push(`phantom: ${coll} id ${id} at txn ${got}, expected ${want ?? 'no row'}`);
        }
      }
    }
    if (inFlight && inFlightSeen > 0 && inFlightSeen < inFlightChanges) {
      verdict.partial = true;
      verdict.problems.push(
        `partial: ${inFlightSeen} of ${inFlightChanges} changes of unacknowledged txn ${inFlight.txn} (${inFlight.plan.kind}) visible`,
      );
    }
    verdict.inFlightApplied = inFlightChanges > 0 && inFlightSeen === inFlightChanges;
    return verdict;
  }

  private keepCopy(round: number): string {
    const dir = path.join(this.opts.dir, 'failures');
    fs.mkdirSync(dir, { recursive: true });
    const copy = path.join(dir, `round-${round}.modelvault`);
    fs.copyFileSync(this.file, copy);
    return copy;
  }

  private fail(round: number, copy: string | null, problems: string[]): void {
    const existing = this.result.failures.find((f) => f.round === round);
    if (existing) existing.problems.push(...problems);
    else this.result.failures.push({ round, file: this.file, copy, workerArgs: this.lastArgs, problems });
  }

  /** How many compaction temp files are beside the current file now (remembering each one seen). */
  private countLeftovers(): number {
    const dir = path.dirname(this.file);
    const prefix = `${path.basename(this.file)}.compact-`;
    let count = 0;
    let bytes = 0;
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      count++;
      bytes += fs.statSync(path.join(dir, name)).size;
      this.leftoversSeen.add(path.join(dir, name));
    }
    const r = this.result;
    r.leftoverCompactTmpBytesMax = Math.max(r.leftoverCompactTmpBytesMax, bytes);
    r.leftoverCompactTmpTotal = this.leftoversSeen.size;
    return count;
  }
}

/** Every row of both collections through the typed API, checking each row's content. */
function readTyped(db: Database): Readback {
  const state = emptyState();
  const corrupt: string[] = [];
  const names = db.collectionNames();
  for (const coll of COLLECTIONS) {
    if (!names.includes(coll)) continue;
    for (const row of db.collection(coll).all()) collect(state, corrupt, coll, row.id, row.txn, row.note);
  }
  return { state, corrupt };
}

function readSql(file: string): Readback {
  const state = emptyState();
  const corrupt: string[] = [];
  const conn = connect(file, { readOnly: true, recovery: 'strict' });
  try {
    const names = conn.database.collectionNames();
    for (const coll of COLLECTIONS) {
      if (!names.includes(coll)) continue;
      for (const [id, txn, note] of conn
        .execute(`SELECT id, txn, note FROM ${coll}`)
        .fetchAll() as unknown[][])
        collect(state, corrupt, coll, id, txn, note);
    }
  } finally {
    conn.close();
  }
  return { state, corrupt };
}

function collect(
  state: State,
  corrupt: string[],
  coll: CollectionName,
  id: unknown,
  txn: unknown,
  note: unknown,
): void {
  if (typeof id !== 'number' || typeof txn !== 'number' || note !== noteFor(coll, id, txn)) {
    corrupt.push(`corrupt: ${coll} row ${JSON.stringify([id, txn, note])} is not what its transaction wrote`);
    return;
  }
  state[coll].set(id, txn);
}

function sameState(a: State, b: State): boolean {
  for (const coll of COLLECTIONS) {
    if (a[coll].size !== b[coll].size) return false;
    for (const [id, txn] of a[coll]) if (b[coll].get(id) !== txn) return false;
  }
  return true;
}

/**
 * The secondary index on items.txn must agree with the rows after recovery: count through it for
 * the in-flight transaction (whose entries recovery must have dropped or kept with its rows) and
 * for the newest transaction in the file.
 */
function checkIndex(db: Database, state: State, inFlightTxn: number | undefined): string | null {
  const counts = new Map<number, number>();
  let newest = 0;
  for (const txn of state.items.values()) {
    counts.set(txn, (counts.get(txn) ?? 0) + 1);
    newest = Math.max(newest, txn);
  }
  if (!db.collectionNames().includes('items')) return null;
  for (const txn of new Set([inFlightTxn ?? newest, newest])) {
    const viaIndex = db.collection('items').where('txn', txn).count();
    if (viaIndex !== (counts.get(txn) ?? 0))
      return `index items_txn counts ${viaIndex} rows for txn ${txn}, the rows say ${counts.get(txn) ?? 0}`;
  }
  return null;
}
