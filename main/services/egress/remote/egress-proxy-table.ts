// The remote egress proxy's program text and the policy table the core gives it (docs/decisions/023-remote-egress.md).
import type { AllowTarget, EgressMode } from '../../../../contract/egress';
import { NEVER_ALLOWED, parseAllowEntry } from '../../../../contract/egress';

const sources = import.meta.glob<string>('./egress-proxy.cjs', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/**
 * The proxy's whole program (egress-proxy.cjs), run as `node -e <source> agentdesk-egress-proxy <port>
 * <table file>` in a container on the remote engine. Built-in modules only: the image has Node and nothing
 * of Agent Desk.
 */
export const EGRESS_PROXY_SOURCE: string = Object.values(sources)[0] ?? '';

/** One agent's policy as the proxy reads it: entries already parsed by {@link parseAllowEntry}. */
export interface ProxyPolicy {
  agent: string;
  mode: EgressMode;
  targets: AllowTarget[];
}

/** A range in the table: a dotted network and its prefix length. */
export interface ProxyRange {
  network: string;
  prefix: number;
}

/**
 * What the proxy decides with. `agentNetwork`: the agents' network (name and subnet; the source of a
 * request must lie in it and reverse-resolve to `<container>.<name>`); `never`: the contract's
 * never-allowed ranges; `networks`: the engine's own networks (agents, relay, proxy: refused as
 * `agent_network`); `hosts`: the engine host's addresses the core knows (refused as `host_service`);
 * `agents`: container name → policy; `ports` (a remote Incus, where agents have no address): per-agent
 * port the proxy also listens on (decimal) → container name, and `portSources`: the only source addresses
 * accepted on those ports (the engine host's address towards the proxy, where incusd's forkproxy connects
 * from).
 */
export interface EgressTable {
  agentNetwork: (ProxyRange & { name: string }) | null;
  never: (ProxyRange & { why: string })[];
  networks: ProxyRange[];
  hosts: string[];
  agents: Record<string, ProxyPolicy>;
  ports: Record<string, string>;
  portSources: string[];
}

/** The decision functions egress-proxy.cjs exports when required as a module (tests). */
export interface EgressProxyModule {
  parseHost: (raw: string) => { kind: 'name' | 'address'; host: string } | { error: string };
  checkRequest: (
    policy: ProxyPolicy | undefined | null,
    host: string,
    port: number,
  ) => { ok: true; kind: 'name' | 'address'; host: string } | { ok: false; rule: string; why: string };
  checkAddress: (
    table: EgressTable,
    policy: ProxyPolicy,
    address: string,
    port: number,
  ) => { ok: boolean; rule?: string };
  parseHead: (
    head: string,
  ) => { connect: boolean; host: string; port: number; rest: string } | { error: string };
  decide: (
    table: EgressTable,
    source: string,
    host: string,
    port: number,
    io: { reverse(a: string): Promise<string[]>; lookup(name: string): Promise<string[]> },
    localPort?: number,
  ) => Promise<{ ok: boolean; rule?: string; address: string | null; policy: ProxyPolicy | null }>;
  inRange: (address: string, network: string, prefix: number) => boolean;
  HEAD_MAX: number;
}

/** Splits `a.b.c.d/p` (a missing prefix = /32). @throws Error for anything else. */
function range(cidr: string): ProxyRange {
  const [network = '', bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(network) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32)
    throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  return { network, prefix };
}

/**
 * Builds the proxy's table.
 * @param o.agentNetwork the agents' network: its name and subnet (`{ name, network, prefix }`), null when unknown (then every request is refused).
 * @param o.networks CIDRs of the engine's own networks (agents, relay, proxy).
 * @param o.hosts the engine host's IPv4 addresses the core knows.
 * @param o.agents one row per agent of this core on the engine: its container name, id, mode and entries
 *   (as stored; entries that do not parse are dropped, as the local firewall drops them), and on a remote
 *   Incus its per-agent port (1024–65535).
 * @param o.portSources source addresses accepted on per-agent ports (default none: no per-agent port answers).
 */
export function egressTable(o: {
  agentNetwork: (ProxyRange & { name: string }) | null;
  networks: string[];
  hosts: string[];
  agents: { container: string; agentId: string; mode: EgressMode; allow: string[]; port?: number }[];
  portSources?: string[];
}): EgressTable {
  const ports: Record<string, string> = {};
  for (const a of o.agents)
    if (a.port !== undefined) {
      if (!Number.isInteger(a.port) || a.port < 1024 || a.port > 65535)
        throw new Error(`agent ${a.agentId}: egress port ${a.port} is not 1024–65535`);
      ports[String(a.port)] = a.container;
    }
  const agents: Record<string, ProxyPolicy> = {};
  for (const a of o.agents)
    agents[a.container] = {
      agent: a.agentId,
      mode: a.mode,
      targets: a.allow.map((e) => parseAllowEntry(e)).filter((t): t is AllowTarget => !('error' in t)),
    };
  return {
    agentNetwork: o.agentNetwork,
    never: NEVER_ALLOWED.map((r) => ({ network: r.network, prefix: r.prefix, why: r.why })),
    networks: o.networks.map(range),
    hosts: o.hosts.filter((h) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h)),
    agents,
    ports,
    portSources: (o.portSources ?? []).filter((h) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h)),
  };
}
