// Names of the host firewall objects of agent egress: chains, log prefixes, routed NIC names (iptables and Incus limits).
import crypto from 'node:crypto';

/** Filter chain jumped to from FORWARD (and Docker's DOCKER-USER): traffic agents send out of the host. */
export const FORWARD_CHAIN = 'AGENTDESK-FWD';
/** Filter chain jumped to from INPUT: traffic agents send to the host itself. */
export const INPUT_CHAIN = 'AGENTDESK-IN';
/** NAT chain jumped to from PREROUTING: agents' DNS sent to Agent Desk's resolver. */
export const PREROUTING_CHAIN = 'AGENTDESK-PRE';
/** NAT chain jumped to from POSTROUTING: routed (Incus) agents masqueraded when they go out. */
export const POSTROUTING_CHAIN = 'AGENTDESK-POST';
/** Kernel log prefix of every refusal: `ADEG <tag> ` (≤ 29 characters, the LOG target's limit). */
export const LOG_PREFIX = 'ADEG';
/**
 * Prefix of the host-side names of Incus routed NICs (`adeg<tag>`, 14 characters; Linux allows 15).
 * Rules match `adeg+`, so a NIC of an agent this core does not know is refused too.
 */
export const ROUTED_IFACE_PREFIX = 'adeg';

/**
 * The short tag naming an agent's firewall objects: 10 hex characters of SHA-256 of its id (collisions
 * among a machine's agents are 1 in 2^40 per pair).
 */
export function agentTag(agentId: string): string {
  return crypto.createHash('sha256').update(agentId).digest('hex').slice(0, 10);
}

/** The agent's chains: forwarded traffic, traffic to the host, and the refusal (log + reject). */
export function agentChains(tag: string): { forward: string; input: string; refuse: string } {
  return { forward: `ADE-${tag}-F`, input: `ADE-${tag}-I`, refuse: `ADE-${tag}-R` };
}

/** Host-side name of an Incus agent's routed NIC. */
export function routedIfaceName(tag: string): string {
  return `${ROUTED_IFACE_PREFIX}${tag}`;
}

/** The comment on the rules of an agent in the shared chains: which core (data dir) and which agent. */
export function ruleComment(instanceId: string, agentId: string): string {
  return `agentdesk ${instanceId} ${agentId}`;
}
