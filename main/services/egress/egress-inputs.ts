// Pure glue from what the engines report and the agent's policy to the inputs of the firewall rules.
import { NEVER_ALLOWED } from '../../../contract/egress';
import type { EgressMode } from '../../../contract/egress';
import type { EgressNetwork, RuntimeKind } from '../runtimes/container-runtime';
import type { Destination } from './egress-rules';
import type { AgentRulesInput, BaseInput } from './egress-rules';
import { agentTag, routedIfaceName } from './egress-names';

/** The ranges no agent may reach: the special ranges (link-local first), every engine network and agent pool. */
export function protectedRangesOf(networks: Iterable<EgressNetwork>): string[] {
  const out = new Set<string>(NEVER_ALLOWED.map((r) => `${r.network}/${r.prefix}`));
  for (const n of networks) {
    for (const r of n.protectedRanges) out.add(r);
    if (n.kind === 'routed') out.add(n.pool);
  }
  return [...out];
}

/** The base rules' input: Docker's agents bridge (interface and subnet) and Incus's routed pool, when known. */
export function baseInputOf(networks: ReadonlyMap<RuntimeKind, EgressNetwork>): BaseInput {
  const docker = networks.get('docker');
  const incus = networks.get('incus');
  return {
    bridges: docker?.kind === 'bridge' ? [{ name: docker.bridge, subnet: docker.subnet }] : [],
    routedPool: incus?.kind === 'routed' ? incus.pool : null,
  };
}

/** True when `after` is another bridge (or gateway) than `before`: the agents' rules must follow it. */
export function bridgeMoved(before: EgressNetwork | undefined, after: EgressNetwork): boolean {
  return (
    before?.kind === 'bridge' &&
    after.kind === 'bridge' &&
    (before.bridge !== after.bridge || before.gateway !== after.gateway)
  );
}

/**
 * One agent's rules input. Docker (`bridge`): matched by address on the bridge, may open its core's
 * gateway port and resolver port on the bridge address, its DNS redirected to that resolver. Incus
 * (`routed`): matched by its routed NIC; with the project bridge's `hostAddress`, it may open the
 * gateway port and its own resolver port (`agentResolverPort`) there, its DNS redirected to that
 * resolver; without, nothing on the host (gateway and DNS are proxy devices).
 * @throws Error when a bridge agent has no resolver port yet, or a routed one with a host address.
 */
export function agentRulesInput(a: {
  agentId: string;
  instanceId: string;
  address: string;
  network: EgressNetwork;
  mode: EgressMode;
  destinations: Destination[];
  gatewayPort: number;
  resolverPort: number | null;
  /** Incus with a host address: the agent's own resolver port there. */
  agentResolverPort?: number | null;
  protectedRanges: string[];
}): AgentRulesInput {
  const tag = agentTag(a.agentId);
  const n = a.network;
  const common = {
    agentId: a.agentId,
    tag,
    instanceId: a.instanceId,
    mode: a.mode,
    destinations: a.mode === 'allowlist' ? a.destinations : [],
    protectedRanges: a.protectedRanges,
  };
  if (n.kind === 'routed') {
    const source = { kind: 'routed' as const, iface: routedIfaceName(tag), address: a.address };
    if (!n.hostAddress) return { ...common, source, hostAllowed: [], dnsRedirect: null };
    if (!a.agentResolverPort) throw new Error('the resolver does not listen for this agent');
    return {
      ...common,
      source,
      hostAllowed: [
        { address: n.hostAddress, port: a.gatewayPort, protocol: 'tcp' },
        { address: n.hostAddress, port: a.agentResolverPort, protocol: 'udp' },
        { address: n.hostAddress, port: a.agentResolverPort, protocol: 'tcp' },
      ],
      dnsRedirect: { server: n.hostAddress, port: a.agentResolverPort },
    };
  }
  if (!a.resolverPort) throw new Error('the resolver does not listen on the bridge');
  return {
    ...common,
    source: { kind: 'bridge', bridge: n.bridge, address: a.address },
    hostAllowed: [
      { address: n.gateway, port: a.gatewayPort, protocol: 'tcp' },
      { address: n.gateway, port: a.resolverPort, protocol: 'udp' },
      { address: n.gateway, port: a.resolverPort, protocol: 'tcp' },
    ],
    dnsRedirect: { server: n.gateway, port: a.resolverPort },
  };
}
