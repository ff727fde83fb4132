/**
 * `types` and `migrate plan|apply`: the typed-model tools of docs/models.md and
 * docs/migrations.md, run on a file. Models come from a CommonJS module (a built `.js` file) whose
 * exports include models built with `model()` or `fromZod()`.
 */
import * as path from 'node:path';
import { emitTypes } from '../models/emit-types';
import { apply, plan } from '../models/migrate';
import type { AnyModel } from '../models/model';
import type { SchemaPlan } from '../schema-versions';
import { openReader, openWriter, using } from './open';
import type { OpenFlags } from './open';
import { UsageError } from './io';
import type { Io } from './io';

export function typesCommand(io: Io, file: string, opts: { document?: boolean; bigint?: boolean }): void {
  const text = using(openReader(file), (conn) =>
    emitTypes(conn.database, {
      shape: opts.document ? 'document' : 'sql',
      safeIntegers: opts.bigint === true,
    }),
  );
  io.out(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * A model exported by the user's module. Checked by shape rather than `instanceof`: the module
 * may import its own copy of modelvault, whose Model class is another class.
 */
function isModel(x: unknown): x is AnyModel {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Partial<AnyModel>;
  return (
    typeof m.name === 'string' &&
    typeof m.shape === 'object' &&
    typeof m.descriptor === 'object' &&
    m.descriptor !== null &&
    Array.isArray(m.descriptor.fields)
  );
}

export function loadModels(modulePath: string): AnyModel[] {
  const abs = path.resolve(modulePath);
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's module is only known at run time
    exported = require(abs);
  } catch (err) {
    throw new UsageError(`cannot load models from ${modulePath}: ${(err as Error).message}`);
  }
  const values =
    typeof exported === 'object' && exported !== null
      ? Object.values(exported as Record<string, unknown>)
      : [];
  const models = (isModel(exported) ? [exported] : values.filter(isModel)).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  if (models.length === 0) throw new UsageError(`${modulePath} exports no models (model() or fromZod())`);
  return models;
}

function printPlan(io: Io, p: SchemaPlan): void {
  io.out(`${p.collection}: ${p.classification} (schema version ${p.fromVersion}, ${p.rows} rows)\n`);
  for (const s of p.steps) {
    const counts = [
      s.violatingRows !== undefined ? `${s.violatingRows} violating` : '',
      s.rowsNeedingValue !== undefined ? `${s.rowsNeedingValue} need a value` : '',
      s.rowsWithValue !== undefined ? `${s.rowsWithValue} with a value` : '',
      s.duplicateRows !== undefined ? `${s.duplicateRows} duplicates` : '',
    ].filter((c) => c !== '');
    io.out(
      `  ${s.classification} ${s.kind} ${s.target}: ${s.detail}${counts.length ? ` (${counts.join(', ')})` : ''}\n`,
    );
  }
}

/**
 * `migrate plan` lists what each model would change, read-only; `migrate apply` applies the
 * compatible changes, and with `--force` the ones that need a migration or break (dropped
 * fields' values go, as `plan` counts) once every row fits.
 * Returns whether every model is now (or could be) applied without force.
 */
export function migrateCommand(
  io: Io,
  file: string,
  modulePath: string,
  mode: 'plan' | 'apply',
  opts: OpenFlags & { force?: boolean; json?: boolean },
): boolean {
  const models = loadModels(modulePath);
  if (mode === 'plan') {
    const plans = using(openReader(file), (conn) => models.map((m) => plan(conn.database, m)));
    if (opts.json) io.out(`${JSON.stringify(plans, null, 2)}\n`);
    else plans.forEach((p) => printPlan(io, p));
    return plans.every((p) => p.classification === 'compatible' || p.classification === 'unchanged');
  }
  using(openWriter(file, opts, true), (conn) => {
    for (const m of models) {
      const before = plan(conn.database, m);
      apply(conn.database, m, { force: opts.force === true });
      io.out(
        `${m.name}: applied (${before.classification}, ${before.steps.length} step${before.steps.length === 1 ? '' : 's'})\n`,
      );
    }
  });
  return true;
}
