/**
 * A V8 code cache for the package's own modules, so a fresh process neither parses them nor
 * compiles the functions an open and a first query run (docs/performance.md "Start-up").
 *
 * Why: a process that requires the package and opens a database spent ~105 ms loading ~260
 * modules and, in the open and first point get, as much time compiling functions on their first
 * call as running them (V8 compiles lazily). CLIs, serverless functions and desktop apps pay that
 * at every start. `npm run build` runs a warm-up (scripts/build-code-cache.js) and stores, for
 * each module, V8's cached data taken after the warm-up ran, so it holds the compiled functions
 * too; this module hands that data to V8 when the same module is loaded again.
 *
 * Safety: an entry is used only for the exact source it was made from (SHA-1 of the module's
 * text: V8 itself checks only the source's length), only by the V8 version, architecture and
 * flags that made it (V8 rejects data made under other flags — `--max-old-space-size` is one —
 * and then this and every later module compile normally), and never while a debugger, a policy
 * manifest or source maps are in use. Any doubt means the module is compiled the usual way. Only
 * files under this package's dist folder and of the dependencies named below are touched, and
 * only while the package's own modules load: begin.ts installs the hook, end.ts removes it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as nodePath from 'node:path';
import * as vm from 'node:vm';
import { InternalError } from '../errors';

/** The built package's root (dist/): this file is dist/src/startup/code-cache.js once built. */
const DIST = nodePath.resolve(__dirname, '..', '..');
/** The cache file `npm run build` writes (shipped in the package beside this module). */
export const CACHE_FILE = nodePath.join(__dirname, 'code-cache.bin');
const MAGIC = 'MVCC1';

interface Entry {
  /** Path relative to dist/ with `/`, or `dependency:<path in node_modules>` (cacheKey). */
  file: string;
  sha1: string;
  offset: number;
  length: number;
}

/** The file's first part: read alone, so a process that cannot use the cache reads no more. */
interface Preamble {
  magic: string;
  v8: string;
  arch: string;
  /** Base64 of V8's cached data for PROBE_SOURCE: V8 refuses it exactly when it would refuse the rest. */
  probe: string;
}

/** A script whose cached data tells whether V8 accepts data made by the build (its flags). */
const PROBE_SOURCE = '(function modelvaultCodeCacheProbe() { return 1; })';
/** Enough to hold the preamble (about 300 bytes). */
const PREAMBLE_READ = 4096;

/**
 * The layout of code-cache.bin: u32 LE length + preamble JSON, u32 LE length + entries JSON, then
 * the entries' data (offsets count from `base`). Throws on a malformed buffer.
 */
export function cacheLayout(buf: Buffer): { preamble: Preamble; entries: Entry[]; base: number } {
  const preambleLength = buf.readUInt32LE(0);
  const preamble = JSON.parse(buf.toString('utf8', 4, 4 + preambleLength)) as Preamble;
  const at = 4 + preambleLength;
  const entriesLength = buf.readUInt32LE(at);
  const entries = JSON.parse(buf.toString('utf8', at + 4, at + 4 + entriesLength)) as Entry[];
  return { preamble, entries, base: at + 4 + entriesLength };
}

function lengthPrefixed(json: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(json), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length, 0);
  return Buffer.concat([len, body]);
}

type Compile = (this: NodeJS.Module, content: string, filename: string, ...rest: unknown[]) => unknown;
interface ModuleInternals {
  prototype: { _compile: Compile };
  wrap(source: string): string;
  _resolveFilename(request: string, parent: NodeJS.Module, isMain: boolean, options?: unknown): string;
  _nodeModulePaths(from: string): string[];
  _extensions: NodeJS.RequireExtensions;
  _cache: NodeJS.Dict<NodeJS.Module>;
}
const ModuleApi = Module as unknown as ModuleInternals;

/** What happened while the package loaded (tests and the bench read it). */
export const codeCacheStats = { used: 0, rejected: 0, compiled: 0 };

let installed: Compile | null = null;
let entries: Map<string, { sha1: string; data: Buffer }> | null = null;
/** Set by the build's warm-up: keep every script so its cache can be taken after the warm-up. */
let produced: { file: string; sha1: string; script: vm.Script }[] | null = null;

function sha1(text: string): string {
  return crypto.createHash('sha1').update(text).digest('hex');
}

/** Whether this process's V8 accepts data the build made: same version, architecture and flags. */
function accepted(preamble: Preamble): boolean {
  if (preamble.magic !== MAGIC || preamble.v8 !== process.versions.v8 || preamble.arch !== process.arch)
    return false;
  const probe = new vm.Script(PROBE_SOURCE, { cachedData: Buffer.from(preamble.probe, 'base64') });
  if (probe.cachedDataRejected !== true) return true;
  codeCacheStats.rejected++;
  return false;
}

