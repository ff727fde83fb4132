/**
 * `salvage <file> --to <dest>`: copy every committed row that can still be read out of a damaged
 * file into a new one, and report what could not be. The damaged file is only read:
 *   1. a read-only `autoTruncate` open gives the state of every transaction before the first
 *      damage (docs/operations.md, Recovery playbook);
 *   2. its rows are copied one by one, so one unreadable row costs only itself;
 *   3. complete committed transactions found after damage inside the log (each frame still
 *      checksummed) are replayed on top, as long as they change rows of known collections.
 * The SQL views and user_version go with the rows (a later transaction's new view list too).
 */
import * as fs from 'node:fs';
import { Engine } from '../../storage/engine';
import { FileStore, renameDurably } from '../../storage/file-store';
import { findCommittedAfter, scanLog } from '../../storage/log-scan';
import { FrameKind } from '../../storage/format';
import type { CollectionState } from '../../storage/collection-state';
import { Database } from '../database';
import { FormatError, OperationalError } from '../errors';
import { readStoredViews } from '../../storage/sql-views';
import { requireFile } from './open';
import { EXIT, style } from './io';
import type { ExitCode, Io } from './io';

export interface SalvageReport {
  file: string;
  dest: string;
  collections: number;
  /** SQL views in the salvaged file (their CREATE VIEW text is copied as stored). */
  views: number;
  rowsCopied: number;
  unreadableRows: { collection: string; offset: number; reason: string }[];
  /** Where the log became unreadable (null: it was read to its end). */
  damageAt: number | null;
  damageReason: string | null;
  /**
   * Bytes between the damage and the next intact committed transaction: whatever was committed
   * there is lost (null when the damage was only a torn tail, which holds nothing committed).
   */
  lostRange: { from: number; to: number } | null;
  /** Transactions after the damage that were found intact and replayed. */
  laterTransactions: number;
  /** Rows in the salvaged file. */
  rowsWritten: number;
  /** Their frames that could not be applied (catalog changes, unknown collections). */
  laterFramesSkipped: number;
}

const ROWS_PER_TXN = 20_000;

