#!/usr/bin/env node
// Bundles the CLI into dist/ as ESM with code splitting, so that a command
// loads only the modules it uses (synth never loads simple-git, ssh2 or age).
// The CLI runs as compiled JavaScript: no tsx or ts-node at run time.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(resolve(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'cli/index.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies (cdk8s, simple-git, ssh2) call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // ssh2's optional native bindings are not installed (their install scripts are denied).
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
});
