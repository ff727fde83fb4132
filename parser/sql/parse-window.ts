/**
 * Window grammar (SQLite's): `OVER name` or `OVER ([base] [PARTITION BY …] [ORDER BY …] [frame])`
 * after a call, and `WINDOW name AS (…), …` after HAVING. A frame is
 * `{ROWS | RANGE | GROUPS} {bound | BETWEEN bound AND bound} [EXCLUDE …]`; the frame shapes
 * SQLite's grammar refuses (a start of UNBOUNDED FOLLOWING, an end of UNBOUNDED PRECEDING) are
 * syntax errors here too, the ones it refuses when resolving ("unsupported frame
 * specification") are refused when lowering (parser/lower-window.ts).
 */
import type { FrameAst, FrameBoundAst, NamedWindowAst, OrderItem, SqlExpr, WindowSpecAst } from './ast';
import type { ExprParser } from './parse-expr';

const SPEC_WORDS = ['PARTITION', 'ORDER', 'ROWS', 'RANGE', 'GROUPS'];

/** `NULLS FIRST | NULLS LAST` after an ordering term, if present. */
export function nullsOrder(p: ExprParser): { nulls?: 'first' | 'last' } {
  if (!p.acceptWord('NULLS')) return {};
  if (p.acceptWord('FIRST')) return { nulls: 'first' };
  p.expectWord('LAST');
  return { nulls: 'last' };
}

/** `expr [ASC|DESC] [NULLS FIRST|LAST], …` after `ORDER BY`. */
export function orderItems(p: ExprParser): OrderItem[] {
  const out: OrderItem[] = [];
  do {
    const expr = p.expr();
    let desc = false;
    if (p.acceptWord('DESC')) desc = true;
    else p.acceptWord('ASC');
    out.push({ expr, desc, ...nullsOrder(p) });
  } while (p.acceptOp(','));
  return out;
}

function bound(p: ExprParser, isStart: boolean): FrameBoundAst {
  if (p.acceptWord('UNBOUNDED')) {
    if (isStart ? p.isWord('FOLLOWING') : p.isWord('PRECEDING'))
      throw p.error(`near "${p.tok.text}": syntax error`);
    if (!p.acceptWord('PRECEDING')) p.expectWord('FOLLOWING');
    return { kind: isStart ? 'unboundedPreceding' : 'unboundedFollowing', offset: null };
  }
  if (p.acceptWord('CURRENT')) {
    p.expectWord('ROW');
    return { kind: 'currentRow', offset: null };
  }
  const offset: SqlExpr = p.expr();
  if (p.acceptWord('PRECEDING')) return { kind: 'preceding', offset };
  p.expectWord('FOLLOWING');
  return { kind: 'following', offset };
}

function frame(p: ExprParser): FrameAst {
  const unit = p.next().upper.toLowerCase() as FrameAst['unit'];
  let start: FrameBoundAst;
  let end: FrameBoundAst;
  if (p.acceptWord('BETWEEN')) {
    start = bound(p, true);
    p.expectWord('AND');
    end = bound(p, false);
  } else {
    // A lone bound starts the frame; it ends at the current row.
    start = bound(p, true);
    end = { kind: 'currentRow', offset: null };
  }
  let exclude: FrameAst['exclude'] = 'noOthers';
  if (p.acceptWord('EXCLUDE')) {
    if (p.acceptWord('NO')) {
      p.expectWord('OTHERS');
    } else if (p.acceptWord('CURRENT')) {
      p.expectWord('ROW');
      exclude = 'currentRow';
    } else if (p.acceptWord('GROUP')) exclude = 'group';
    else {
      p.expectWord('TIES');
      exclude = 'ties';
    }
  }
  return { unit, start, end, exclude };
}

/** The parenthesized window specification; the cursor is on `(`. */
export function parseWindowSpec(p: ExprParser): WindowSpecAst {
  const start = p.expectOp('(').start;
  let base: string | null = null;
  if (p.atName() && !p.isAnyWord(SPEC_WORDS)) base = p.name('a window name');
  const partitionBy: SqlExpr[] = [];
  if (p.acceptWord('PARTITION')) {
    p.expectWord('BY');
    do partitionBy.push(p.expr());
    while (p.acceptOp(','));
  }
  let orderBy: OrderItem[] = [];
  if (p.acceptWord('ORDER')) {
    p.expectWord('BY');
    orderBy = orderItems(p);
  }
  const f = p.isAnyWord(['ROWS', 'RANGE', 'GROUPS']) ? frame(p) : null;
  p.expectOp(')');
  return { base, partitionBy, orderBy, frame: f, start, end: p.prev.end };
}

/** After a call's `)` and FILTER: `OVER name` or `OVER (…)`, or undefined when no OVER follows. */
export function parseOver(p: ExprParser): string | WindowSpecAst | undefined {
  if (!p.acceptWord('OVER')) return undefined;
  if (p.isOp('(')) return parseWindowSpec(p);
  return p.name('a window name');
}

/** `WINDOW name AS (…), …`, or an empty list when the clause is absent. */
export function parseWindowClause(p: ExprParser): NamedWindowAst[] {
  const out: NamedWindowAst[] = [];
  if (!p.acceptWord('WINDOW')) return out;
  do {
    const name = p.name('a window name');
    p.expectWord('AS');
    out.push({ name, spec: parseWindowSpec(p) });
  } while (p.acceptOp(','));
  return out;
}
