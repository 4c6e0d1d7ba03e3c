import { Command, InvalidArgumentError, Option } from 'commander';
import { DokkuGitopsError } from '../../src/errors.js';
import { addRepoOptions, type RawRepoOptions, repoOptions } from './_gitops-options.js';
import { describeResult } from './deploy.js';
import type { CommandOperator } from '../../src/bootstrap/operator.js';
import type { SshTarget } from '../../src/bootstrap/ssh-target.js';

interface SshFlags {
  readonly sshKey?: string;
  readonly knownHosts?: string;
  readonly insecureAllowUnknownHosts?: boolean;
  readonly remoteRoot?: string;
}

interface LocalFlags {
  readonly root?: string;
  readonly timeout?: number;
}

const PASSWORD_ENV = 'DOKKU_GITOPS_SSH_PASSWORD';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function collectCommaList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter((v) => v !== '')];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

function addSshOptions(command: Command): Command {
  return command
    .option('--ssh-key <path>', 'private key for SSH (default: ~/.ssh/id_ed25519, id_ecdsa or id_rsa, or ssh-agent); a password can be given in $DOKKU_GITOPS_SSH_PASSWORD')
    .option('--known-hosts <path>', 'known_hosts file host keys are checked against (default: ~/.ssh/known_hosts)')
    .option('--insecure-allow-unknown-hosts', 'accept a host key known_hosts does not list (a changed key is still refused)', false)
    .addOption(new Option('--remote-root <dir>', 'treat this directory as / on SSH nodes (tests only)').hideHelp());
}

function addLocalOptions(command: Command): Command {
  return command
    .option('--timeout <seconds>', 'how long to wait for nodes and k3s restarts', positiveInt, 300)
    .addOption(new Option('--root <dir>', 'treat this directory as / on this machine (tests only)').hideHelp());
}

async function bootstrap() {
  return import('../../src/bootstrap/index.js');
}

async function localOperator(flags: LocalFlags): Promise<CommandOperator> {
  const { LocalOperator } = await bootstrap();
  return new LocalOperator(flags.root !== undefined ? { root: flags.root } : {});
}

async function sshConnector(flags: SshFlags): Promise<(target: SshTarget) => CommandOperator> {
  const { SshOperator, ConsoleStepLogger } = await bootstrap();
  const logger = new ConsoleStepLogger();
  const password = process.env[PASSWORD_ENV];
  return (target) =>
    new SshOperator({
      target,
      ...(flags.knownHosts !== undefined ? { knownHostsPath: flags.knownHosts } : {}),
      allowUnknownHosts: flags.insecureAllowUnknownHosts === true,
      ...(flags.sshKey !== undefined ? { privateKeyPath: flags.sshKey } : {}),
      ...(password !== undefined && password !== '' ? { password } : {}),
      ...(flags.remoteRoot !== undefined ? { root: flags.remoteRoot } : {}),
      onWarning: (message) => logger.warning(message),
    });
}

function pollOptions(flags: LocalFlags) {
  return { timeoutMs: (flags.timeout ?? 300) * 1000, intervalMs: 2000 };
}

