/**
 * The closed choices of the bootstrap commands, as enum-like classes (house style 7): a node's
 * role, the ingress controller, and how the scheduler extender is wired into k3s.
 */
import { DokkuGitopsError } from '../errors.js';

/** The role a node joins the cluster with. */
export class NodeRole {
  /** A k3s server: runs the control plane and an embedded etcd member, and can run workloads. */
  public static server(): NodeRole {
    return new NodeRole('server');
  }

  /** A k3s agent: runs workloads only. */
  public static worker(): NodeRole {
    return new NodeRole('worker');
  }

  /**
   * The role named `name` (`server` or `worker`).
   *
   * @throws DokkuGitopsError (input) for any other name
   */
  public static of(name: string, field = "'--role'"): NodeRole {
    if (name === 'server' || name === 'worker') return new NodeRole(name);
    throw new DokkuGitopsError(`${field}: ${JSON.stringify(name)} is not a role; use server or worker`, 'input');
  }

  private constructor(
    /** `server` or `worker`. */
    public readonly name: 'server' | 'worker',
  ) {}

  /** True for servers. */
  public get isServer(): boolean {
    return this.name === 'server';
  }

  /** The k3s subcommand the installer runs: `server` or `agent`. */
  public get k3sCommand(): 'server' | 'agent' {
    return this.isServer ? 'server' : 'agent';
  }

  /** The systemd unit install.sh writes: `k3s` for servers, `k3s-agent` for agents. */
  public get serviceName(): 'k3s' | 'k3s-agent' {
    return this.isServer ? 'k3s' : 'k3s-agent';
  }

  /** The uninstall script install.sh writes next to the binary. */
  public get uninstallScript(): string {
    return this.isServer ? '/usr/local/bin/k3s-uninstall.sh' : '/usr/local/bin/k3s-agent-uninstall.sh';
  }
}

/** The ingress controller the cluster runs; matches Dokku's `scheduler-k3s` `ingress-class`. */
export class IngressClass {
  /** k3s's bundled Traefik, configured with a HelmChartConfig. */
  public static traefik(): IngressClass {
    return new IngressClass('traefik');
  }

  /** ingress-nginx installed with a HelmChart; the bundled Traefik is disabled. Dokku's default. */
  public static nginx(): IngressClass {
    return new IngressClass('nginx');
  }

  /**
   * The class named `name` (`traefik` or `nginx`).
   *
   * @throws DokkuGitopsError (input) for any other name
   */
  public static of(name: string, field = "'--ingress-class'"): IngressClass {
    if (name === 'traefik' || name === 'nginx') return new IngressClass(name);
    throw new DokkuGitopsError(`${field}: ${JSON.stringify(name)} is not an ingress class; use traefik or nginx`, 'input');
  }

  private constructor(
    /** `traefik` or `nginx`. */
    public readonly name: 'traefik' | 'nginx',
  ) {}
}

/** How `cluster scheduler-extender enable` passes `--config` to k3s's embedded kube-scheduler. */
export class SchedulerExtenderMethod {
  /**
   * A drop-in `/etc/rancher/k3s/config.yaml.d/<name>.yaml` with `kube-scheduler-arg+:`. Survives
   * k3s upgrades (install.sh rewrites the unit file, never the config directory).
   */
  public static configFile(): SchedulerExtenderMethod {
    return new SchedulerExtenderMethod('config-file');
  }

  /**
   * A flag appended to `ExecStart` of `k3s.service`, for installs whose unit already carries
   * `--kube-scheduler-arg` (a command-line list replaces the config file's list). Lost when
   * install.sh is re-run; `enable` puts it back.
   */
  public static unitFile(): SchedulerExtenderMethod {
    return new SchedulerExtenderMethod('unit-file');
  }

  /**
   * The method named `name` (`config-file` or `unit-file`).
   *
   * @throws DokkuGitopsError (input) for any other name
   */
  public static of(name: string, field = "'--method'"): SchedulerExtenderMethod {
    if (name === 'config-file' || name === 'unit-file') return new SchedulerExtenderMethod(name);
    throw new DokkuGitopsError(`${field}: ${JSON.stringify(name)} is not a method; use config-file or unit-file`, 'input');
  }

  private constructor(
    /** `config-file` or `unit-file`. */
    public readonly name: 'config-file' | 'unit-file',
  ) {}
}
