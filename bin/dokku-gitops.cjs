#!/usr/bin/env node
// Entry point of the `dokku-gitops` command: runs the bundled CLI from dist/.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const entry = join(__dirname, '..', 'dist', 'cli.mjs');
if (!existsSync(entry)) {
  process.stderr.write('dokku-gitops: dist/cli.mjs is missing; run `npm run build` first\n');
  process.exit(2);
}
import(pathToFileURL(entry).href);
