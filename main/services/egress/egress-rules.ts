// Pure builders of the iptables rules of agent egress: the shared base chains and one agent's chains and dispatch rules.
import type { EgressMode } from '../../../contract/egress';
import {
  FORWARD_CHAIN,
  INPUT_CHAIN,
  LOG_PREFIX,
  POSTROUTING_CHAIN,
  PREROUTING_CHAIN,
  ROUTED_IFACE_PREFIX,
  agentChains,
  ruleComment,
} from './egress-names';

/** How the host recognises an agent's packets: Docker, by bridge and source address; Incus, by its routed NIC. */
export type AgentSource =
  { kind: 'bridge'; bridge: string; address: string } | { kind: 'routed'; iface: string; address: string };

/** A destination an allowlist opens: an IPv4 address or CIDR, one port or every port (TCP and UDP). */
export interface Destination {
  cidr: string;
  port: number | null;
}

/** Everything one agent's rules depend on. */
export interface AgentRulesInput {
  agentId: string;
  tag: string;
  /** The core (data dir) that owns the agent, written in the comment of its shared rules. */
  instanceId: string;
  source: AgentSource;
  /** Host endpoints it may open (Docker: its gateway and its resolver on the bridge address). */
  hostAllowed: { address: string; port: number; protocol: 'tcp' | 'udp' }[];
  /** Docker: DNS (port 53, to any server) goes to Agent Desk's resolver on `server`:`port`. */
  dnsRedirect: { server: string; port: number } | null;
  mode: EgressMode;
  /** `allowlist`: the destinations it opens (entries' addresses, and addresses the resolver answered). */
  destinations: Destination[];
  /** Never reachable in any mode: agent and engine networks, link-local and other special ranges. */
  protectedRanges: string[];
}

/** Most refusals logged per agent: a hostile agent cannot flood the kernel log (iptables `limit`). */
export const LOG_RATE = { perSecond: 20, burst: 40 } as const;

/**
 * The `iptables-restore --noflush` input (filter table) that (re)writes the agent's three chains in one
 * transaction: `-F` then the rules, so a policy change takes effect at once for every packet, including
 * those of connections already open (packets the agent sends are judged one by one; only replies to
 * connections opened *towards* the agent pass by state).
 */
export function agentChainsRestore(r: AgentRulesInput): string {
  const c = agentChains(r.tag);
  const lines = ['*filter'];
  for (const name of [c.forward, c.input, c.refuse]) lines.push(`:${name} - [0:0]`, `-F ${name}`);
  lines.push(
    `-A ${c.refuse} -m conntrack --ctstate NEW -m limit --limit ${LOG_RATE.perSecond}/sec --limit-burst ${LOG_RATE.burst} -j LOG --log-prefix "${LOG_PREFIX} ${r.tag} " --log-level 4`,
    // TCP gets a reset (the kernel rate-limits ICMP errors, so a burst of refused connections would
    // otherwise hang until their SYN retries run out); everything else "administratively prohibited".
    `-A ${c.refuse} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${c.refuse} -j REJECT --reject-with icmp-admin-prohibited`,
  );
  const replies = '-m conntrack --ctstate ESTABLISHED,RELATED --ctdir REPLY -j ACCEPT';
  // To the host: only its own gateway and resolver.
  lines.push(`-A ${c.input} ${replies}`);
  for (const h of r.hostAllowed)
    lines.push(
      `-A ${c.input} -d ${h.address}/32 -p ${h.protocol} -m ${h.protocol} --dport ${h.port} -j ACCEPT`,
    );
  lines.push(`-A ${c.input} -j ${c.refuse}`);
  // Out of the host.
  lines.push(`-A ${c.forward} ${replies}`);
  for (const proto of ['udp', 'tcp'])
    lines.push(`-A ${c.forward} -p ${proto} -m ${proto} --dport 53 -j ${c.refuse}`);
  for (const range of r.protectedRanges) lines.push(`-A ${c.forward} -d ${range} -j ${c.refuse}`);
  if (r.mode === 'open') lines.push(`-A ${c.forward} -j ACCEPT`);
  if (r.mode === 'allowlist')
    for (const d of dedupe(r.destinations))
      for (const proto of ['tcp', 'udp'])
        lines.push(
          `-A ${c.forward} -d ${d.cidr} -p ${proto}${d.port === null ? '' : ` -m ${proto} --dport ${d.port}`} -j ACCEPT`,
        );
  lines.push(`-A ${c.forward} -j ${c.refuse}`, 'COMMIT', '');
  return lines.join('\n');
}

/**
 * {@link agentChainsRestore} of several agents as one `iptables-restore --noflush` input (filter table):
 * every chain declared first, then each agent's `-F` and rules in turn, committed in one transaction.
 */
export function agentsChainsRestore(rs: readonly AgentRulesInput[]): string {
  const declared: string[] = [];
  const body: string[] = [];
  for (const r of rs)
    for (const line of agentChainsRestore(r).split('\n')) {
      if (!line || line === '*filter' || line === 'COMMIT') continue;
      (line.startsWith(':') ? declared : body).push(line);
    }
  return ['*filter', ...declared, ...body, 'COMMIT', ''].join('\n');
}

function dedupe(ds: Destination[]): Destination[] {
  const seen = new Map<string, Destination>();
  for (const d of ds) {
    const cidr = d.cidr.includes('/') ? d.cidr : `${d.cidr}/32`;
    seen.set(`${cidr} ${d.port ?? '*'}`, { cidr, port: d.port });
  }
  return [...seen.values()].sort((a, b) => (a.cidr + a.port).localeCompare(b.cidr + b.port));
}

