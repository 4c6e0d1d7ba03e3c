/**
 * Port maps (`ports:set`): parsing, Dokku's completion rules, and a deterministic choice of
 * the primary port (Dokku picks whichever map a Go map iteration yields first).
 */

/** The schemes `ports:set` accepts. */
export const PORT_SCHEMES = ['http', 'https', 'tcp', 'udp'] as const;

/** The longest name Kubernetes accepts for a container or service port (IANA_SVC_NAME). */
export const MAX_PORT_NAME = 15;

/** One port map. */
export interface PortMap {
  readonly scheme: (typeof PORT_SCHEMES)[number];
  readonly hostPort: number;
  readonly containerPort: number;
  /** `<scheme>-<host>-<container>`, the name of the Service and container port. */
  readonly name: string;
}

/** Builds a port map and its name. */
export function portMap(scheme: PortMap['scheme'], hostPort: number, containerPort: number): PortMap {
  return { scheme, hostPort, containerPort, name: `${scheme}-${hostPort}-${containerPort}` };
}

/** Parses `scheme:host:container`; returns a message when it is malformed. */
export function parsePortMap(input: string): PortMap | string {
  const m = /^([a-z]+):(\d{1,5}):(\d{1,5})$/.exec(input);
  const allowed = `expected scheme:host:container such as http:80:5000, with scheme ${PORT_SCHEMES.join(', ')} and ports 1-65535`;
  if (!m) return `${JSON.stringify(input)} is not a port map; ${allowed}`;
  const [, scheme, host, container] = m as unknown as [string, string, string, string];
  const hostPort = Number(host);
  const containerPort = Number(container);
  if (!(PORT_SCHEMES as readonly string[]).includes(scheme) || hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
    return `${JSON.stringify(input)} is not a port map; ${allowed}`;
  }
  const map = portMap(scheme as PortMap['scheme'], hostPort, containerPort);
  if (map.name.length > MAX_PORT_NAME) {
    return (
      `port map ${JSON.stringify(input)} would be named "${map.name}", which is longer than the ${MAX_PORT_NAME} characters ` +
      'Kubernetes allows for port names; use a host or container port with fewer digits'
    );
  }
  return map;
}

function byName(a: PortMap, b: PortMap): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Dokku's web port-map completion: only http and https maps are kept; when TLS is on, every
 * http map gains an `https:443:<container>` twin; every https map gains an `http:80:<container>`
 * twin. The result is sorted by name, without duplicates.
 */
export function completePortMaps(maps: readonly PortMap[], tls: boolean): PortMap[] {
  const out = new Map<string, PortMap>();
  const web = maps.filter((m) => m.scheme === 'http' || m.scheme === 'https');
  for (const m of web) out.set(m.name, m);
  for (const m of web) {
    if (m.scheme === 'http' && tls) {
      const twin = portMap('https', 443, m.containerPort);
      if (!out.has(twin.name)) out.set(twin.name, twin);
    }
    if (m.scheme === 'https') {
      const twin = portMap('http', 80, m.containerPort);
      if (!out.has(twin.name)) out.set(twin.name, twin);
    }
  }
  return [...out.values()].sort(byName);
}

/**
 * The primary port map: the first `https-443-*`, else the first `http-80-*`, else the first
 * https map, else the first http map, else the first map, by name. Dokku's `primary.port`
 * helper, applied to a sorted list so that the choice never depends on iteration order.
 */
export function primaryPortMap(maps: readonly PortMap[]): PortMap | undefined {
  const sorted = [...maps].sort(byName);
  return (
    sorted.find((m) => m.scheme === 'https' && m.hostPort === 443) ??
    sorted.find((m) => m.scheme === 'http' && m.hostPort === 80) ??
    sorted.find((m) => m.scheme === 'https') ??
    sorted.find((m) => m.scheme === 'http') ??
    sorted[0]
  );
}

/**
 * The container ports to declare: one per container port number, named after the first map
 * (by name) that targets it. This is Dokku's "skip an https map that has an `http-80-<same
 * port>` sibling" rule, generalised so that no port number is ever declared twice.
 */
export function containerPorts(maps: readonly PortMap[]): PortMap[] {
  const seen = new Set<number>();
  return [...maps].sort(byName).filter((m) => (seen.has(m.containerPort) ? false : (seen.add(m.containerPort), true)));
}