export function salvageCommand(io: Io, file: string, dest: string, json: boolean): ExitCode {
  requireFile(file);
  if (fs.existsSync(dest)) throw new OperationalError(`${dest} exists: salvage writes a new file only`, 'IO');
  const report = salvage(file, dest);
  if (json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(io, report);
  return lostSomething(report) ? EXIT.DAMAGED : EXIT.OK;
}

export function salvage(file: string, dest: string): SalvageReport {
  const source = Database.open(file, { readOnly: true, recovery: 'autoTruncate', safeIntegers: true });
  const tmp = `${dest}.salvage-${process.pid}.tmp`;
  const out = Engine.openFile(tmp, { checkpointEveryBytes: 0, lock: false });
  const report: SalvageReport = {
    file,
    dest,
    collections: 0,
    views: 0,
    rowsCopied: 0,
    unreadableRows: [],
    damageAt: null,
    damageReason: null,
    lostRange: null,
    laterTransactions: 0,
    rowsWritten: 0,
    laterFramesSkipped: 0,
  };
  try {
    const engine = source.storage;
    const view = engine.committedView();
    const rec = engine.recoveryReport;
    report.damageAt = rec.truncatedFrom;
    report.damageReason = rec.reason;
    const byId = new Map<number, string>();
    const sqlViews = view.sqlViews ?? [];
    if (view.userVersion !== 0 || sqlViews.length > 0) {
      out.begin();
      if (view.userVersion !== 0) out.setUserVersion(view.userVersion);
      if (sqlViews.length > 0) out.setSqlViews(sqlViews);
      out.commit();
    }
    for (const [name, coll] of view.collections) {
      report.collections++;
      byId.set(coll.meta.id, name);
      out.begin();
      out.importCollection(coll.meta, coll.seq);
      const target = out.collection(name) as CollectionState;
      let n = 0;
      const cur = coll.pk.cursor();
      while (cur.next()) {
        let row: unknown[];
        try {
          row = engine.readRowFor(view, cur.value);
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
          report.unreadableRows.push({ collection: name, offset: cur.value, reason: err.message });
          continue;
        }
        out.putRow(target, row, 'replacePk');
        report.rowsCopied++;
        if (++n % ROWS_PER_TXN === 0) {
          out.commit();
          out.begin();
        }
      }
      out.commit();
    }
    if (rec.committedAfter !== null) {
      report.lostRange = { from: rec.truncatedFrom ?? rec.committedAfter, to: rec.committedAfter };
      replayLater(file, rec.committedAfter, view.txnId, out, byId, report);
    }
    for (const name of out.collectionNames())
      report.rowsWritten += out.committedView().collections.get(name)?.pk.size ?? 0;
    report.views = out.sqlViewList().length;
    out.checkpoint();
    out.close();
    renameDurably(tmp, dest);
  } catch (err) {
    if (!out.isClosed) out.close();
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    source.close();
  }
  return report;
}

/** Replay every intact committed transaction found past damage inside the log. */
function replayLater(
  file: string,
  from: number,
  lastTxnId: number,
  out: Engine,
  byId: Map<number, string>,
  report: SalvageReport,
): void {
  const store = FileStore.open(file, true, false);
  try {
    let search = from;
    let last = lastTxnId;
    for (;;) {
      const found = findCommittedAfter(store, search, last);
      if (!found) return;
      const result = scanLog(store, found.offset, found.txnId - 1, (txnId, frames) => {
        out.begin();
        for (const frame of frames) {
          const body = frame.body as unknown[];
          const name = Array.isArray(body) ? byId.get(body[0] as number) : undefined;
          const state = name === undefined ? undefined : out.collection(name);
          if (frame.kind === FrameKind.RECORD_PUT && state && body[1] === state.meta.version) {
            out.putRow(state, body[2] as unknown[], 'replacePk');
          } else if (frame.kind === FrameKind.RECORD_DELETE && state) {
            out.deleteRow(state, body[1]);
          } else if (frame.kind === FrameKind.META) {
            laterMeta(out, frame.body);
          } else {
            report.laterFramesSkipped++;
          }
        }
        out.commit();
        report.laterTransactions++;
        last = txnId;
      });
      if (!result.problem) return;
      search = result.problem.searchFrom;
      last = Math.max(last, result.lastTxnId);
    }
  } finally {
    store.close();
  }
}

/** A later transaction's settings: its view list and user_version carry over (the sequence follows the rows). */
function laterMeta(out: Engine, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const { views, userVersion } = body as Record<string, unknown>;
  const list = views === undefined ? null : readStoredViews(views);
  if (list) out.setSqlViews(list);
  if (typeof userVersion === 'number' && Number.isInteger(userVersion)) out.setUserVersion(userVersion);
}

function lostSomething(r: SalvageReport): boolean {
  return r.unreadableRows.length > 0 || r.laterFramesSkipped > 0 || r.lostRange !== null;
}

function printReport(io: Io, r: SalvageReport): void {
  const s = style(io, 'out');
  io.out(
    `salvaged ${r.rowsWritten} row${r.rowsWritten === 1 ? '' : 's'} in ${r.collections} collection${r.collections === 1 ? '' : 's'} ` +
      `${r.views > 0 ? `and ${r.views} view${r.views === 1 ? '' : 's'} ` : ''}from ${r.file} into ${r.dest}\n`,
  );
  if (r.lostRange)
    io.out(
      `${s.red('lost')} whatever was committed between offsets ${r.lostRange.from} and ${r.lostRange.to} ` +
        `(damage inside the log; keep ${r.file} to recover it by hand)\n`,
    );
  else if (r.damageAt !== null)
    io.out(
      `${s.yellow('torn tail')} at offset ${r.damageAt} (an unfinished append: nothing committed was lost)\n`,
    );
  if (r.laterTransactions > 0)
    io.out(
      `replayed ${r.laterTransactions} intact transaction${r.laterTransactions === 1 ? '' : 's'} found after the damage\n`,
    );
  if (r.laterFramesSkipped > 0)
    io.out(
      `${s.red('skipped')} ${r.laterFramesSkipped} frame${r.laterFramesSkipped === 1 ? '' : 's'} after the damage (catalog changes or unknown collections)\n`,
    );
  for (const u of r.unreadableRows)
    io.out(`${s.red('lost')} row of ${u.collection} at offset ${u.offset}: ${u.reason}\n`);
  if (!lostSomething(r)) io.out(`${s.green('nothing committed was lost')}\n`);
}
