/**
 * Procfile parsing, with the rules of Dokku's procfile-util: `<process type>: <command>` per
 * line, `#` comments and blank lines ignored.
 */

/** One Procfile entry. */
export interface ProcfileEntry {
  readonly processType: string;
  readonly command: string;
  /** 1-based line in the Procfile. */
  readonly line: number;
}

/** A Procfile line that is not an entry, a comment or blank. */
export interface ProcfileProblem {
  readonly line: number;
  readonly message: string;
}

// any name before the colon: whether it can be a process type is the model's rule (DNS-1123)
const ENTRY = /^([^:\s#]+):\s*(.+)$/;

/** Parses a Procfile into its entries and problems; a later duplicate is a problem. */
export function parseProcfile(text: string): { entries: ProcfileEntry[]; problems: ProcfileProblem[] } {
  const entries: ProcfileEntry[] = [];
  const problems: ProcfileProblem[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = ENTRY.exec(line);
    if (!m) {
      problems.push({ line: index + 1, message: `line ${index + 1} ${JSON.stringify(line)} is not "<process type>: <command>"` });
      return;
    }
    const [, processType, command] = m as unknown as [string, string, string];
    if (seen.has(processType)) {
      problems.push({ line: index + 1, message: `process type "${processType}" is defined twice (line ${index + 1})` });
      return;
    }
    seen.add(processType);
    entries.push({ processType, command: command.trim(), line: index + 1 });
  });
  return { entries, problems };
}
