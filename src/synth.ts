/**
 * `synth` and `validate`: load a state, compile it, and (for synth) write the app folders.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type CompileResult } from './compile.js';
import { writePlatformFolders } from './output/platform-index.js';
import type { WriteResult } from './output/write.js';
import { loadState } from './state/load.js';

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /** State files or directories; `-` reads standard input. */
  readonly state: readonly string[];
  /** The output root. */
  readonly out: string;
  /** The host-held HMAC key. */
  readonly hmacKey: Buffer;
}

/** What {@link synthesize} did. */
export interface SynthResult extends WriteResult {
  readonly compiled: CompileResult;
}

/** Groups manifests by the folder that owns them: `apps/<app>` per app, `platform/dokku` for cluster-wide objects. */
export function foldersOf(compiled: CompileResult): Map<string, Map<string, string>> {
  const folders = new Map<string, Map<string, string>>();
  for (const app of compiled.apps) folders.set(app.dir, new Map(app.manifests.map((m) => [m.path, m.content])));
  folders.set('platform/dokku', new Map(compiled.platform.map((m) => [m.path, m.content])));
  return folders;
}

/**
 * Compiles a state into `<out>/apps/<app>/` (and `<out>/platform/dokku/`), replacing only
 * the folders of the apps in the state.
 *
 * @throws InputError when the state is malformed; nothing is written then
 */
export function synthesize(options: SynthOptions): SynthResult {
  const compiled = compile(loadState(options.state), { hmacKey: options.hmacKey });
  const folders = foldersOf(compiled);
  // platform/dokku/ is the Global document's output: a state of apps alone only creates it when missing
  if (!compiled.global && existsSync(join(options.out, 'platform/dokku/kustomization.yaml'))) folders.delete('platform/dokku');
  const result = writePlatformFolders(options.out, folders);
  return { ...result, compiled };
}

/**
 * Checks a state without writing anything.
 *
 * @throws InputError listing every problem
 */
export function validateState(state: readonly string[], hmacKey: Buffer): CompileResult {
  return compile(loadState(state), { hmacKey });
}
