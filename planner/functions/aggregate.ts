/**
 * The aggregate entries of the function table. Their accumulators (SQLite's step/final rules)
 * live in planner/aggregates.ts; this file says which names, argument counts and result types
 * the SQL front end accepts.
 */
import type { AggregateFn, ValueType } from '../expr';
import type { AggregateFunction } from './types';
import { returnsConst } from './types';
import { sumType } from '../aggregates';

function aggregate(
  name: string,
  fn: AggregateFn,
  minArgs: number,
  maxArgs: number,
  returns: (types: readonly ValueType[]) => ValueType,
  summary: string,
  star = false,
  args?: string,
): AggregateFunction {
  return {
    kind: 'aggregate',
    family: 'aggregate',
    name,
    fn,
    minArgs,
    maxArgs,
    deterministic: true,
    star,
    returns,
    summary,
    ...(args === undefined ? {} : { args }),
  };
}

/** SUM's static type is the accumulator's (planner/aggregates.ts): one rule for both. */
const sumResult = ([t]: readonly ValueType[]): ValueType => sumType(t);

export const AGGREGATES: readonly AggregateFunction[] = [
  aggregate(
    'count',
    'count',
    0,
    1,
    returnsConst('integer'),
    'count(*) counts rows; count(X) counts non-NULL X.',
    true,
    'X',
  ),
  aggregate(
    'sum',
    'sum',
    1,
    1,
    sumResult,
    'Sum of non-NULL values; INTEGER over integers (overflow is an error), else REAL; NULL over no values.',
  ),
  aggregate(
    'total',
    'total',
    1,
    1,
    returnsConst('real'),
    'Sum as REAL; 0.0 over no values; never overflows.',
  ),
  aggregate(
    'avg',
    'avg',
    1,
    1,
    returnsConst('real'),
    'Average of non-NULL values as REAL; NULL over no values.',
  ),
  aggregate(
    'min',
    'min',
    1,
    1,
    ([t]) => t,
    'Smallest non-NULL value in SQLite order (with one argument; two or more make it the scalar min()).',
  ),
  aggregate(
    'max',
    'max',
    1,
    1,
    ([t]) => t,
    'Largest non-NULL value in SQLite order (with one argument; two or more make it the scalar max()).',
  ),
  aggregate(
    'group_concat',
    'group_concat',
    1,
    2,
    returnsConst('text'),
    "Non-NULL values as text joined by the separator (default ','; a NULL separator joins with nothing); NULL over no values.",
    false,
    'X [, SEP]',
  ),
  aggregate(
    'string_agg',
    'group_concat',
    2,
    2,
    returnsConst('text'),
    'group_concat() with a required separator.',
    false,
    'X, SEP',
  ),
  {
    ...aggregate(
      'json_group_array',
      'json_group_array',
      1,
      1,
      returnsConst('text'),
      'A JSON array of the values in the group, NULLs included (as null); [] over no rows.',
    ),
    family: 'json',
  },
  {
    ...aggregate(
      'json_group_object',
      'json_group_object',
      2,
      2,
      returnsConst('text'),
      'A JSON object of LABEL: VALUE pairs in the group; a NULL label skips the row; {} over no rows.',
      false,
      'LABEL, VALUE',
    ),
    family: 'json',
  },
  aggregate(
    'median',
    'median',
    1,
    1,
    returnsConst('real'),
    'The middle of the non-NULL numbers (the mean of the two middle ones for an even count) as REAL; NULL over none; text is an error.',
    false,
    'Y',
  ),
  aggregate(
    'percentile',
    'percentile',
    2,
    2,
    returnsConst('real'),
    'The value P percent of the way through the sorted non-NULL numbers (P from 0 to 100, the same for every row), interpolated, as REAL.',
    false,
    'Y, P',
  ),
  aggregate(
    'percentile_cont',
    'percentile_cont',
    2,
    2,
    returnsConst('real'),
    'percentile() with P as a fraction from 0 to 1.',
    false,
    'Y, P',
  ),
  aggregate(
    'percentile_disc',
    'percentile_disc',
    2,
    2,
    returnsConst('real'),
    'percentile_cont() without interpolation: the input value at or below the fraction P.',
    false,
    'Y, P',
  ),
];
