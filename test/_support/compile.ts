/**
 * Helpers to compile inline states in tests.
 */
import { compile, type CompileResult } from '../../src/compile.js';
import { DokkuGitopsError, InputError } from '../../src/errors.js';
import { parseState } from '../../src/state/load.js';

/** A fixed HMAC key, so that rollout digests are stable across test runs. */
export const TEST_KEY = Buffer.alloc(32, 7);

/** Compiles state documents given as YAML texts (one text may hold several documents). */
export function compileText(...texts: string[]): CompileResult {
  return compile(
    parseState(texts.map((text, i) => ({ name: `state-${i + 1}.yaml`, text }))),
    { hmacKey: TEST_KEY },
  );
}

/** Every file of a result, by path. */
export function filesOf(result: CompileResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const app of result.apps) for (const m of app.manifests) out[m.path] = m.content;
  for (const m of result.platform) out[m.path] = m.content;
  return out;
}

/** Every object of a result. */
export function objectsOf(result: CompileResult): Record<string, any>[] {
  return [...result.apps.flatMap((a) => a.manifests), ...result.platform].flatMap((m) => (m.object ? [m.object] : []));
}

/** The object of a kind and name; fails the test when it is missing. */
export function find(result: CompileResult, kind: string, name: string): any {
  const found = objectsOf(result).find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in: ${objectsOf(result).map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found;
}

/** The problems an invalid state is rejected with; fails the test when it is accepted. */
export function problemsOf(...texts: string[]): string[] {
  try {
    compileText(...texts);
  } catch (err) {
    if (err instanceof InputError) return [...err.problems];
    if (err instanceof DokkuGitopsError) return [err.message];
    throw err;
  }
  throw new Error('the state was accepted');
}

/** An App document with the given spec lines (YAML, indented by 2 under spec). */
export function app(name: string, spec: string): string {
  return `apiVersion: dokku-gitops/v1\nkind: App\nmetadata:\n  name: ${name}\nspec:\n${spec
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n')}\n`;
}