/** One rule in a shared chain: table, chain, and the rule's arguments (without `-A chain`). */
export interface SharedRule {
  table: 'filter' | 'nat';
  chain: string;
  args: string[];
}

/** The match arguments that pick the agent's packets (what two agents must never share). */
export function sourceMatch(s: AgentSource): string[] {
  return s.kind === 'bridge' ? ['-s', `${s.address}/32`, '-i', s.bridge] : ['-i', s.iface];
}

/**
 * The agent's rules in the shared chains, each with its owner comment: the jumps to its chains from
 * {@link FORWARD_CHAIN} and {@link INPUT_CHAIN}, and (Docker) the DNAT of its DNS to the resolver.
 */
export function agentDispatch(r: AgentRulesInput): SharedRule[] {
  const c = agentChains(r.tag);
  const comment = ['-m', 'comment', '--comment', ruleComment(r.instanceId, r.agentId)];
  const match = sourceMatch(r.source);
  const rules: SharedRule[] = [
    { table: 'filter', chain: FORWARD_CHAIN, args: [...match, ...comment, '-j', c.forward] },
    { table: 'filter', chain: INPUT_CHAIN, args: [...match, ...comment, '-j', c.input] },
  ];
  // Every DNS packet of the agent, whatever server it is sent to (Docker's embedded DNS forwards from
  // inside the container to the servers it was given), goes to the resolver.
  if (r.dnsRedirect)
    for (const proto of ['udp', 'tcp'])
      rules.push({
        table: 'nat',
        chain: PREROUTING_CHAIN,
        args: [
          ...match,
          '-p',
          proto,
          '-m',
          proto,
          '--dport',
          '53',
          ...comment,
          '-j',
          'DNAT',
          '--to-destination',
          `${r.dnsRedirect.server}:${r.dnsRedirect.port}`,
        ],
      });
  return rules;
}

/** The networks the base rules guard: Docker agent bridges (interface and subnet), and the routed (Incus) agents' pool. */
export interface BaseInput {
  bridges: { name: string; subnet: string }[];
  routedPool: string | null;
}

/**
 * Rules at the end of the shared chains (appended once, after every agent's jump, which are inserted at
 * the top): anything from an agent network that no agent rule claimed is refused (a container of an
 * unknown or forged address), and nothing new may enter a routed agent (only replies).
 */
export function baseTailRules(b: BaseInput): SharedRule[] {
  const routed = `${ROUTED_IFACE_PREFIX}+`;
  const rules: SharedRule[] = [
    {
      table: 'filter',
      chain: FORWARD_CHAIN,
      args: ['-o', routed, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    },
    { table: 'filter', chain: FORWARD_CHAIN, args: ['-o', routed, '-j', 'DROP'] },
    { table: 'filter', chain: FORWARD_CHAIN, args: ['-i', routed, '-j', 'DROP'] },
    { table: 'filter', chain: INPUT_CHAIN, args: ['-i', routed, '-j', 'DROP'] },
  ];
  // By interface, and by subnet too: a network Docker re-creates gets a new bridge name before the
  // agents' rules follow it, and its packets must not pass meanwhile (the host's own, on lo, are not ours).
  for (const br of b.bridges)
    rules.push(
      { table: 'filter', chain: FORWARD_CHAIN, args: ['-i', br.name, '-j', 'DROP'] },
      { table: 'filter', chain: FORWARD_CHAIN, args: ['-s', br.subnet, '-j', 'DROP'] },
      { table: 'filter', chain: INPUT_CHAIN, args: ['-i', br.name, '-j', 'DROP'] },
      { table: 'filter', chain: INPUT_CHAIN, args: ['-s', br.subnet, '!', '-i', 'lo', '-j', 'DROP'] },
    );
  if (b.routedPool)
    rules.push({
      table: 'nat',
      chain: POSTROUTING_CHAIN,
      args: ['-s', b.routedPool, '!', '-o', routed, '-j', 'MASQUERADE'],
    });
  return rules;
}

/** IPv6 from agent networks, refused at the host (agents have IPv4 only; link-local IPv6 would reach host services). */
export function ipv6Rules(b: BaseInput): string[][] {
  return [`${ROUTED_IFACE_PREFIX}+`, ...b.bridges.map((br) => br.name)].map((iface) => [
    '-i',
    iface,
    '-j',
    'DROP',
  ]);
}

/** Where each shared chain is jumped to from: table, built-in (or Docker's) chain, our chain. */
export const JUMPS: readonly { table: 'filter' | 'nat'; from: string; to: string; optional?: true }[] = [
  { table: 'filter', from: 'FORWARD', to: FORWARD_CHAIN },
  // Docker evaluates DOCKER-USER before its own rules and keeps it first in FORWARD across restarts.
  { table: 'filter', from: 'DOCKER-USER', to: FORWARD_CHAIN, optional: true },
  { table: 'filter', from: 'INPUT', to: INPUT_CHAIN },
  { table: 'nat', from: 'PREROUTING', to: PREROUTING_CHAIN },
  { table: 'nat', from: 'POSTROUTING', to: POSTROUTING_CHAIN },
];

/** The IPv6 chain jumped to from INPUT and FORWARD of ip6tables. */
export const IPV6_CHAIN = 'AGENTDESK-V6';
