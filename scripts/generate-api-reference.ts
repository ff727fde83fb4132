/**
 * The generated API reference (docs/api-reference/): typedoc reads the public entry point
 * (src/index.ts, options in typedoc.json) and writes its JSON model, which is rendered here as
 * Markdown — one page per class, one per kind for the rest — so the reference reads on any
 * Markdown viewer, ships in the package's docs/ without an HTML site, and diffs line by line.
 *
 *   node dist/scripts/generate-api-reference.js           write docs/api-reference/
 *   node dist/scripts/generate-api-reference.js --check   exit 1 if the pages differ from the code
 *
 * typedoc runs with treatWarningsAsErrors: any warning (a broken {@link}, a bad option) fails.
 * Its "referenced but not exported" check is off in typedoc.json: helper types the public types
 * are built from (ShapeOf, Row, …) are deliberately not exported, and their names show as text.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The checkout: this file runs from dist/scripts/ (built) and from scripts/ (under jest). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'typedoc.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no typedoc.json above ${from}`);
  }
}

const root = findRoot(__dirname);
const OUT = path.join(root, 'docs', 'api-reference');

/** The parts of typedoc's JSON model (schema of typedoc 0.28) this renderer reads. */
interface CommentPart {
  kind: string;
  text: string;
}
interface Comment {
  summary?: CommentPart[];
  blockTags?: { tag: string; name?: string; content: CommentPart[] }[];
}
interface TypeNode {
  type: string;
  [key: string]: unknown;
}
interface Node {
  id: number;
  name: string;
  kind: number;
  flags?: Record<string, boolean>;
  comment?: Comment;
  children?: Node[];
  signatures?: Node[];
  indexSignatures?: Node[];
  getSignature?: Node;
  setSignature?: Node;
  parameters?: Node[];
  typeParameters?: Node[];
  type?: TypeNode;
  defaultValue?: string;
  extendedTypes?: TypeNode[];
  inheritedFrom?: unknown;
  sources?: { fileName: string }[];
  /** A re-export under another name (`export { ModelVaultError as Error }`): the id it names. */
  target?: number;
}

const KIND = {
  variable: 32,
  function: 64,
  class: 128,
  interface: 256,
  constructor: 512,
  property: 1024,
  method: 2048,
  accessor: 262144,
  typeAlias: 2097152,
  reference: 4194304,
};

function text(parts: CommentPart[] | undefined): string {
  return (parts ?? [])
    .map((p) => p.text)
    .join('')
    .trim();
}

function summary(c: Comment | undefined): string {
  const out = [text(c?.summary)];
  for (const tag of c?.blockTags ?? []) {
    const body = text(tag.content);
    if (tag.tag === '@deprecated') out.push(`**Deprecated.** ${body}`);
    else if (tag.tag === '@returns') out.push(`Returns ${body}`);
    else if (tag.tag === '@example') out.push(body);
  }
  return out.filter((s) => s !== '').join('\n\n');
}

function firstSentence(c: Comment | undefined): string {
  const s = text(c?.summary).replace(/\s+/g, ' ');
  const end = s.search(/\.(\s|$)/);
  return end < 0 ? s : s.slice(0, end + 1);
}

function wrap(t: TypeNode): string {
  const s = typeText(t);
  return ['union', 'intersection', 'conditional', 'reflection'].includes(t.type) && s.includes(' ')
    ? `(${s})`
    : s;
}

function literal(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v).replace(/^"|"$/g, "'");
  if (typeof v === 'object' && v !== null && 'value' in v) {
    const big = v as { negative: boolean; value: string };
    return `${big.negative ? '-' : ''}${big.value}n`;
  }
  return String(v);
}

