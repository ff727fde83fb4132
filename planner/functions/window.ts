/**
 * The built-in window functions of the function table: names, argument counts and result types.
 * They run only with OVER (planner/window-exec.ts computes them over each partition); every
 * aggregate of planner/functions/aggregate.ts may be used with OVER as well.
 */
import type { ValueType } from '../expr';
import type { WindowBuiltin } from '../window';
import type { WindowFunction } from './types';
import { returnsConst } from './types';

function windowFn(
  name: WindowBuiltin,
  minArgs: number,
  maxArgs: number,
  returns: (types: readonly ValueType[]) => ValueType,
  summary: string,
  args?: string,
): WindowFunction {
  return {
    kind: 'window',
    family: 'window',
    name,
    fn: name,
    minArgs,
    maxArgs,
    deterministic: true,
    returns,
    summary,
    ...(args === undefined ? {} : { args }),
  };
}

/** lag/lead: the value's type, unless the default has another one. */
function lagType([value, , dflt]: readonly ValueType[]): ValueType {
  if (dflt === undefined || dflt === 'null' || dflt === value) return value;
  return value === 'null' ? dflt : 'any';
}

export const WINDOW_FUNCTIONS: readonly WindowFunction[] = [
  windowFn('row_number', 0, 0, returnsConst('integer'), 'The row’s number within its partition, from 1.'),
  windowFn(
    'rank',
    0,
    0,
    returnsConst('integer'),
    'Rank with gaps: 1 + the number of rows before the row’s peer group.',
  ),
  windowFn(
    'dense_rank',
    0,
    0,
    returnsConst('integer'),
    'Rank without gaps: the number of the row’s peer group, from 1.',
  ),
  windowFn(
    'percent_rank',
    0,
    0,
    returnsConst('real'),
    '(rank - 1) / (partition rows - 1) as REAL; 0.0 in a one-row partition.',
  ),
  windowFn(
    'cume_dist',
    0,
    0,
    returnsConst('real'),
    'Rows up to the end of the row’s peer group / partition rows, as REAL.',
  ),
  windowFn(
    'ntile',
    1,
    1,
    returnsConst('integer'),
    'The bucket (1..N) of the row when the partition is split into N near-equal buckets in order; N is read from the partition’s first row and must be a positive integer.',
    'N',
  ),
  windowFn(
    'lag',
    1,
    3,
    lagType,
    'X at the row OFFSET rows (default 1) before, in the partition; DEFAULT (or NULL) when there is none.',
    'X [, OFFSET [, DEFAULT]]',
  ),
  windowFn(
    'lead',
    1,
    3,
    lagType,
    'X at the row OFFSET rows (default 1) after, in the partition; DEFAULT (or NULL) when there is none.',
    'X [, OFFSET [, DEFAULT]]',
  ),
  windowFn('first_value', 1, 1, ([t]) => t, 'X at the first row of the frame; NULL for an empty frame.'),
  windowFn('last_value', 1, 1, ([t]) => t, 'X at the last row of the frame; NULL for an empty frame.'),
  windowFn(
    'nth_value',
    2,
    2,
    ([t]) => t,
    'X at the N-th row of the frame (N a positive integer); NULL when the frame is shorter.',
    'X, N',
  ),
];
