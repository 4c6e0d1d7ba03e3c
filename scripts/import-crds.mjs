#!/usr/bin/env node
// Regenerates src/imports/ from CustomResourceDefinitions with `cdk8s import`.
//
// cdk8s import writes one file per API group and overwrites it on every run, so
// the CRDs of one group are concatenated into one multi-document file first.
//
//   npm run import                    # from ../shared/crds (the pinned local copies)
//   npm run import -- --from DIR      # from another directory of CRD files
//   npm run import -- --upstream      # download the URLs listed in cdk8s.yaml `imports`
//   npm run import -- --out DIR       # write to DIR instead of src/imports (the freshness test)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(root, 'src/imports');
const work = mkdtempSync(join(tmpdir(), 'dokku-gitops-import-'));

/** group name of a CRD file, from its spec */
function groupOf(text) {
  for (const doc of text.split(/^---$/m)) {
    const m = /^\s*group:\s*(\S+)/m.exec(doc);
    if (m) return m[1];
  }
  throw new Error('no spec.group in CRD');
}

async function sources() {
  if (args.includes('--upstream')) {
    const cfg = parse(readFileSync(join(root, 'cdk8s.yaml'), 'utf8'));
    const out = [];
    for (const url of cfg.imports) {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      out.push({ name: basename(new URL(url).pathname), text: await res.text() });
    }
    return out;
  }
  const i = args.indexOf('--from');
  const dir = i >= 0 ? resolve(args[i + 1]) : resolve(root, '../shared/crds');
  if (!existsSync(dir)) throw new Error(`CRD directory ${dir} does not exist (use --from DIR or --upstream)`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
}

const byGroup = new Map();
for (const { name, text } of await sources()) {
  const group = groupOf(text);
  const list = byGroup.get(group) ?? [];
  list.push({ name, text });
  byGroup.set(group, list);
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const cdk8s = join(root, 'node_modules/.bin/cdk8s');
for (const [group, files] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
  const combined = join(work, `${group}.yaml`);
  writeFileSync(combined, files.map((f) => f.text.trim()).join('\n---\n') + '\n');
  execFileSync(cdk8s, ['import', combined, '--language', 'typescript', '--output', outDir, '--no-save', '--no-check-upgrade'], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  console.log(`imported ${group}: ${files.map((f) => f.name).join(', ')}`);
}
rmSync(work, { recursive: true, force: true });