/** A type as TypeScript source text. */
function typeText(t: TypeNode | undefined): string {
  if (!t) return 'unknown';
  const g = t as Record<string, unknown>;
  const sub = (k: string): TypeNode => g[k] as TypeNode;
  const list = (k: string): TypeNode[] => (g[k] as TypeNode[] | undefined) ?? [];
  switch (t.type) {
    case 'intrinsic':
    case 'unknown':
      return String(g.name);
    case 'literal':
      return literal(g.value);
    case 'reference': {
      const args = list('typeArguments');
      return `${String(g.name)}${args.length ? `<${args.map(typeText).join(', ')}>` : ''}`;
    }
    case 'array':
      return `${wrap(sub('elementType'))}[]`;
    case 'union':
      return list('types').map(typeText).join(' | ');
    case 'intersection':
      return list('types').map(wrap).join(' & ');
    case 'tuple':
      return `[${list('elements').map(typeText).join(', ')}]`;
    case 'namedTupleMember':
      return `${String(g.name)}${g.isOptional ? '?' : ''}: ${typeText(sub('element'))}`;
    case 'optional':
      return `${wrap(sub('elementType'))}?`;
    case 'rest':
      return `...${wrap(sub('elementType'))}`;
    case 'typeOperator':
      return `${String(g.operator)} ${wrap(sub('target'))}`;
    case 'indexedAccess':
      return `${wrap(sub('objectType'))}[${typeText(sub('indexType'))}]`;
    case 'conditional':
      return `${wrap(sub('checkType'))} extends ${typeText(sub('extendsType'))} ? ${typeText(sub('trueType'))} : ${typeText(sub('falseType'))}`;
    case 'mapped': {
      const opt = g.optionalModifier === '+' ? '?' : g.optionalModifier === '-' ? '-?' : '';
      const ro = g.readonlyModifier === '+' ? 'readonly ' : g.readonlyModifier === '-' ? '-readonly ' : '';
      const as = g.nameType ? ` as ${typeText(sub('nameType'))}` : '';
      return `{ ${ro}[${String(g.parameter)} in ${typeText(sub('parameterType'))}${as}]${opt}: ${typeText(sub('templateType'))} }`;
    }
    case 'query':
      return `typeof ${typeText(sub('queryType'))}`;
    case 'predicate':
      return `${g.asserts ? 'asserts ' : ''}${String(g.name)}${g.targetType ? ` is ${typeText(sub('targetType'))}` : ''}`;
    case 'inferred':
      return `infer ${String(g.name)}`;
    case 'templateLiteral': {
      const tail = (g.tail as [TypeNode, string][]).map(([ty, s]) => `\${${typeText(ty)}}${s}`).join('');
      return `\`${String(g.head)}${tail}\``;
    }
    case 'reflection':
      return reflectionText(g.declaration as Node);
    default:
      return t.type;
  }
}

function reflectionText(d: Node): string {
  if (d.signatures?.length) {
    const s = d.signatures.map((sig) => `(${params(sig)}) => ${typeText(sig.type)}`);
    return s.length === 1 ? s[0] : `{ ${s.map((x) => `${x};`).join(' ')} }`;
  }
  const members = (d.children ?? []).map(
    (c) =>
      `${c.flags?.isReadonly ? 'readonly ' : ''}${c.name}${c.flags?.isOptional ? '?' : ''}: ${memberType(c)}`,
  );
  for (const ix of d.indexSignatures ?? []) members.push(`[${params(ix)}]: ${typeText(ix.type)}`);
  return members.length ? `{ ${members.join('; ')} }` : '{}';
}

function memberType(c: Node): string {
  if (c.signatures?.length) return `(${params(c.signatures[0])}) => ${typeText(c.signatures[0].type)}`;
  return typeText(c.type);
}

function typeParams(n: Node): string {
  const tps = n.typeParameters ?? [];
  if (tps.length === 0) return '';
  return `<${tps
    .map((tp) => {
      const g = tp as unknown as { type?: TypeNode; default?: TypeNode };
      return `${tp.name}${g.type ? ` extends ${typeText(g.type)}` : ''}${g.default ? ` = ${typeText(g.default)}` : ''}`;
    })
    .join(', ')}>`;
}

function params(sig: Node): string {
  return (sig.parameters ?? [])
    .map(
      (p) =>
        `${p.flags?.isRest ? '...' : ''}${p.name}${p.flags?.isOptional || p.defaultValue !== undefined ? '?' : ''}: ${typeText(p.type)}`,
    )
    .join(', ');
}

function signatureText(name: string, sig: Node, prefix = ''): string {
  return `${prefix}${name}${typeParams(sig)}(${params(sig)}): ${typeText(sig.type)}`;
}

function sourceOf(n: Node): string {
  // typedoc names files from the folder above the checkout: keep the path inside the repository.
  const f = /(?:^|\/)((?:src|cursor|parser|planner|storage)\/.*)$/.exec(n.sources?.[0]?.fileName ?? '')?.[1];
  return f ? `Defined in \`${f}\`.` : '';
}

function code(lines: string[]): string {
  return ['```ts', ...lines, '```'].join('\n');
}

function paramDocs(sig: Node): string {
  const rows = (sig.parameters ?? []).filter((p) => text(p.comment?.summary) !== '');
  return rows.map((p) => `- \`${p.name}\`: ${text(p.comment?.summary).replace(/\n/g, ' ')}`).join('\n');
}

