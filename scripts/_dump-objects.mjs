// Compiles a state in-process and dumps the finished files as [{ path, text }] for the floor
// script, so that the floor writes exactly the bytes synth writes.
// `node scripts/_dump-objects.mjs state.yaml objects.json`
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [state, output] = process.argv.slice(2);
const out = mkdtempSync(join(tmpdir(), 'dokku-gitops-dump-'));
execFileSync(process.execPath, [join(root, 'dist/cli.mjs'), 'synth', state, '--out', out], { stdio: 'ignore' });
const walk = (d) => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const entries = walk(out)
  .sort()
  .map((f) => {
    const text = readFileSync(f, 'utf8');
    // the floor serializes the object itself; kustomization files are written as text
    const object = f.endsWith('kustomization.yaml') ? undefined : parseAllDocuments(text)[0].toJS();
    return object ? { path: relative(out, f), object } : { path: relative(out, f), text };
  });
writeFileSync(output, JSON.stringify(entries));
rmSync(out, { recursive: true, force: true });
