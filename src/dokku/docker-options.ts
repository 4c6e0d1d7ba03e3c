/**
 * Translates `docker-options` into a Kubernetes security context, as Dokku's scheduler-k3s
 * does: only `--cap-add`, `--cap-drop`, `--privileged` and `--sysctl` are read; everything
 * else (volumes, restart policies, published ports) has no Kubernetes meaning and is ignored.
 */
import { ShellSyntaxError, shellSplit } from './shell.js';

/** Sysctl prefixes that Kubernetes treats as namespaced, so that a pod may set them. */
export const NAMESPACED_SYSCTLS = ['net.*', 'kernel.shm*', 'kernel.msg*', 'kernel.sem', 'fs.mqueue.*'] as const;

/** The security settings found in the docker options. */
export interface SecuritySettings {
  readonly capabilitiesAdd: string[];
  readonly capabilitiesDrop: string[];
  readonly privileged: boolean;
  readonly sysctls: { name: string; value: string }[];
}

/** A problem in one docker-options entry. */
export interface DockerOptionProblem {
  /** Index of the entry in the list. */
  readonly index: number;
  readonly message: string;
}

/** True when Kubernetes lets a pod set this sysctl (it is namespaced). */
export function isNamespacedSysctl(name: string): boolean {
  return name.startsWith('net.') || name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name === 'kernel.sem' || name.startsWith('fs.mqueue.');
}

function capability(value: string): string {
  return value.toUpperCase().replace(/^CAP_/, '');
}

/** Reads the security settings out of a list of docker-options entries. */
export function securitySettings(entries: readonly string[]): { settings: SecuritySettings; problems: DockerOptionProblem[] } {
  const settings: SecuritySettings = { capabilitiesAdd: [], capabilitiesDrop: [], privileged: false, sysctls: [] };
  const problems: DockerOptionProblem[] = [];
  let privileged = false;
  entries.forEach((entry, index) => {
    let words: string[];
    try {
      words = shellSplit(entry);
    } catch (err) {
      if (!(err instanceof ShellSyntaxError)) throw err;
      problems.push({ index, message: `${JSON.stringify(entry)} cannot be parsed: ${err.message}` });
      return;
    }
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      const eq = word.indexOf('=');
      const flag = eq >= 0 ? word.slice(0, eq) : word;
      const takeValue = (): string | undefined => (eq >= 0 ? word.slice(eq + 1) : words[++i]);
      if (flag === '--privileged') {
        privileged = eq < 0 || word.slice(eq + 1) !== 'false';
      } else if (flag === '--cap-add' || flag === '--cap-drop') {
        const value = takeValue();
        if (!value) {
          problems.push({ index, message: `${flag} needs a capability, e.g. ${flag}=NET_ADMIN` });
          continue;
        }
        const list = flag === '--cap-add' ? settings.capabilitiesAdd : settings.capabilitiesDrop;
        if (!list.includes(capability(value))) list.push(capability(value));
      } else if (flag === '--sysctl') {
        const value = takeValue() ?? '';
        const sep = value.indexOf('=');
        if (sep <= 0) {
          problems.push({ index, message: `--sysctl ${JSON.stringify(value)} is not name=value` });
          continue;
        }
        const name = value.slice(0, sep);
        if (!isNamespacedSysctl(name)) {
          problems.push({
            index,
            message: `sysctl "${name}" is not namespaced, so a pod cannot set it; allowed: ${NAMESPACED_SYSCTLS.join(', ')}`,
          });
          continue;
        }
        // a sysctl given twice keeps its last value, as docker does
        const existing = settings.sysctls.findIndex((x) => x.name === name);
        if (existing >= 0) settings.sysctls.splice(existing, 1);
        settings.sysctls.push({ name, value: value.slice(sep + 1) });
      }
    }
  });
  return { settings: { ...settings, privileged }, problems };
}