function initCommand(): Command {
  return addLocalOptions(
    new Command('init')
      .description('install the first k3s server on this machine: embedded etcd, a 0600 join token, settings in /etc/rancher/k3s/config.yaml')
      .option('--server-ip <ip>', 'address clients and joining nodes use for this server (default: the first address of hostname -I)')
      .option('--taint-scheduling', 'taint the server CriticalAddonsOnly=true:NoSchedule so only critical add-ons run on it', false)
      .addOption(new Option('--ingress-class <class>', 'ingress controller; nginx disables the bundled Traefik').choices(['traefik', 'nginx']).default('nginx'))
      .option('--k3s-version <version>', 'k3s release to install, for example v1.30.4+k3s1 (default: the stable channel)')
      .option('--kubelet-args <k=v,...>', 'comma-separated kubelet arguments (repeatable)', collectCommaList)
      .option('--kubelet-arg <k=v>', 'one kubelet argument, which may contain commas (repeatable)', collect)
      .option('--tls-san <name>', 'extra name or address for the API server certificate (repeatable)', collect)
      .option('--label <k=v>', 'node label (repeatable)', collect)
      .option('--airgap-bundle <dir>', 'copy k3s, its images and install.sh from this directory instead of downloading'),
  )
    .addHelpText(
      'after',
      `
Re-running with the same flags changes nothing; with different flags it refuses.

Examples:
  $ dokku-gitops cluster init --server-ip 203.0.113.10
  $ dokku-gitops cluster init --ingress-class traefik --k3s-version v1.30.4+k3s1 --tls-san k3s.example.com
  $ dokku-gitops cluster init --taint-scheduling --kubelet-args max-pods=150,image-gc-high-threshold=80
  $ dokku-gitops cluster init --airgap-bundle /srv/k3s-v1.30.4`,
    )
    .action(async (flags: LocalFlags & { serverIp?: string; taintScheduling: boolean; ingressClass: string; k3sVersion?: string; kubeletArgs?: string[]; kubeletArg?: string[]; tlsSan?: string[]; label?: string[]; airgapBundle?: string }) => {
      const { initCluster, IngressClass, ConsoleStepLogger } = await bootstrap();
      const operator = await localOperator(flags);
      const result = await initCluster(operator, {
        ...(flags.serverIp !== undefined ? { serverIp: flags.serverIp } : {}),
        taintScheduling: flags.taintScheduling,
        ingressClass: IngressClass.of(flags.ingressClass),
        ...(flags.k3sVersion !== undefined ? { k3sVersion: flags.k3sVersion } : {}),
        kubeletArgs: [...(flags.kubeletArgs ?? []), ...(flags.kubeletArg ?? [])],
        tlsSans: flags.tlsSan ?? [],
        labels: flags.label ?? [],
        ...(flags.airgapBundle !== undefined ? { airgapBundle: flags.airgapBundle } : {}),
        logger: new ConsoleStepLogger(),
        poll: pollOptions(flags),
      });
      process.stdout.write(`${result.nodeName} ${result.changed ? 'installed' : 'already installed, unchanged'}\n`);
    });
}

function addCommand(): Command {
  return addLocalOptions(
    addSshOptions(
      new Command('add')
        .description('join a node to the cluster over SSH, pinned to the lowest server version')
        .argument('<ssh-url>', 'ssh://user@host[:port]; sudo is used when the user is not root')
        .addOption(new Option('--role <role>', 'join as a server (control plane and etcd) or a worker').choices(['server', 'worker']).default('worker'))
        .option('--taint-scheduling', 'taint the server CriticalAddonsOnly=true:NoSchedule (servers only)', false)
        .option('--server-ip <ip>', 'address of the server to join (default: the InternalIP of the first ready server)')
        .option('--k3s-version <version>', 'k3s release to install (default: the lowest version among the servers)')
        .option('--kubelet-args <k=v,...>', 'comma-separated kubelet arguments (repeatable)', collectCommaList)
        .option('--kubelet-arg <k=v>', 'one kubelet argument, which may contain commas (repeatable)', collect)
        .option('--label <k=v>', 'node label (repeatable)', collect)
        .option('--airgap-bundle <dir>', 'copy k3s, its images and install.sh from this directory instead of downloading'),
    ),
  )
    .addHelpText(
      'after',
      `
The node is labelled node-role.kubernetes.io/worker=worker (workers) and annotated
dokku.com/remote-host=<ssh-url>, which 'cluster remove' uses to reach it.

Examples:
  $ dokku-gitops cluster add ssh://root@10.0.0.12
  $ dokku-gitops cluster add ssh://ubuntu@10.0.0.13:2222 --role server --taint-scheduling
  $ dokku-gitops cluster add ssh://root@10.0.0.14 --ssh-key ~/.ssh/cluster_ed25519 --label tier=batch
  $ dokku-gitops cluster add ssh://root@10.0.0.15 --insecure-allow-unknown-hosts --airgap-bundle /srv/k3s-v1.30.4`,
    )
    .action(
      async (
        url: string,
        flags: SshFlags & LocalFlags & { role: string; taintScheduling: boolean; serverIp?: string; k3sVersion?: string; kubeletArgs?: string[]; kubeletArg?: string[]; label?: string[]; airgapBundle?: string },
      ) => {
        const { addNode, parseSshUrl, NodeRole, ConsoleStepLogger, checkAddOptions } = await bootstrap();
        const { InputError } = await import('../../src/errors.js');
        const target = parseSshUrl(url, '<ssh-url>');
        const options = {
          target,
          role: NodeRole.of(flags.role),
          taintScheduling: flags.taintScheduling,
          ...(flags.serverIp !== undefined ? { serverIp: flags.serverIp } : {}),
          ...(flags.k3sVersion !== undefined ? { k3sVersion: flags.k3sVersion } : {}),
          kubeletArgs: [...(flags.kubeletArgs ?? []), ...(flags.kubeletArg ?? [])],
          labels: flags.label ?? [],
          ...(flags.airgapBundle !== undefined ? { airgapBundle: flags.airgapBundle } : {}),
          logger: new ConsoleStepLogger(),
          poll: pollOptions(flags),
        };
        // check the flags before connecting anywhere
        const problems = checkAddOptions(options);
        if (problems.length > 0) throw new InputError(problems);
        const control = await localOperator(flags);
        const node = (await sshConnector(flags))(target);
        try {
          const result = await addNode(control, node, options);
          process.stdout.write(`${result.nodeName} ${result.changed ? 'joined' : 'already joined, unchanged'} (${flags.role}, ${result.version})\n`);
        } finally {
          await node.close();
        }
      },
    );
}

