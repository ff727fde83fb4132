/**
 * Crash recovery of the DDL forms with a real kill: a child process commits transactions that
 * insert into an AUTOINCREMENT table, delete that row again and rename a column, and is killed
 * (SIGKILL) mid-run. Reopened, the file has the column name of the last commit the child
 * reported (or of the one after it, committed but not yet reported), and a new key is above every
 * key the child was given (the sequence survived the crash, replay and the checkpoints).
 */
import { connect } from '../../src/index';
import { startChild } from '../helpers/children';
import { tmpDir } from '../helpers/tmp';
import * as path from 'node:path';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const DDL_CHILD = path.join(__dirname, '..', 'helpers', 'ddl-child.js');

test.each([1, 2, 3])(
  'killed writer %i: names and the sequence are recovered',
  async (round) => {
    const file = tmp.file();
    const child = startChild(DDL_CHILD, [file]);
    await child.waitFor(`C ${20 + round * 15} `);
    await child.kill();
    const lines = child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('C '));
    const [, n, id, column] = lines[lines.length - 1].split(' ');
    const con = connect(file);
    const cur = con.cursor().execute('INSERT INTO q DEFAULT VALUES');
    const next = Number(cur.lastRowId);
    // The child's next transaction may have committed after its last report.
    expect(next === Number(id) + 1 || next === Number(id) + 2).toBe(true);
    const names = con.execute('SELECT * FROM q WHERE id = 1').description?.map((d) => d[0]);
    const other = column === 'v' ? 'w' : 'v';
    expect(names?.[1] === column || (names?.[1] === other && next === Number(id) + 2)).toBe(true);
    expect(Number(n)).toBeGreaterThanOrEqual(20);
    con.close();
  },
  60_000,
);
