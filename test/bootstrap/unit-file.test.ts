import { describe, expect, it } from 'vitest';
import {
  appendExecStartArg,
  commandWords,
  effectiveExecStart,
  execStartArgs,
  execStartOverrides,
  kubeSchedulerArgs,
  parseUnitFile,
  removeExecStartArg,
  splitCommandLine,
} from '../../src/bootstrap/unit-file.js';

const HEAD = `[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/systemd/system/k3s.service.env
KillMode=process
Delegate=yes
User=root
# Having non-zero Limit*s causes performance problems due to accounting overhead
# in the kernel. We recommend using cgroups to do container-local accounting.
LimitNOFILE=1048576
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
`;

/** What install.sh writes with INSTALL_K3S_EXEC="server --cluster-init --disable traefik". */
const INSTALL_SH_WITH_ARGS = `${HEAD}ExecStart=/usr/local/bin/k3s \\
    server \\
\t'--cluster-init' \\
\t'--disable' \\
\t'traefik' \\

`;

/** What install.sh writes with INSTALL_K3S_EXEC=server and no flags. */
const INSTALL_SH_NO_ARGS = `${HEAD}ExecStart=/usr/local/bin/k3s \\
    server \\

`;

/** Older install.sh (and hand-written units): a bare subcommand line ends the command. */
const BARE_SERVER = `${HEAD}ExecStart=/usr/local/bin/k3s \\
    server

`;

const ONE_LINE = `${HEAD}ExecStart=/usr/local/bin/k3s server --cluster-init

[Install]
WantedBy=multi-user.target
`;

const FLAG = '--kube-scheduler-arg=config=/etc/rancher/k3s/scheduler/90-scheduler-extender.yaml';

describe('parseUnitFile', () => {
  it('reads sections, keys and continued values', () => {
    // GIVEN / WHEN
    const unit = parseUnitFile(INSTALL_SH_WITH_ARGS);
    // THEN
    expect(unit.entries.map((e) => `${e.section}.${e.key}`)).toEqual([
      'Unit.Description',
      'Unit.Documentation',
      'Unit.Wants',
      'Unit.After',
      'Install.WantedBy',
      'Service.Type',
      'Service.EnvironmentFile',
      'Service.EnvironmentFile',
      'Service.KillMode',
      'Service.Delegate',
      'Service.User',
      'Service.LimitNOFILE',
      'Service.Restart',
      'Service.RestartSec',
      'Service.ExecStartPre',
      'Service.ExecStartPre',
      'Service.ExecStart',
    ]);
    const execStart = unit.entries.at(-1)!;
    expect(execStart.value).toBe("/usr/local/bin/k3s      server  \t'--cluster-init'  \t'--disable'  \t'traefik'");
    expect([execStart.firstLine, execStart.lastLine]).toEqual([23, 28]);
  });

  it('skips comment lines inside a continuation, as systemd does', () => {
    // GIVEN
    const text = `[Service]\nExecStart=/usr/local/bin/k3s \\\n# a comment about the next flag\n; another comment\n    server \\\n\t'--debug'\nRestart=always\n`;
    // WHEN
    const args = execStartArgs(text);
    // THEN
    expect(args).toEqual(['/usr/local/bin/k3s', 'server', '--debug']);
    expect(parseUnitFile(text).entries.map((e) => e.key)).toEqual(['ExecStart', 'Restart']);
  });

  it('joins a blank line after a backslash into the command and stops there', () => {
    // GIVEN / WHEN
    const unit = parseUnitFile(INSTALL_SH_NO_ARGS);
    // THEN
    expect(execStartArgs(INSTALL_SH_NO_ARGS)).toEqual(['/usr/local/bin/k3s', 'server']);
    expect(unit.entries.at(-1)!.lastLine).toBe(unit.lines.length - 1);
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    // GIVEN
    const crlf = '[Service]\r\nExecStart=/usr/local/bin/k3s server\r\n';
    const noFinal = '[Service]\nExecStart=/usr/local/bin/k3s server';
    // WHEN
    const a = parseUnitFile(crlf);
    const b = parseUnitFile(noFinal);
    // THEN
    expect([a.eol, a.finalNewline, a.lines]).toEqual(['\r\n', true, ['[Service]', 'ExecStart=/usr/local/bin/k3s server']]);
    expect([b.eol, b.finalNewline]).toEqual(['\n', false]);
  });

  it('ignores a line without "=" and an empty file', () => {
    // GIVEN / WHEN / THEN
    expect(parseUnitFile('[Service]\nnot an assignment\nType=notify\n').entries.map((e) => e.key)).toEqual(['Type']);
    expect(parseUnitFile('').entries).toEqual([]);
  });
});