/** One function, method or constructor: its signatures and their comments. */
function callable(n: Node, heading: string, prefix = ''): string {
  const sigs = n.signatures ?? [];
  const blocks = [heading, code(sigs.map((s) => signatureText(n.name, s, prefix)))];
  for (const s of sigs) {
    const doc = summary(s.comment);
    if (doc) blocks.push(doc);
    const pd = paramDocs(s);
    if (pd) blocks.push(pd);
  }
  return blocks.join('\n\n');
}

function memberSection(m: Node, owner: string): string | null {
  if (m.inheritedFrom) return null;
  const isStatic = m.flags?.isStatic === true;
  const prefix = isStatic ? 'static ' : '';
  const label = `${isStatic ? owner : owner.charAt(0).toLowerCase() + owner.slice(1)}.${m.name}`;
  if (m.kind === KIND.constructor) return callable({ ...m, name: `new ${owner}` }, `### \`new ${owner}()\``);
  if (m.kind === KIND.method) return callable(m, `### \`${label}()\``, prefix);
  if (m.kind === KIND.accessor) {
    const get = m.getSignature;
    const set = m.setSignature;
    const lines: string[] = [];
    if (get) lines.push(`${prefix}get ${m.name}(): ${typeText(get.type)}`);
    if (set) lines.push(`${prefix}set ${m.name}(${params(set)})`);
    return [`### \`${label}\``, code(lines), summary(get?.comment ?? set?.comment)]
      .filter(Boolean)
      .join('\n\n');
  }
  if (m.kind === KIND.property) {
    const ro = m.flags?.isReadonly ? 'readonly ' : '';
    return [
      `### \`${label}\``,
      code([`${prefix}${ro}${m.name}${m.flags?.isOptional ? '?' : ''}: ${typeText(m.type)}`]),
      summary(m.comment),
    ]
      .filter(Boolean)
      .join('\n\n');
  }
  return null;
}

function classPage(c: Node): string {
  const ext = (c.extendedTypes ?? []).map(typeText);
  const head = [
    `# Class \`${c.name}\``,
    `[API reference](../README.md) › ${c.name}`,
    code([`class ${c.name}${typeParams(c)}${ext.length ? ` extends ${ext.join(', ')}` : ''}`]),
    summary(c.comment),
    sourceOf(c),
  ];
  const members = (c.children ?? []).map((m) => memberSection(m, c.name)).filter((s): s is string => !!s);
  const inherited = (c.children ?? []).filter((m) => m.inheritedFrom).map((m) => `\`${m.name}\``);
  if (inherited.length) members.push(`Inherited: ${inherited.join(', ')}.`);
  return `${[...head.filter(Boolean), ...(members.length ? ['## Members', ...members] : [])].join('\n\n')}\n`;
}

function interfaceSection(i: Node): string {
  const ext = (i.extendedTypes ?? []).map(typeText);
  const lines = [`interface ${i.name}${typeParams(i)}${ext.length ? ` extends ${ext.join(', ')}` : ''} {`];
  const docs: string[] = [];
  for (const m of i.children ?? []) {
    const ro = m.flags?.isReadonly ? 'readonly ' : '';
    if (m.kind === KIND.method)
      for (const s of m.signatures ?? []) lines.push(`  ${signatureText(m.name, s)};`);
    else lines.push(`  ${ro}${m.name}${m.flags?.isOptional ? '?' : ''}: ${memberType(m)};`);
    const d = text((m.signatures?.[0] ?? m).comment?.summary).replace(/\s*\n\s*/g, ' ');
    if (d) docs.push(`- \`${m.name}\`: ${d}`);
  }
  for (const ix of i.indexSignatures ?? []) lines.push(`  [${params(ix)}]: ${typeText(ix.type)};`);
  lines.push('}');
  return [`## \`${i.name}\``, code(lines), summary(i.comment), docs.join('\n'), sourceOf(i)]
    .filter(Boolean)
    .join('\n\n');
}

