/**
 * Installs the GitOps agent on a k3s server: the agent's controllers from a pinned Helm chart that
 * k3s itself deploys (a HelmChart in k3s's auto-deploy folder), then the objects of
 * `dokku-gitops agent` (GitRepository and Kustomizations, or AppProject and Applications), and for
 * Flux the `sops-age` Secret that decrypts the repository's Secrets.
 *
 * @see https://docs.k3s.io/installation/packaged-components#auto-deploying-manifests-addons
 */
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { agentManifests } from '../agents/manifests.js';
import { HelmChart } from '../imports/helm.cattle.io.js';
import { poll, type PollOptions, readOptionalFile, run } from './_run.js';
import { kubectlCommand, removeFileCommand } from './commands.js';
import { onNode } from './paths.js';
import { type StepLogger, NopStepLogger, step } from './logger.js';
import type { CommandOperator } from './operator.js';
import { GENERATED_HEADER, PLATFORM_NAMESPACE, type PlatformChart } from './platform.js';

/** The GitOps agents `cluster agent` installs. */
export type GitopsAgent = 'flux' | 'argocd';

/**
 * The pinned charts of the agents' controllers: the Flux community chart and the Argo CD chart
 * (the chart whose CRDs `src/imports/argoproj.io.ts` was generated from).
 */
export const AGENT_CHARTS = {
  flux: { name: 'flux2', chart: 'flux2', repo: 'https://fluxcd-community.github.io/helm-charts', version: '2.17.0', targetNamespace: 'flux-system' },
  argocd: { name: 'argo-cd', chart: 'argo-cd', repo: 'https://argoproj.github.io/argo-helm', version: '10.1.1', targetNamespace: 'argocd' },
} as const satisfies Record<GitopsAgent, PlatformChart>;

/** A CRD each agent's chart installs: once it exists, the agent's objects can be applied. */
export const AGENT_CRDS: Readonly<Record<GitopsAgent, string>> = {
  flux: 'kustomizations.kustomize.toolkit.fluxcd.io',
  argocd: 'applications.argoproj.io',
};

/** k3s applies every manifest in this folder of a server, and re-applies it when it changes. */
export const K3S_AUTO_DEPLOY_DIR = '/var/lib/rancher/k3s/server/manifests';

/** Where the agent's objects are put on the server to be applied. */
export const AGENT_DIR = '/var/lib/dokku-gitops/agent';

/** Options of {@link installAgent}. */
export interface InstallAgentOptions {
  readonly agent: GitopsAgent;
  /** The URL the agent clones the GitOps repository from. */
  readonly repoUrl: string;
  /** @default 'main' */
  readonly branch?: string;
  /** @default 'default' */
  readonly cluster?: string;
  /** Flux only: the Secret with the repository's credentials. @default - none (a public repository) */
  readonly gitSecret?: string;
  /**
   * Flux only: the age identity (`AGE-SECRET-KEY-1...`) for the `sops-age` Secret.
   *
   * @default - no Secret is created (create it yourself, see docs/gitops.md)
   */
  readonly ageIdentity?: string;
  /** @default - no logging */
  readonly logger?: StepLogger;
  /** @default - 5 minutes, every 5 seconds */
  readonly poll?: PollOptions;
}

/** The HelmChart of an agent's controllers, as the file k3s auto-deploys. */
export function agentHelmChart(agent: GitopsAgent): string {
  const c = AGENT_CHARTS[agent];
  const chart = new Chart(new App(), 'agent', { disableResourceNameHashes: true });
  new HelmChart(chart, 'Resource', {
    metadata: { name: `dokku-gitops-${c.name}`, namespace: PLATFORM_NAMESPACE },
    spec: { repo: c.repo, chart: c.chart, version: c.version, targetNamespace: c.targetNamespace, createNamespace: true },
  });
  return `${GENERATED_HEADER}\n${stringify(chart.toJson()[0], { lineWidth: 0 })}`;
}

/** The `sops-age` Secret of Flux's kustomize-controller, holding the host's age identity. */
export function sopsAgeSecret(identity: string): string {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sops-age', namespace: AGENT_CHARTS.flux.targetNamespace },
    type: 'Opaque',
    stringData: { 'age.agekey': `${identity.trim()}\n` },
  };
  return stringify(secret, { lineWidth: 0 });
}

/**
 * Installs the agent on the k3s server behind `operator`. Idempotent: files that are already in
 * place are not written again, and `kubectl apply` changes nothing that is already applied.
 *
 * @returns whether the agent's chart was newly written
 * @throws DokkuGitopsError when a step fails, or the agent's CRDs do not appear in time
 */
export async function installAgent(operator: CommandOperator, options: InstallAgentOptions): Promise<{ changed: boolean }> {
  const logger = options.logger ?? new NopStepLogger();
  const cluster = options.cluster ?? 'default';
  const files = agentManifests({ agent: options.agent, repoUrl: options.repoUrl, branch: options.branch ?? 'main', cluster, ...(options.gitSecret ? { gitSecret: options.gitSecret } : {}) });

  const chartPath = `${K3S_AUTO_DEPLOY_DIR}/dokku-gitops-${options.agent}.yaml`;
  const chart = agentHelmChart(options.agent);
  const changed = (await readOptionalFile(operator, chartPath)) !== chart;
  if (changed) {
    await step(logger, `writing ${operator.target}:${chartPath} (${AGENT_CHARTS[options.agent].chart} ${AGENT_CHARTS[options.agent].version}, deployed by k3s)`, () =>
      operator.upload({ path: chartPath, mode: 0o600, content: chart }),
    );
  }
  const crd = AGENT_CRDS[options.agent];
  await step(logger, `waiting for ${crd}`, () =>
    poll(
      operator,
      `the ${options.agent} CRDs`,
      async () => {
        const result = await operator.execute(kubectlCommand(operator, ['get', 'crd', crd, '-o', 'name']));
        return result.exitCode === 0 ? { value: true } : { reason: result.stderr.trim() || 'not installed yet' };
      },
      options.poll,
    ),
  );

  if (options.agent === 'flux' && options.ageIdentity !== undefined) {
    // the key is written for kubectl and removed right after, whatever happens
    const keyPath = `${AGENT_DIR}/sops-age.yaml`;
    await operator.upload({ path: keyPath, mode: 0o600, content: sopsAgeSecret(options.ageIdentity) });
    try {
      await step(logger, 'creating the sops-age Secret in flux-system', () => run(operator, kubectlCommand(operator, ['apply', '-f', onNode(operator.root, keyPath)]), 'creating the sops-age Secret'));
    } finally {
      await operator.execute(removeFileCommand(operator, keyPath));
    }
  }

  for (const [path, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    await operator.upload({ path: `${AGENT_DIR}/${path}`, mode: 0o644, content });
  }
  const dir = `${AGENT_DIR}/clusters/${cluster}`;
  await step(logger, `applying the ${options.agent} objects of clusters/${cluster}`, () =>
    run(operator, kubectlCommand(operator, ['apply', '-k', onNode(operator.root, dir)]), `applying clusters/${cluster}`),
  );
  return { changed };
}
