#!/usr/bin/env node
// Bundles the CLI into dist/ as ESM with code splitting, so that a command loads only the
// modules it uses (synth never loads simple-git, ssh2 or age). The CLI runs as compiled
// JavaScript: no tsx or ts-node at run time.
//
// The state schema's validator is precompiled here with ajv's standalone code generator and
// substituted for src/state/_validator.ts, so the CLI does not compile the schema at start.
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const standaloneCode = standalone.default ?? standalone;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Replaces src/state/_validator.ts with ajv's standalone output for the same schema and options. */
const precompiledValidator = {
  name: 'precompiled-state-validator',
  setup(b) {
    b.onLoad({ filter: /src[\\/]state[\\/]_validator\.ts$/ }, async () => {
      // the schema is TypeScript: bundle it to a temporary module to import it here
      const schema = await build({ entryPoints: [resolve(root, 'src/state/schema.ts')], bundle: true, write: false, format: 'esm', platform: 'node' });
      const tmp = resolve(root, `.schema-${process.pid}.mjs`);
      writeFileSync(tmp, schema.outputFiles[0].text);
      let STATE_SCHEMA, STATE_AJV_OPTIONS;
      try {
        ({ STATE_SCHEMA, STATE_AJV_OPTIONS } = await import(pathToFileURL(tmp).href));
      } finally {
        rmSync(tmp, { force: true });
      }
      const ajv = new Ajv({ ...STATE_AJV_OPTIONS, code: { source: true, esm: true } });
      const code = standaloneCode(ajv, ajv.compile(STATE_SCHEMA));
      return {
        contents: `${code}\nexport function stateValidator() { return validate; }\n`,
        loader: 'js',
        resolveDir: resolve(root, 'src/state'),
      };
    });
  },
};

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
  plugins: [precompiledValidator],
  // CommonJS dependencies (cdk8s, simple-git, ssh2) call require() for Node built-ins, and some
  // read __dirname / __filename: give them the bundle's own.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      "import { dirname as __pathDirname } from 'node:path';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      'const __dirname = __pathDirname(__filename);',
    ].join(' '),
  },
  // ssh2's optional native bindings are not installed (their install scripts are denied).
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
});