function aliasSection(a: Node): string {
  return [
    `## \`${a.name}\``,
    code([`type ${a.name}${typeParams(a)} = ${typeText(a.type)};`]),
    summary(a.comment),
    sourceOf(a),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function variableSection(v: Node): string {
  const decl = `const ${v.name}: ${typeText(v.type)}`;
  return [`## \`${v.name}\``, code([decl]), summary(v.comment), sourceOf(v)].filter(Boolean).join('\n\n');
}

function functionSection(f: Node): string {
  return `${callable(f, `## \`${f.name}()\``, 'function ')}\n\n${sourceOf(f)}`;
}

function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

/** Index lines for classes exported under a second name (PEP 249's `Error`), linking to the class's page. */
function classAliases(all: readonly Node[]): string {
  const lines = all
    .filter((n) => n.kind === KIND.reference)
    .flatMap((n) => {
      const target = all.find((t) => t.id === n.target && t.kind === KIND.class);
      return target
        ? [`- [\`${n.name}\`](classes/${target.name}.md) — the same class as \`${target.name}\`.`]
        : [];
    });
  return lines.length > 0 ? `\n${lines.join('\n')}` : '';
}

/** Every page of the reference, by path under docs/api-reference/. */
export function renderPages(project: Node): Map<string, string> {
  const all = [...(project.children ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const of = (kind: number): Node[] => all.filter((n) => n.kind === kind);
  const pages = new Map<string, string>();
  const note =
    "<!-- Generated by `npm run docs:api` from the doc comments of src/index.ts's exports; do not edit by hand. -->";
  const page = (title: string, sections: string[]): string =>
    `${note}\n\n# ${title}\n\n[API reference](README.md) › ${title}\n\n${sections.join('\n\n')}\n`;
  for (const c of of(KIND.class)) pages.set(`classes/${c.name}.md`, `${note}\n\n${classPage(c)}`);
  pages.set('interfaces.md', page('Interfaces', of(KIND.interface).map(interfaceSection)));
  pages.set('types.md', page('Type aliases', of(KIND.typeAlias).map(aliasSection)));
  pages.set('functions.md', page('Functions', of(KIND.function).map(functionSection)));
  pages.set('variables.md', page('Constants', of(KIND.variable).map(variableSection)));
  const index = (title: string, nodes: Node[], link: (n: Node) => string): string =>
    [
      `## ${title}`,
      nodes
        .map(
          (n) =>
            `- [\`${n.name}\`](${link(n)})${firstSentence(n.comment ?? n.signatures?.[0]?.comment) ? ` — ${firstSentence(n.comment ?? n.signatures?.[0]?.comment)}` : ''}`,
        )
        .join('\n'),
    ].join('\n\n');
  pages.set(
    'README.md',
    [
      note,
      '# API reference',
      'Every export of `modelvault` (CommonJS and ESM export the same names), generated from the ' +
        'doc comments in the source by typedoc. The guides explain how the pieces fit: ' +
        '[api.md](../api.md) (`Database`), [dbapi.md](../dbapi.md) (SQL connections and cursors), ' +
        '[async.md](../async.md), [models.md](../models.md), [migrations.md](../migrations.md), ' +
        '[errors.md](../errors.md).',
      index('Classes', of(KIND.class), (n) => `classes/${n.name}.md`) + classAliases(all),
      index('Functions', of(KIND.function), (n) => `functions.md#${anchor(n.name)}`),
      index('Interfaces', of(KIND.interface), (n) => `interfaces.md#${anchor(n.name)}`),
      index('Type aliases', of(KIND.typeAlias), (n) => `types.md#${anchor(n.name)}`),
      index('Constants', of(KIND.variable), (n) => `variables.md#${anchor(n.name)}`),
    ].join('\n\n') + '\n',
  );
  return pages;
}

/** Run typedoc (typedoc.json) and return its JSON model; throws with its output on any warning. */
export function typedocModel(): Node {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-typedoc-'));
  try {
    const json = path.join(dir, 'api.json');
    const bin = path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const res = spawnSync(process.execPath, [bin, '--json', json, '--logLevel', 'Warn'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const log = `${res.stdout}${res.stderr}`.trim();
    if (res.status !== 0 || log !== '') throw new Error(`typedoc failed (exit ${res.status}):\n${log}`);
    return JSON.parse(fs.readFileSync(json, 'utf8')) as Node;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Pages on disk that differ from `pages` (or are missing, or are left over). */
export function staleFiles(pages: Map<string, string>, dir = OUT): string[] {
  const onDisk = fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => f.split(path.sep).join('/'))
    : [];
  const stale = onDisk.filter((f) => !pages.has(f));
  for (const [f, body] of pages) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== body) stale.push(f);
  }
  return stale.sort();
}

function main(): void {
  const pages = renderPages(typedocModel());
  if (process.argv.includes('--check')) {
    const stale = staleFiles(pages);
    if (stale.length > 0) {
      console.error(`docs/api-reference is out of date (run npm run docs:api): ${stale.join(', ')}`);
      process.exitCode = 1;
    } else console.log(`docs/api-reference is up to date (${pages.size} pages)`);
    return;
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  for (const [f, body] of pages) {
    fs.mkdirSync(path.dirname(path.join(OUT, f)), { recursive: true });
    fs.writeFileSync(path.join(OUT, f), body);
  }
  console.log(`wrote ${pages.size} pages to docs/api-reference`);
}

if (require.main === module) main();