describe('splitCommandLine', () => {
  it('splits on whitespace and removes single and double quotes', () => {
    // GIVEN / WHEN / THEN
    expect(splitCommandLine(`/usr/local/bin/k3s  server\t'--node-label=a=b c' "--tls-san=x y"`).map((w) => w.value)).toEqual(['/usr/local/bin/k3s', 'server', '--node-label=a=b c', '--tls-san=x y']);
  });

  it('handles escapes inside and outside quotes', () => {
    // GIVEN / WHEN / THEN
    expect(splitCommandLine(String.raw`a\ b "say \"hi\"" 'it\'s' c\\d "tab\there"`).map((w) => w.value)).toEqual(['a b', 'say "hi"', "it's", 'c\\d', 'tab\there']);
  });

  it('joins adjacent quoted and unquoted parts into one word', () => {
    // GIVEN / WHEN / THEN
    expect(splitCommandLine(`--flag='a b'c "d"'e'`).map((w) => w.value)).toEqual(['--flag=a bc', 'de']);
  });

  it('reports where each word starts and ends', () => {
    // GIVEN / WHEN / THEN
    expect(splitCommandLine("x  'y z' w")).toEqual([
      { value: 'x', start: 0, end: 1 },
      { value: 'y z', start: 3, end: 8 },
      { value: 'w', start: 9, end: 10 },
    ]);
  });

  it('throws if a quote is not closed', () => {
    // GIVEN / WHEN / THEN
    expect(() => splitCommandLine("k3s server '--oops")).toThrow(`unit file: unterminated ' quote in command line "k3s server '--oops"`);
  });
});

describe('effectiveExecStart', () => {
  it('ignores ExecStart outside [Service] and ExecStartPre', () => {
    // GIVEN
    const text = '[Unit]\nExecStart=/bin/false\n[Service]\nExecStartPre=/bin/true\nExecStart=/usr/local/bin/k3s agent\n';
    // WHEN / THEN
    expect(execStartArgs(text)).toEqual(['/usr/local/bin/k3s', 'agent']);
  });

  it('takes the command after an empty ExecStart= reset', () => {
    // GIVEN
    const text = '[Service]\nExecStart=/usr/local/bin/k3s server --old\nExecStart=\nExecStart=/usr/local/bin/k3s server --new\n';
    // WHEN / THEN
    expect(execStartArgs(text)).toEqual(['/usr/local/bin/k3s', 'server', '--new']);
  });

  it('returns nothing when the last ExecStart= resets the list', () => {
    // GIVEN / WHEN / THEN
    expect(effectiveExecStart(parseUnitFile('[Service]\nExecStart=/usr/local/bin/k3s server\nExecStart=\n'))).toBeUndefined();
    expect(execStartArgs('[Service]\nType=notify\n')).toEqual([]);
  });

  it('throws if several commands are active', () => {
    // GIVEN
    const text = '[Service]\nExecStart=/usr/local/bin/k3s server\nType=notify\nExecStart=/usr/local/bin/k3s agent\n';
    // WHEN / THEN
    expect(() => effectiveExecStart(parseUnitFile(text))).toThrow('unit file: 2 ExecStart= commands are active (lines 2, 4); systemd allows one for this service, so fix the unit by hand first');
  });

  it('keeps the program prefix characters on the first word', () => {
    // GIVEN / WHEN
    const entry = effectiveExecStart(parseUnitFile('[Service]\nExecStart=-/usr/local/bin/k3s server\n'))!;
    // THEN
    expect(commandWords(entry).map((w) => w.value)).toEqual(['-/usr/local/bin/k3s', 'server']);
  });
});

