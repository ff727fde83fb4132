/**
 * The Window operator in memory and past its budget (planner/window-spill.ts), beside
 * better-sqlite3: sliding and ranking windows over one table of N rows in 4 partitions, each
 * query run with the default sort budget (in memory) and with a 1 MB one (every partition
 * spilled to a temp segment). With `--ab DIST` (another build's dist/ folder, e.g. main's) the
 * in-memory runs of that build are interleaved with this one's in the same process, to show
 * what the change costs a window that fits. Medians of wall and CPU time over the rounds; ratios
 * of CPU time.
 *
 *   node dist/bench/window-budget.js [N] [--ab /path/to/other/dist] [--rounds R]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import * as ours from '../src/index';

type Connect = typeof ours.connect;

const QUERIES: Record<string, string> = {
  'sum ROWS 100 PRECEDING':
    'SELECT id, sum(x) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN 100 PRECEDING AND CURRENT ROW) FROM big',
  'rank, lag, cume_dist':
    'SELECT id, rank() OVER w, lag(x, 3) OVER w, cume_dist() OVER w FROM big WINDOW w AS (PARTITION BY g ORDER BY t)',
  'avg RANGE 1000 around':
    'SELECT id, avg(x) OVER (PARTITION BY g ORDER BY t RANGE BETWEEN 1000 PRECEDING AND 1000 FOLLOWING) FROM big',
};

function arg(name: string): string | null {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? null) : null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Wall and CPU milliseconds of one call. */
function timed(f: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function main(): void {
  const n = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 200_000;
  const rounds = Number(arg('--rounds') ?? 5);
  const other = arg('--ab');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-window-budget-'));
  let seed = 7;
  const next = (m: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed >>> 8) % m;
  };
  const rows = Array.from({ length: n }, (_, i) => [i + 1, next(4), next(n * 10), next(1000)]);
  const ddl = 'CREATE TABLE big (id INTEGER PRIMARY KEY, g INTEGER, t INTEGER, x INTEGER)';
  const insert = 'INSERT INTO big VALUES (?, ?, ?, ?)';

  const lite = new BetterSqlite3(path.join(dir, 'big.sqlite'));
  lite.exec(ddl);
  const ins = lite.prepare(insert);
  lite.transaction(() => rows.forEach((r) => ins.run(...r)))();

  const open = (connect: Connect, file: string, budget?: number): ReturnType<Connect> => {
    const conn = connect(path.join(dir, file), budget === undefined ? {} : { sortBudgetBytes: budget });
    return conn;
  };
  const mine = open(ours.connect, 'big.modelvault');
  mine.execute(ddl);
  mine.cursor().executeMany(insert, rows);
  mine.commit();
  mine.close();
  // Each engine reopens the same file: the spilled runs get a 1 MB budget.
  const inMemory = open(ours.connect, 'big.modelvault');
  const spilled = open(ours.connect, 'big.modelvault', 1 << 20);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const base = other ? (require(path.resolve(other, 'src/index.js')) as typeof ours) : null;
  // The other build opens a copy: two builds in one process cannot share a file's lock.
  if (base) fs.copyFileSync(path.join(dir, 'big.modelvault'), path.join(dir, 'base.modelvault'));
  const baseline = base ? open(base.connect, 'base.modelvault') : null;

  console.log(
    `N=${n}, ${rounds} rounds, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const [name, sql] of Object.entries(QUERIES)) {
    const expected = lite.prepare(sql).raw(true).all().length;
    const runs: Record<string, { wall: number; cpu: number }[]> = {
      sqlite: [],
      memory: [],
      spilled: [],
      base: [],
    };
    const check = (got: number): void => {
      if (got !== expected) throw new Error(`${name}: ${got} rows, SQLite ${expected}`);
    };
    for (let r = 0; r < rounds; r++) {
      runs.sqlite.push(timed(() => check(lite.prepare(sql).raw(true).all().length)));
      runs.memory.push(timed(() => check(inMemory.cursor().execute(sql).fetchAll().length)));
      if (baseline) runs.base.push(timed(() => check(baseline.cursor().execute(sql).fetchAll().length)));
      runs.spilled.push(timed(() => check(spilled.cursor().execute(sql).fetchAll().length)));
    }
    const fig = (k: string): string => {
      const w = median(runs[k].map((x) => x.wall));
      const c = median(runs[k].map((x) => x.cpu));
      return `${w.toFixed(0)} ms wall, ${c.toFixed(0)} ms CPU`;
    };
    // CPU time: wall time on the shared 2-core machine mostly measures the other processes.
    const ratio = (a: string, b: string): string =>
      (median(runs[a].map((x) => x.cpu)) / median(runs[b].map((x) => x.cpu))).toFixed(2);
    console.log(`\n${name}`);
    console.log(`  better-sqlite3        ${fig('sqlite')}`);
    console.log(`  in memory             ${fig('memory')}  (CPU ${ratio('memory', 'sqlite')}x SQLite)`);
    if (baseline)
      console.log(
        `  in memory, --ab build ${fig('base')}  (CPU, this build / it: ${ratio('memory', 'base')})`,
      );
    console.log(
      `  1 MB budget, spilled  ${fig('spilled')}  (CPU ${ratio('spilled', 'sqlite')}x SQLite, ${ratio('spilled', 'memory')}x in memory)`,
    );
  }
  lite.close();
  inMemory.close();
  spilled.close();
  baseline?.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