function listCommand(): Command {
  return addLocalOptions(
    new Command('list').description("list the cluster's nodes: status, roles, version, address and SSH address").addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops cluster list
  $ dokku-gitops cluster list --format json`,
    )
    .action(async (flags: LocalFlags & { format: string }) => {
      const { listNodes, formatNodeTable } = await bootstrap();
      const nodes = await listNodes(await localOperator(flags));
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(nodes, null, 2)}\n` : formatNodeTable(nodes));
    });
}

function removeCommand(): Command {
  return addLocalOptions(
    addSshOptions(
      new Command('remove')
        .description('cordon and drain a node, delete it from the cluster, then uninstall k3s on it over SSH')
        .argument('<node>', "the node's name, as 'cluster list' shows it"),
    ),
  )
    .addHelpText(
      'after',
      `
Only nodes added with 'cluster add' (annotated dokku.com/remote-host) can be removed.

Examples:
  $ dokku-gitops cluster remove ip-10-0-0-12-4f3a9c2b1d
  $ dokku-gitops cluster remove ip-10-0-0-13-9b8c7d6e5f --known-hosts ./known_hosts`,
    )
    .action(async (node: string, flags: SshFlags & LocalFlags) => {
      const { removeNode, ConsoleStepLogger } = await bootstrap();
      await removeNode(await localOperator(flags), node, await sshConnector(flags), { logger: new ConsoleStepLogger(), poll: pollOptions(flags), drainTimeoutSeconds: flags.timeout ?? 300 });
      process.stdout.write(`${node} removed\n`);
    });
}