/** The cache's entries when this process can use them, else null. */
function readCache(): Map<string, { sha1: string; data: Buffer }> | null {
  let fd: number;
  try {
    fd = fs.openSync(CACHE_FILE, 'r');
  } catch {
    return null; // not built (a checkout compiled by tsc alone)
  }
  try {
    const head = Buffer.alloc(PREAMBLE_READ);
    const got = fs.readSync(fd, head, 0, head.length, 0);
    const preambleLength = head.readUInt32LE(0);
    if (4 + preambleLength > got) return null;
    if (!accepted(JSON.parse(head.toString('utf8', 4, 4 + preambleLength)) as Preamble)) return null;
    const buf = Buffer.alloc(fs.fstatSync(fd).size);
    if (fs.readSync(fd, buf, 0, buf.length, 0) !== buf.length) return null;
    const { entries: list, base } = cacheLayout(buf);
    const map = new Map<string, { sha1: string; data: Buffer }>();
    for (const e of list) {
      if (base + e.offset + e.length > buf.length) return null;
      map.set(e.file, { sha1: e.sha1, data: buf.subarray(base + e.offset, base + e.offset + e.length) });
    }
    return map;
  } catch {
    return null; // damaged: compile normally
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether something in this process needs modules compiled exactly as Node does it: a debugger,
 * a policy manifest, or source maps (Node reads a module's source map while compiling it).
 */
function standardCompileNeeded(): boolean {
  const argv = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (/--inspect|--experimental-policy|--policy-integrity|--enable-source-maps/.test(argv)) return true;
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

/** The `require` Node gives a module (makeRequireFunction's public surface). */
function requireFor(mod: NodeJS.Module): NodeJS.Require {
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: { paths?: string[] }) =>
    ModuleApi._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) =>
    request.startsWith('.') || nodePath.isAbsolute(request)
      ? [nodePath.dirname(mod.filename)]
      : ModuleApi._nodeModulePaths(nodePath.dirname(mod.filename));
  req.resolve = resolve;
  req.main = require.main;
  req.extensions = ModuleApi._extensions;
  req.cache = ModuleApi._cache;
  return req;
}

/** Install the hook (begin.ts): the package's modules that follow load through the cache. */
/**
 * Dependencies whose modules the cache holds as well: msgpackr loads with the storage layer (its
 * one file took ~16 ms of the package's load to compile) and decodes the first checkpoint of
 * every open. Their entries are keyed by the path inside the dependency, wherever npm put it
 * (nested or hoisted), and like every entry used only for the exact text they were made from.
 */
const CACHED_DEPENDENCIES: readonly string[] = ['msgpackr'];

/** The cache's name for module `filename`, or null when it is not one the cache may hold. */
function cacheKey(filename: string): string | null {
  const own = nodePath.relative(DIST, filename).split(nodePath.sep).join('/');
  if (!own.startsWith('..')) return own.endsWith('.js') ? own : null;
  const parts = filename.split(nodePath.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || !CACHED_DEPENDENCIES.includes(parts[at + 1])) return null;
  const inner = parts.slice(at + 1).join('/');
  return /\.c?js$/.test(inner) ? `dependency:${inner}` : null;
}

export function beginCodeCache(): void {
  if (installed !== null || standardCompileNeeded()) return;
  if (produced === null) {
    entries = readCache();
    if (entries === null) return;
  }
  const original = ModuleApi.prototype._compile;
  installed = original;
  ModuleApi.prototype._compile = function compileCached(content, filename, ...rest) {
    const file = cacheKey(filename);
    // Node 20.19+ passes a format (null, 'commonjs' or 'module'): only CommonJS is ours to compile.
    const format = rest[0];
    if (format !== undefined && format !== null && format !== 'commonjs')
      return original.call(this, content, filename, ...rest);
    // A `#!` line is valid only at the very start of a script, which the wrapper would not be.
    if (file === null || content.startsWith('#!')) return original.call(this, content, filename, ...rest);
    const entry = entries?.get(file);
    const hash = produced !== null || entry !== undefined ? sha1(content) : '';
    if (produced === null && (entry === undefined || entry.sha1 !== hash))
      return original.call(this, content, filename, ...rest);
    const script = new vm.Script(ModuleApi.wrap(content), {
      filename,
      cachedData: produced === null ? entry?.data : undefined,
    });
    if (produced !== null) {
      produced.push({ file, sha1: hash, script });
      codeCacheStats.compiled++;
    } else if (script.cachedDataRejected === true) {
      // V8 refuses data made under other flags (`--max-old-space-size`, `--expose-gc`, …): so
      // will it every other entry, and each refusal costs more than a plain compile. Stop here.
      codeCacheStats.rejected++;
      entries = null;
    } else codeCacheStats.used++;
    const wrapper = script.runInThisContext({ displayErrors: true }) as (
      exports: unknown,
      require: NodeJS.Require,
      module: NodeJS.Module,
      filename: string,
      dirname: string,
    ) => unknown;
    return wrapper.call(
      this.exports,
      this.exports,
      requireFor(this),
      this,
      filename,
      nodePath.dirname(filename),
    );
  };
}

/** Remove the hook (end.ts): modules loaded later (by the application too) compile as usual. */
export function endCodeCache(): void {
  if (installed === null) return;
  ModuleApi.prototype._compile = installed;
  installed = null;
  entries = null;
}

/**
 * For the build's warm-up (scripts/build-code-cache.js), before the package is required: compile
 * every module of the package through the hook and keep its script.
 */
export function produceCodeCache(): void {
  produced = [];
}

/** After the warm-up: write each kept script's cache (with the functions compiled so far). */
export function writeCodeCache(target = CACHE_FILE): { modules: number; bytes: number } {
  if (produced === null)
    throw new InternalError('produceCodeCache() was not called before the package loaded');
  const blobs: Buffer[] = [];
  const list: Entry[] = [];
  let offset = 0;
  for (const { file, sha1: hash, script } of produced) {
    const data = script.createCachedData();
    list.push({ file, sha1: hash, offset, length: data.length });
    blobs.push(data);
    offset += data.length;
  }
  const preamble: Preamble = {
    magic: MAGIC,
    v8: process.versions.v8,
    arch: process.arch,
    probe: new vm.Script(PROBE_SOURCE).createCachedData().toString('base64'),
  };
  const out = Buffer.concat([lengthPrefixed(preamble), lengthPrefixed(list), ...blobs]);
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, target);
  return { modules: list.length, bytes: out.length };
}
