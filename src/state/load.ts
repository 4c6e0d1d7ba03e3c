/**
 * Loads a state from files and directories: YAML or JSON, one or several documents per file.
 * Every document is checked against the state's JSON Schema; all problems of all documents
 * are reported together, each with its file, line, document and field path.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ErrorObject } from 'ajv';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { type FieldPath, Problems, type ProblemScope, show } from './_problems.js';
import { stateValidator } from './_validator.js';
import { type AppDocument, type DocumentSource, type GlobalDocument, type State, STATE_API_VERSION } from './types.js';

/** Extensions of state files found in a directory. */
const STATE_FILE = /\.(ya?ml|json)$/;

/** A parsed document with what is needed to report problems in it. */
interface LoadedDocument {
  readonly value: unknown;
  readonly source: DocumentSource;
  readonly scope: ProblemScope;
}

function validate(value: unknown): ErrorObject[] {
  const validator = stateValidator();
  return validator(value) ? [] : (validator.errors ?? []);
}

/** Files of the state, in a stable order: given files as given, directories walked sorted. */
function stateFiles(paths: readonly string[], problems: Problems): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (STATE_FILE.test(name)) out.push(full);
    }
  };
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    let stat;
    try {
      stat = statSync(p);
    } catch {
      problems.addRaw(`${p}: no such file or directory`);
      continue;
    }
    if (stat.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function scopeFor(doc: Document, lines: LineCounter, file: string, label: string): ProblemScope {
  return {
    label,
    locate(path: FieldPath): string {
      // the deepest node that exists on the path gives the line
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return `${file}:${lines.linePos(node.range[0]).line}`;
      }
      return file;
    },
  };
}

function labelOf(value: unknown, index: number): string {
  const v = value as { kind?: unknown; metadata?: { name?: unknown } } | null;
  if (v && v.kind === 'App' && typeof v.metadata?.name === 'string') return `app ${v.metadata.name}`;
  if (v && v.kind === 'Global') return 'Global';
  return `document ${index + 1}`;
}

function readSource(file: string, problems: Problems): StateSource | undefined {
  if (file === '-') return { name: 'stdin', text: readFileSync(0, 'utf8') };
  try {
    return { name: display(file), text: readFileSync(file, 'utf8') };
  } catch (err) {
    problems.addRaw(`${display(file)}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}

function parseSource({ name: shown, text }: StateSource, problems: Problems): LoadedDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  const out: LoadedDocument[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const pos = lines.linePos(e.pos[0]);
        const first = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
        problems.addRaw(`${shown}:${pos.line}: invalid YAML or JSON: ${first}`);
      }
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    const line = doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : 1;
    out.push({ value, source: { file: shown, line }, scope: scopeFor(doc, lines, shown, labelOf(value, index)) });
  });
  return out;
}

/** Turns one ajv error into a message at a field path. */
function describe(e: ErrorObject): { path: FieldPath; message: string } {
  const path: (string | number)[] = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required' };
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return {
        path: [...path, String(params.additionalProperty)],
        message: `is not a known field; allowed fields: ${allowed.join(', ')}`,
      };
    }
    case 'propertyNames':
      return {
        path: [...path, String(params.propertyName)],
        message: `is not a known resource type; allowed values: ${((e.schema as { enum?: string[] }).enum ?? []).join(', ')}`,
      };
    case 'enum':
      return { path, message: `${show(e.data)} is not allowed; allowed values: ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { path, message: `${show(e.data)} is not allowed; allowed value: ${String(params.allowedValue)}` };
    case 'type':
      return { path, message: `${show(e.data)} must be ${params.type === 'integer' ? 'an integer' : `a ${String(params.type)}`}` };
    case 'minimum':
      return { path, message: `${show(e.data)} must be at least ${String(params.limit)}` };
    case 'maximum':
      return { path, message: `${show(e.data)} must be at most ${String(params.limit)}` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'pattern':
      return { path, message: `${show(e.data)} must be an absolute path` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

function checkDocument(doc: LoadedDocument, problems: Problems): boolean {
  const v = doc.value as { apiVersion?: unknown; kind?: unknown };
  if (typeof v !== 'object' || Array.isArray(v)) {
    problems.add(doc.scope, [], `must be a mapping with apiVersion ${STATE_API_VERSION} and kind App or Global`);
    return false;
  }
  // apiVersion and kind first: with either wrong, the rest of the document means nothing
  let ok = true;
  if (v.apiVersion === undefined) {
    problems.add(doc.scope, ['apiVersion'], `is required; use ${STATE_API_VERSION}`);
    ok = false;
  } else if (v.apiVersion !== STATE_API_VERSION) {
    problems.add(doc.scope, ['apiVersion'], `${show(v.apiVersion)} is not supported; allowed values: ${STATE_API_VERSION}`);
    ok = false;
  }
  if (v.kind === undefined) {
    problems.add(doc.scope, ['kind'], 'is required; allowed values: App, Global');
    ok = false;
  } else if (v.kind !== 'App' && v.kind !== 'Global') {
    problems.add(doc.scope, ['kind'], `${show(v.kind)} is not supported; allowed values: App, Global`);
    ok = false;
  }
  if (!ok) return false;
  // `if` restates its branch's errors; errors inside `propertyNames` restate the outer one
  const errors = validate(v).filter((e) => e.keyword !== 'if' && e.propertyName === undefined);
  const seen = new Set<string>();
  for (const e of errors) {
    const { path, message } = describe(e);
    const key = `${path.join('/')}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.add(doc.scope, path, message);
  }
  return errors.length === 0;
}

/** The text of one state file, with the name its messages show. */
export interface StateSource {
  readonly name: string;
  readonly text: string;
}

/**
 * Loads and schema-checks a state.
 *
 * @param paths files and directories; directories are walked recursively for `.yaml`, `.yml`
 * and `.json` files, in sorted order; `-` reads standard input
 * @throws InputError with every problem found, when any document is malformed
 */
export function loadState(paths: readonly string[]): State {
  const problems = new Problems();
  if (paths.length === 0) problems.addRaw('no state given: pass one or more state files or directories');
  const sources = stateFiles(paths, problems).flatMap((f) => readSource(f, problems) ?? []);
  return parseState(sources, problems);
}

/**
 * Parses and schema-checks a state given as texts.
 *
 * @throws InputError with every problem found, when any document is malformed
 */
export function parseState(texts: readonly StateSource[], problems: Problems = new Problems()): State {
  const apps: AppDocument[] = [];
  const scopes = new Map<string, ProblemScope>();
  const sources = new Map<string, DocumentSource>();
  let global: GlobalDocument | undefined;
  for (const source of texts) {
    for (const doc of parseSource(source, problems)) {
      if (!checkDocument(doc, problems)) continue;
      const value = doc.value as AppDocument | GlobalDocument;
      if (value.kind === 'App') {
        const key = `App/${value.metadata.name}`;
        const first = sources.get(key);
        if (first) {
          problems.add(doc.scope, ['metadata', 'name'], `app ${show(value.metadata.name)} is already defined at ${first.file}:${first.line}`);
          continue;
        }
        apps.push(value);
        sources.set(key, doc.source);
        scopes.set(key, doc.scope);
      } else {
        const first = sources.get('Global');
        if (first) {
          problems.add(doc.scope, ['kind'], `only one Global document is allowed; the first is at ${first.file}:${first.line}`);
          continue;
        }
        global = value;
        sources.set('Global', doc.source);
        scopes.set('Global', doc.scope);
      }
    }
  }
  problems.throwIfAny();
  apps.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return { apps, global, sources, scopes };
}