function kubeconfigCommand(): Command {
  return addLocalOptions(
    new Command('kubeconfig')
      .description('print the admin kubeconfig with a server address reachable from outside, or save it with mode 0600')
      .option('--server-ip <host>', 'address clients use; it must be in the certificate (default: the first --tls-san of init, else the first address)')
      .option('--name <name>', 'name for the cluster, user and context (default: k3s)', 'k3s')
      .option('-o, --output <file>', 'write to this file with mode 0600 instead of printing'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops cluster kubeconfig > ~/.kube/k3s.yaml
  $ dokku-gitops cluster kubeconfig --server-ip k3s.example.com --output ~/.kube/config`,
    )
    .action(async (flags: LocalFlags & { serverIp?: string; name: string; output?: string }) => {
      const { fetchKubeconfig, writeSecretFile } = await bootstrap();
      const text = await fetchKubeconfig(await localOperator(flags), { ...(flags.serverIp !== undefined ? { serverIp: flags.serverIp } : {}), name: flags.name });
      if (flags.output === undefined) process.stdout.write(text);
      else {
        writeSecretFile(flags.output, text);
        process.stderr.write(`wrote ${flags.output} (mode 0600)\n`);
      }
    });
}

function agentCommand(): Command {
  return addLocalOptions(
    new Command('agent')
      .description("install the GitOps agent on this k3s server: its controllers from a pinned chart that k3s deploys, then the objects of 'dokku-gitops agent'")
      .argument('<agent>', 'flux or argocd')
      .requiredOption('--repo-url <url>', 'the URL the agent clones the GitOps repository from')
      .option('--branch <name>', 'the branch the agent applies', 'main')
      .option('--cluster <name>', 'the folder clusters/<name>/ of the repository', 'default')
      .option('--git-secret <name>', 'Flux: the Secret in flux-system with the repository credentials')
      .option('--age-key <file>', "Flux: the age identity file ('dokku-gitops keys init') for the sops-age Secret"),
  )
    .addHelpText(
      'after',
      `
Charts (pinned): flux2 2.17.0 (fluxcd-community) or argo-cd 10.1.1, written to
/var/lib/rancher/k3s/server/manifests/ so that k3s itself installs them. Run it again to
change nothing, or after changing a flag.

Examples:
  $ dokku-gitops cluster agent flux --repo-url ssh://git@github.com/acme/gitops.git --age-key ~/.dokku-gitops/age.key
  $ dokku-gitops cluster agent argocd --repo-url https://github.com/acme/gitops.git`,
    )
    .action(async (agent: string, flags: LocalFlags & { repoUrl: string; branch: string; cluster: string; gitSecret?: string; ageKey?: string }) => {
      if (agent !== 'flux' && agent !== 'argocd') throw new DokkuGitopsError(`agent ${JSON.stringify(agent)} is not supported; allowed values: flux, argocd`, 'input');
      if (agent === 'argocd' && (flags.ageKey !== undefined || flags.gitSecret !== undefined)) {
        throw new DokkuGitopsError("'--age-key' and '--git-secret' are for Flux; Argo CD reads Sealed Secrets, and its repository credentials are registered with 'argocd repo add'", 'input');
      }
      const { installAgent, ConsoleStepLogger } = await bootstrap();
      const { readFileSync } = await import('node:fs');
      const ageIdentity = flags.ageKey !== undefined ? readFileSync(flags.ageKey, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) : undefined;
      if (flags.ageKey !== undefined && ageIdentity === undefined) throw new DokkuGitopsError(`'--age-key': ${flags.ageKey} holds no age identity (AGE-SECRET-KEY-1...)`, 'input');
      const result = await installAgent(await localOperator(flags), {
        agent,
        repoUrl: flags.repoUrl,
        branch: flags.branch,
        cluster: flags.cluster,
        ...(flags.gitSecret !== undefined ? { gitSecret: flags.gitSecret } : {}),
        ...(ageIdentity !== undefined ? { ageIdentity } : {}),
        logger: new ConsoleStepLogger(),
      });
      process.stdout.write(`${agent} ${result.changed ? 'installed' : 'was already installed'}; clusters/${flags.cluster} applied\n`);
    });
}

function uninstallCommand(): Command {
  return addLocalOptions(new Command('uninstall').description("uninstall k3s from this machine with the install script's uninstall script (removes /etc/rancher/k3s and the data)"))
    .addHelpText(
      'after',
      `
Remove other nodes first with 'cluster remove'; this does not touch them.

Examples:
  $ dokku-gitops cluster uninstall`,
    )
    .action(async (flags: LocalFlags) => {
      const { uninstallNode, ConsoleStepLogger } = await bootstrap();
      const removed = await uninstallNode(await localOperator(flags), { logger: new ConsoleStepLogger() });
      process.stdout.write(removed ? 'k3s uninstalled\n' : 'k3s is not installed\n');
    });
}

function platformCommand(): Command {
  const command = new Command('platform')
    .description("write or commit the platform/ objects k3s's Helm controller applies: cert-manager, KEDA and its HTTP add-on, ingress-nginx or the Traefik config")
    .option('--out <dir>', 'directory to write platform/charts/ into (for example a checkout of the GitOps repository)')
    .addOption(new Option('--ingress-class <class>', 'ingress controller: an ingress-nginx HelmChart, or a HelmChartConfig for the bundled Traefik').choices(['traefik', 'nginx']).default('nginx'));
  return addRepoOptions(command, false)
    .addHelpText(
      'after',
      `
Exactly one of --out (write a folder) and --repo (commit and push, like deploy). platform/charts/
is generated whole: only changed files are written, and files no longer generated are removed;
keep objects of your own in another platform/<folder>/ with its own kustomization.yaml, which
platform/kustomization.yaml then lists. Chart versions are pinned (see docs/bootstrap.md).

Examples:
  $ dokku-gitops cluster platform --repo git@github.com:acme/gitops.git --ingress-class traefik
  $ dokku-gitops cluster platform --out ../gitops`,
    )
    .action(async (flags: Partial<RawRepoOptions> & { out?: string; ingressClass: string }) => {
      if ((flags.out === undefined) === (flags.repo === undefined)) {
        throw new DokkuGitopsError("give exactly one of '--out <dir>' and '--repo <url|path>'", 'input');
      }
      const { generatePlatform, IngressClass } = await bootstrap();
      const files = generatePlatform({ ingressClass: IngressClass.of(flags.ingressClass) });
      if (flags.repo !== undefined) {
        const { commitPlatformCharts } = await import('../../src/deploy.js');
        const result = await commitPlatformCharts({ ...repoOptions(flags as RawRepoOptions), files });
        process.stdout.write(describeResult(result));
        return;
      }
      const { writePlatformFolders } = await import('../../src/output/platform-index.js');
      const result = writePlatformFolders(flags.out!, new Map([['platform/charts', new Map(files.map((f) => [f.path, f.content]))]]));
      for (const path of result.written) process.stdout.write(`wrote ${path}\n`);
      for (const path of result.removed) process.stdout.write(`removed ${path}\n`);
      if (result.written.length === 0 && result.removed.length === 0) process.stdout.write('platform files are up to date\n');
    });
}

async function serverTargets(flags: SshFlags & LocalFlags): Promise<{ servers: { name: string; operator: CommandOperator }[] }> {
  const { listNodes, serverRoutes, parseSshUrl, parseK3sConfig, K3S_PATHS, readFileCommand } = await bootstrap();
  const local = await localOperator(flags);
  const configResult = await local.execute(readFileCommand(local, K3S_PATHS.config));
  const localName = configResult.exitCode === 0 ? parseK3sConfig(configResult.stdout, K3S_PATHS.config)['node-name'] : undefined;
  const routes = serverRoutes(await listNodes(local), typeof localName === 'string' ? localName : undefined);
  const connect = await sshConnector(flags);
  return { servers: routes.map((r) => ({ name: r.name, operator: r.local ? local : connect(parseSshUrl(r.remoteHost ?? '', `server ${r.name}`)) })) };
}

function schedulerExtenderCommand(): Command {
  const group = new Command('scheduler-extender').description("configure a kube-scheduler extender on every k3s server (the CSI scheduler-extender proposal, surviving k3s upgrades)").addHelpText(
    'after',
    `
Examples:
  $ dokku-gitops cluster scheduler-extender enable --url http://127.0.0.1:8889 --ignorable
  $ dokku-gitops cluster scheduler-extender disable`,
  );
  group.addCommand(
    addLocalOptions(
      addSshOptions(
        new Command('enable')
          .description('write a KubeSchedulerConfiguration for each server\'s Kubernetes version, pass it to k3s, restart k3s server by server and check the scheduler came back')
          .requiredOption('--url <url>', 'the extender URL prefix, for example http://127.0.0.1:8889')
          .option('--filter-verb <verb>', 'verb of the filter call ("" for none)', 'filter')
          .option('--prioritize-verb <verb>', 'verb of the prioritize call ("" for none)', 'prioritize')
          .option('--weight <n>', 'weight of the extender priorities', positiveInt, 1)
          .option('--ignorable', 'schedule pods anyway when the extender is unreachable', false)
          .option('--http-timeout <duration>', 'timeout of each call', '15s')
          .option('--node-cache-capable', 'the extender caches nodes, so only node names are sent', false)
          .option('--name <name>', 'name of the extender, used for its files', '90-scheduler-extender')
          .addOption(
            new Option('--method <method>', 'config-file: a drop-in in /etc/rancher/k3s/config.yaml.d; unit-file: a flag appended to ExecStart of k3s.service, for units that already pass --kube-scheduler-arg')
              .choices(['config-file', 'unit-file'])
              .default('config-file'),
          ),
      ),
    )
      .addHelpText(
        'after',
        `
Running it again changes nothing. When k3s.service already passes --kube-scheduler-arg on its
ExecStart line, a config drop-in would be ignored; the command says so and --method unit-file
is the way.

Examples:
  $ dokku-gitops cluster scheduler-extender enable --url http://127.0.0.1:8889 --ignorable
  $ dokku-gitops cluster scheduler-extender enable --url http://127.0.0.1:8889 --method unit-file
  $ dokku-gitops cluster scheduler-extender enable --url https://extender.kube-system.svc:8889 --http-timeout 5s --weight 5`,
      )
      .action(
        async (
          flags: SshFlags & LocalFlags & { url: string; filterVerb: string; prioritizeVerb: string; weight: number; ignorable: boolean; httpTimeout: string; nodeCacheCapable: boolean; name: string; method: string },
        ) => {
          const { enableSchedulerExtender, checkEnableOptions, SchedulerExtenderMethod, ConsoleStepLogger } = await bootstrap();
          const { InputError } = await import('../../src/errors.js');
          const options = {
            url: flags.url,
            filterVerb: flags.filterVerb,
            prioritizeVerb: flags.prioritizeVerb,
            weight: flags.weight,
            ignorable: flags.ignorable,
            httpTimeout: flags.httpTimeout,
            nodeCacheCapable: flags.nodeCacheCapable,
            name: flags.name,
            method: SchedulerExtenderMethod.of(flags.method),
            logger: new ConsoleStepLogger(),
            poll: pollOptions(flags),
          };
          const problems = checkEnableOptions(options);
          if (problems.length > 0) throw new InputError(problems);
          const { servers } = await serverTargets(flags);
          try {
            for (const o of await enableSchedulerExtender(servers, options)) process.stdout.write(`${o.node}: ${o.changed ? `enabled (${o.apiVersion})` : 'already enabled, unchanged'}\n`);
          } finally {
            for (const s of servers) await s.operator.close();
          }
        },
      ),
  );
  group.addCommand(
    addLocalOptions(
      addSshOptions(
        new Command('disable').description('remove exactly what enable added on every server, restart k3s and check the scheduler came back without it').option('--name <name>', 'name of the extender', '90-scheduler-extender'),
      ),
    )
      .addHelpText(
        'after',
        `
Examples:
  $ dokku-gitops cluster scheduler-extender disable
  $ dokku-gitops cluster scheduler-extender disable --name 90-csi-baremetal`,
      )
      .action(async (flags: SshFlags & LocalFlags & { name: string }) => {
        const { disableSchedulerExtender, ConsoleStepLogger } = await bootstrap();
        const { servers } = await serverTargets(flags);
        try {
          for (const o of await disableSchedulerExtender(servers, { name: flags.name, logger: new ConsoleStepLogger(), poll: pollOptions(flags) })) process.stdout.write(`${o.node}: ${o.changed ? 'disabled' : 'not enabled, unchanged'}\n`);
        } finally {
          for (const s of servers) await s.operator.close();
        }
      }),
  );
  return group;
}

/** Usage errors anywhere in the tree reach cli/index.ts (exit 2) instead of exiting here. */
function exitOverrideTree(command: Command): Command {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideTree(sub);
  return command;
}

/** `dokku-gitops cluster`: install and manage a k3s cluster for the compiled manifests. */
export function clusterCommand(): Command {
  const cluster = new Command('cluster')
    .description('install and manage a k3s cluster over SSH: nodes, kubeconfig, platform charts and a scheduler extender')
    .addCommand(initCommand())
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(removeCommand())
    .addCommand(kubeconfigCommand())
    .addCommand(uninstallCommand())
    .addCommand(platformCommand())
    .addCommand(agentCommand())
    .addCommand(schedulerExtenderCommand())
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops cluster init --server-ip 203.0.113.10
  $ dokku-gitops cluster add ssh://root@10.0.0.12 --role server
  $ dokku-gitops cluster list
  $ dokku-gitops cluster kubeconfig --output ~/.kube/k3s.yaml
  $ dokku-gitops cluster platform --out ../gitops
  $ dokku-gitops cluster scheduler-extender enable --url http://127.0.0.1:8889 --ignorable`,
    );
  return exitOverrideTree(cluster);
}