describe('kubeSchedulerArgs', () => {
  it('finds every spelling of --kube-scheduler-arg', () => {
    // GIVEN / WHEN / THEN
    expect(kubeSchedulerArgs(['/usr/local/bin/k3s', 'server', '--kube-scheduler-arg=v=2', '--kube-scheduler-arg', 'bind-address=0.0.0.0', '-kube-scheduler-arg=profiling=false', '--kube-apiserver-arg=x=y', '--kube-scheduler-args=no'])).toEqual([
      'v=2',
      'bind-address=0.0.0.0',
      'profiling=false',
    ]);
  });

  it('finds nothing in a plain command line', () => {
    // GIVEN / WHEN / THEN
    expect(kubeSchedulerArgs(execStartArgs(INSTALL_SH_WITH_ARGS))).toEqual([]);
  });
});

describe('appendExecStartArg', () => {
  it('inserts a quoted argument line before the blank line of install.sh units with flags', () => {
    // GIVEN / WHEN
    const result = appendExecStartArg(INSTALL_SH_WITH_ARGS, FLAG);
    // THEN
    expect(result.text).toBe(INSTALL_SH_WITH_ARGS.replace("\t'traefik' \\\n", `\t'traefik' \\\n\t'${FLAG}' \\\n`));
    expect(result.edit).toEqual({ arg: FLAG, addedContinuation: false });
    expect(execStartArgs(result.text)).toEqual(['/usr/local/bin/k3s', 'server', '--cluster-init', '--disable', 'traefik', FLAG]);
  });

  it('inserts after the subcommand of install.sh units without flags', () => {
    // GIVEN / WHEN
    const result = appendExecStartArg(INSTALL_SH_NO_ARGS, FLAG);
    // THEN
    expect(result.text).toBe(INSTALL_SH_NO_ARGS.replace('    server \\\n', `    server \\\n\t'${FLAG}' \\\n`));
    expect(execStartArgs(result.text)).toEqual(['/usr/local/bin/k3s', 'server', FLAG]);
  });

  it('adds a continuation to a bare last line and records it', () => {
    // GIVEN / WHEN
    const result = appendExecStartArg(BARE_SERVER, FLAG);
    // THEN
    expect(result.text).toBe(BARE_SERVER.replace('    server\n', `    server \\\n\t'${FLAG}'\n`));
    expect(result.edit).toEqual({ arg: FLAG, addedContinuation: true });
  });

  it('continues a one-line ExecStart followed by other sections', () => {
    // GIVEN / WHEN
    const result = appendExecStartArg(ONE_LINE, FLAG);
    // THEN
    expect(result.text).toBe(ONE_LINE.replace('--cluster-init\n', `--cluster-init \\\n\t'${FLAG}'\n`));
    expect(parseUnitFile(result.text).entries.map((e) => e.key).slice(-2)).toEqual(['ExecStart', 'WantedBy']);
  });

  it('handles a command continued to the end of the file', () => {
    // GIVEN
    const text = '[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\';
    // WHEN
    const result = appendExecStartArg(text, FLAG);
    // THEN
    expect(result.text).toBe(`[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'${FLAG}'`);
    expect(execStartArgs(result.text)).toEqual(['/usr/local/bin/k3s', 'server', FLAG]);
  });

  it('edits the command after a reset, not the one before', () => {
    // GIVEN
    const text = '[Service]\nExecStart=/usr/local/bin/k3s server --old\nExecStart=\nExecStart=/usr/local/bin/k3s server --new\nRestart=always\n';
    // WHEN
    const result = appendExecStartArg(text, FLAG);
    // THEN
    expect(result.text).toBe(`[Service]\nExecStart=/usr/local/bin/k3s server --old\nExecStart=\nExecStart=/usr/local/bin/k3s server --new \\\n\t'${FLAG}'\nRestart=always\n`);
  });

  it('keeps CRLF endings', () => {
    // GIVEN / WHEN
    const result = appendExecStartArg('[Service]\r\nExecStart=/usr/local/bin/k3s server\r\n', FLAG);
    // THEN
    expect(result.text).toBe(`[Service]\r\nExecStart=/usr/local/bin/k3s server \\\r\n\t'${FLAG}'\r\n`);
  });

  it('double-quotes an argument that contains a single quote', () => {
    // GIVEN / WHEN
    const result = appendExecStartArg(INSTALL_SH_NO_ARGS, `--node-label=note=it's`);
    // THEN
    expect(result.text).toContain(`\t"--node-label=note=it's" \\\n`);
    expect(execStartArgs(result.text).at(-1)).toBe(`--node-label=note=it's`);
  });

  it('changes nothing when the argument is already there, however it is quoted', () => {
    // GIVEN
    const text = INSTALL_SH_NO_ARGS.replace('    server \\\n', `    server \\\n\t"${FLAG}" \\\n`);
    // WHEN
    const result = appendExecStartArg(text, FLAG);
    // THEN
    expect(result).toEqual({ text, changed: false, edit: { arg: FLAG, addedContinuation: false } });
  });

  it('throws if the unit has no ExecStart', () => {
    // GIVEN / WHEN / THEN
    expect(() => appendExecStartArg('[Service]\nType=notify\n', FLAG)).toThrow('unit file: no ExecStart= in [Service]');
  });
});

