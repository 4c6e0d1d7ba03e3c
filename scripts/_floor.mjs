// The benchmark's floor: given the finished objects (a JSON file of { path, object } entries),
// write them as YAML with the same serializer settings cdk8s uses, and nothing else: no state
// loading, no cdk8s, no validation. `node scripts/_floor.mjs objects.json outdir`
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

const [input, out] = process.argv.slice(2);
const entries = JSON.parse(readFileSync(input, 'utf8'));
const made = new Set();
for (const { path, object, text } of entries) {
  const full = join(out, path);
  const dir = dirname(full);
  if (!made.has(dir)) {
    mkdirSync(dir, { recursive: true });
    made.add(dir);
  }
  writeFileSync(full, text ?? `# header\n${stringify(object, { keepUndefined: true, lineWidth: 0, version: '1.1' })}`);
}
