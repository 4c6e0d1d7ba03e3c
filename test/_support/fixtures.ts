/** The fixture states: every file in test/fixtures/dokku/ is one scenario. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Directory of the fixture states. */
export const FIXTURES_DIR = join(import.meta.dirname, '..', 'fixtures', 'dokku');

/** Every fixture: its name (file without extension) and its text. */
export function fixtures(): { name: string; text: string; path: string }[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.(ya?ml|json)$/, ''), path: join(FIXTURES_DIR, f), text: readFileSync(join(FIXTURES_DIR, f), 'utf8') }));
}

/** A file map rendered as one reviewable text, for file snapshots. */
export function renderFiles(files: Record<string, string>): string {
  return Object.keys(files)
    .sort()
    .map((path) => `#### ${path}\n${files[path]}`)
    .join('\n');
}