describe('removeExecStartArg', () => {
  for (const [name, text] of [
    ['install.sh with flags', INSTALL_SH_WITH_ARGS],
    ['install.sh without flags', INSTALL_SH_NO_ARGS],
    ['a bare subcommand line', BARE_SERVER],
    ['a one-line ExecStart', ONE_LINE],
    ['a command continued to the end of the file', '[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\'],
    ['CRLF endings', '[Service]\r\nExecStart=/usr/local/bin/k3s server\r\n\r\n[Install]\r\nWantedBy=multi-user.target\r\n'],
  ] as const) {
    it(`restores ${name} exactly`, () => {
      // GIVEN
      const { text: added, edit } = appendExecStartArg(text, FLAG);
      // WHEN
      const removed = removeExecStartArg(added, edit);
      // THEN
      expect(removed).toEqual({ text, changed: true });
    });
  }

  it('keeps arguments added after it and other edits made since', () => {
    // GIVEN
    const { text: added, edit } = appendExecStartArg(INSTALL_SH_WITH_ARGS, FLAG);
    const later = added.replace('RestartSec=5s', 'RestartSec=10s').replace(`\t'${FLAG}' \\\n`, `\t'${FLAG}' \\\n\t'--node-label=edited=later' \\\n`);
    // WHEN
    const removed = removeExecStartArg(later, edit);
    // THEN
    expect(removed.text).toBe(INSTALL_SH_WITH_ARGS.replace('RestartSec=5s', 'RestartSec=10s').replace("\t'traefik' \\\n", "\t'traefik' \\\n\t'--node-label=edited=later' \\\n"));
  });

  it('keeps the continuation it added when someone appended after the argument', () => {
    // GIVEN
    const { text: added, edit } = appendExecStartArg(BARE_SERVER, FLAG);
    const later = added.replace(`\t'${FLAG}'\n`, `\t'${FLAG}' \\\n\t'--debug'\n`);
    // WHEN
    const removed = removeExecStartArg(later, edit);
    // THEN
    expect(removed.text).toBe(BARE_SERVER.replace('    server\n', "    server \\\n\t'--debug'\n"));
    expect(execStartArgs(removed.text)).toEqual(['/usr/local/bin/k3s', 'server', '--debug']);
  });

  it('removes the argument from a line it shares with others', () => {
    // GIVEN someone joined the arguments onto one line
    const text = `[Service]\nExecStart=/usr/local/bin/k3s server '${FLAG}' --debug\n`;
    // WHEN
    const removed = removeExecStartArg(text, { arg: FLAG, addedContinuation: false });
    // THEN
    expect(removed.text).toBe('[Service]\nExecStart=/usr/local/bin/k3s server --debug\n');
  });

  it('removes the argument at the end of a shared line', () => {
    // GIVEN / WHEN
    const removed = removeExecStartArg(`[Service]\nExecStart=/usr/local/bin/k3s server "${FLAG}"\n`, { arg: FLAG, addedContinuation: false });
    // THEN
    expect(removed.text).toBe('[Service]\nExecStart=/usr/local/bin/k3s server\n');
  });

  it('finds the argument after it was re-quoted', () => {
    // GIVEN
    const { text: added, edit } = appendExecStartArg(INSTALL_SH_WITH_ARGS, FLAG);
    const requoted = added.replace(`'${FLAG}'`, `"${FLAG}"`);
    // WHEN / THEN
    expect(removeExecStartArg(requoted, edit)).toEqual({ text: INSTALL_SH_WITH_ARGS, changed: true });
  });

  it('changes nothing when the argument is gone, for example after install.sh rewrote the unit', () => {
    // GIVEN / WHEN / THEN
    expect(removeExecStartArg(INSTALL_SH_WITH_ARGS, { arg: FLAG, addedContinuation: true })).toEqual({ text: INSTALL_SH_WITH_ARGS, changed: false });
  });

  it('removes only one occurrence and only the exact argument', () => {
    // GIVEN
    const text = `[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'${FLAG}' \\\n\t'${FLAG}x' \\\n\t'${FLAG}' \\\n\n`;
    // WHEN
    const removed = removeExecStartArg(text, { arg: FLAG, addedContinuation: false });
    // THEN
    expect(removed.text).toBe(`[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'${FLAG}' \\\n\t'${FLAG}x' \\\n\n`);
  });

  it('looks in an ExecStart before a reset when the active one lacks it', () => {
    // GIVEN
    const text = `[Service]\nExecStart=/usr/local/bin/k3s server '${FLAG}'\nExecStart=\nExecStart=/usr/local/bin/k3s server\n`;
    // WHEN / THEN
    expect(removeExecStartArg(text, { arg: FLAG, addedContinuation: false }).text).toBe('[Service]\nExecStart=/usr/local/bin/k3s server\nExecStart=\nExecStart=/usr/local/bin/k3s server\n');
  });

  it('throws if the argument is split across lines', () => {
    // GIVEN
    const text = `[Service]\nExecStart=/usr/local/bin/k3s server "--kube-scheduler-arg=config=\\\n/x.yaml"\n`;
    // WHEN / THEN
    expect(() => removeExecStartArg(text, { arg: '--kube-scheduler-arg=config= /x.yaml', addedContinuation: false })).toThrow('unit file: "--kube-scheduler-arg=config= /x.yaml" is split across lines 2-3; remove it by hand');
  });
});

describe('execStartOverrides', () => {
  it('names the drop-ins that set ExecStart in [Service]', () => {
    // GIVEN
    const dropIns = [
      { path: '/etc/systemd/system/k3s.service.d/10-env.conf', content: '[Service]\nEnvironment=A=b\n' },
      { path: '/etc/systemd/system/k3s.service.d/20-exec.conf', content: '[Service]\nExecStart=\nExecStart=/usr/local/bin/k3s server --debug\n' },
      { path: '/etc/systemd/system/k3s.service.d/30-unit.conf', content: '[Unit]\nExecStart=/bin/true\n' },
    ];
    // WHEN / THEN
    expect(execStartOverrides(dropIns)).toEqual(['/etc/systemd/system/k3s.service.d/20-exec.conf']);
  });
});
