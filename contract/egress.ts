// Egress policy of an agent: modes, allowlist entries (HOST[:PORT]) and the `egress` trace payload.
import { z } from 'zod';

/**
 * What an agent may reach besides its gateway (docs/decisions/009-egress.md): `none` = the gateway only
 * (the default), `allowlist` = the gateway plus the named hosts, domains and addresses, `open` = any
 * outside address. In every mode the host's own services (except the gateway), other agents and
 * link-local addresses (cloud metadata) stay out of reach, and DNS goes only through Agent Desk's resolver.
 */
export const EgressMode = z.enum(['none', 'allowlist', 'open']);
export type EgressMode = z.infer<typeof EgressMode>;

/** Most allowlist entries one agent may have (each name can add up to 32 answered addresses to the rules). */
export const ALLOW_ENTRIES_MAX = 64;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An allowlist entry, parsed. `kind`: a DNS name, a wildcard `*.domain` (its subdomains), an IPv4 address or CIDR. */
export interface AllowTarget {
  kind: 'name' | 'wildcard' | 'address' | 'cidr';
  /** The name (lower case, no trailing dot; for a wildcard the domain after `*.`), address or CIDR as written. */
  host: string;
  /** Prefix length of a CIDR (32 for an address), `null` for names. */
  prefix: number | null;
  /** 1–65535, or `null` = every port (TCP and UDP). */
  port: number | null;
}

/** The IPv4 address as a 32-bit unsigned number; `null` when it is not a dotted quad. */
export function ipv4ToInt(address: string): number | null {
  if (!IPV4.test(address)) return null;
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The network address of `address`/`prefix`, dotted. */
function network(address: string, prefix: number): string {
  const n = ipv4ToInt(address) ?? 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const v = (n & mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
}

/** True when `address` lies in `network`/`prefix` (both dotted quads). */
export function inCidr(address: string, network: string, prefix: number): boolean {
  const a = ipv4ToInt(address);
  const n = ipv4ToInt(network);
  if (a === null || n === null) return false;
  if (prefix === 0) return true;
  const mask = prefix === 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}

/**
 * Address ranges an allowlist can never open, with why (RFC 6890 special-purpose ranges an agent has no
 * business reaching through the host): the container's own loopback, "this network", link-local (cloud
 * metadata services live at 169.254.169.254), multicast and broadcast.
 */
export const NEVER_ALLOWED: readonly { network: string; prefix: number; why: string }[] = [
  { network: '0.0.0.0', prefix: 8, why: '"this network" (0.0.0.0/8) is not a destination' },
  { network: '127.0.0.0', prefix: 8, why: 'loopback (127.0.0.0/8) is the container itself' },
  {
    network: '169.254.0.0',
    prefix: 16,
    why: 'link-local (169.254.0.0/16) holds cloud metadata services and is never allowed',
  },
  { network: '224.0.0.0', prefix: 4, why: 'multicast (224.0.0.0/4) is not allowed' },
  { network: '240.0.0.0', prefix: 4, why: 'reserved and broadcast (240.0.0.0/4) are not allowed' },
];

/**
 * Parses `HOST[:PORT]`: HOST is a DNS name (`api.example.com`), a wildcard (`*.example.com`, its
 * subdomains, not the domain itself), an IPv4 address or an IPv4 CIDR (`203.0.113.0/24`); PORT is
 * 1–65535, absent = every port. Names are lower-cased, a trailing dot dropped.
 * @returns the target, or an error message naming what is wrong and what is valid.
 */
export function parseAllowEntry(raw: string): AllowTarget | { error: string } {
  const text = raw.trim().toLowerCase();
  const bad = (why: string) => ({
    error: `"${raw}" is not a valid allowlist entry: ${why}. Use HOST[:PORT], e.g. api.example.com:443, *.example.com, 203.0.113.7 or 203.0.113.0/24:8080`,
  });
  if (!text) return bad('it is empty');
  if (text.includes('[') || (text.match(/:/g)?.length ?? 0) > 1)
    return bad('IPv6 is not supported (agents have IPv4 only)');
  const [hostPart = '', portPart] = text.split(':');
  let port: number | null = null;
  if (portPart !== undefined) {
    if (!/^\d{1,5}$/.test(portPart) || Number(portPart) < 1 || Number(portPart) > 65535)
      return bad(`the port "${portPart}" is not 1–65535`);
    port = Number(portPart);
  }
  const slash = hostPart.indexOf('/');
  if (slash >= 0 || IPV4.test(hostPart)) {
    const address = slash >= 0 ? hostPart.slice(0, slash) : hostPart;
    const prefixText = slash >= 0 ? hostPart.slice(slash + 1) : '32';
    if (!IPV4.test(address)) return bad(`"${address}" is not an IPv4 address`);
    if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32)
      return bad(`the prefix "/${prefixText}" is not 0–32`);
    const prefix = Number(prefixText);
    if (prefix < 8) return bad('a CIDR wider than /8 is too broad: use egress mode open instead');
    const hostBits = prefix === 32 ? 0 : 0xffffffff >>> prefix;
    if ((ipv4ToInt(address)! & hostBits) !== 0)
      return bad(
        `"${address}/${prefix}" has host bits set (the network is ${network(address, prefix)}/${prefix})`,
      );
    for (const r of NEVER_ALLOWED)
      if (inCidr(address, r.network, r.prefix) || inCidr(r.network, address, prefix)) return bad(r.why);
    return { kind: prefix === 32 ? 'address' : 'cidr', host: hostPart, prefix, port };
  }
  let name = hostPart.endsWith('.') ? hostPart.slice(0, -1) : hostPart;
  const wildcard = name.startsWith('*.');
  if (wildcard) name = name.slice(2);
  if (name.includes('*')) return bad('"*" may only stand alone as the first label (*.example.com)');
  if (name.length > 253) return bad('the name is longer than 253 characters');
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l)))
    return bad(`"${name}" is not a DNS name (letters, digits, "-", dots)`);
  if (name === 'localhost' || name.endsWith('.localhost')) return bad('localhost is the container itself');
  if (wildcard && labels.length < 2)
    return bad('a wildcard needs a domain of two labels or more (*.example.com)');
  return { kind: wildcard ? 'wildcard' : 'name', host: name, prefix: null, port };
}

/** The canonical text of a target: `host[:port]` (`*.` kept for wildcards). */
export function formatAllowTarget(t: AllowTarget): string {
  const host = t.kind === 'wildcard' ? `*.${t.host}` : t.host;
  return t.port === null ? host : `${host}:${t.port}`;
}

/** One allowlist entry as text, validated and normalised (see {@link parseAllowEntry}). */
export const AllowEntry = z
  .string()
  .max(300, 'an allowlist entry is at most 300 characters')
  .transform((raw, ctx) => {
    const t = parseAllowEntry(raw);
    if ('error' in t) {
      ctx.addIssue({ code: 'custom', message: t.error });
      return z.NEVER;
    }
    return formatAllowTarget(t);
  });

/** A list of entries, at most {@link ALLOW_ENTRIES_MAX}. */
export const AllowList = z.array(AllowEntry).max(ALLOW_ENTRIES_MAX, `at most ${ALLOW_ENTRIES_MAX} entries`);

/**
 * How this host enforces egress policies (docs/decisions/009-egress.md): `root` (the core changes the
 * host firewall itself), `helper` (through Agent Desk's egress helper container, for a core that is not
 * root but can use Docker), `off` (`AGENTDESK_EGRESS=off`), `unavailable` (cannot: agents are not
 * deployed; the `egress` health component says why and what to do), `starting` (being prepared), `proxy`
 * (an agent on a remote Docker engine: Agent Desk's egress proxy on that engine enforces it;
 * docs/decisions/023-remote-egress.md).
 */
export const EgressEnforcement = z.enum(['root', 'helper', 'off', 'unavailable', 'starting', 'proxy']);
export type EgressEnforcement = z.infer<typeof EgressEnforcement>;

/**
 * An agent's egress policy as the UI and CLI see it. `allow` is kept when the mode is not `allowlist`
 * (switching back restores it). `enforced` = the host applies it now (false when the core cannot change
 * the host's firewall: see docs/security/egress.md); `enforcement` says how. `address` = the agent's
 * IPv4 address on its engine's network (`null` before its first deploy).
 */
export const AgentEgress = z.object({
  mode: EgressMode,
  allow: z.array(z.string()),
  enforced: z.boolean(),
  enforcement: EgressEnforcement,
  address: z.string().nullable(),
});
export type AgentEgress = z.infer<typeof AgentEgress>;

/** Input of `agents.policy`: a new mode and/or entries to add or remove; at least one is needed. */
export const AgentPolicyInput = z
  .object({
    id: z.string().uuid('must be an agent id (a UUID, see `agents.list`)'),
    egress: EgressMode.optional(),
    /** Entries to add (already present = kept once). */
    allow: AllowList.optional(),
    /** Entries to remove, written as they are listed (or in any form that normalises to them). */
    remove: AllowList.optional(),
  })
  .strict()
  .refine((v) => v.egress !== undefined || (v.allow?.length ?? 0) > 0 || (v.remove?.length ?? 0) > 0, {
    message: 'give egress, allow or remove (nothing to change)',
  });
export type AgentPolicyInput = z.input<typeof AgentPolicyInput>;

/**
 * `egress` trace event: a connection or DNS lookup the policy refused. `protocol` `dns` = a name lookup
 * (then `host` is the name and `address`/`port` are null); otherwise a connection attempt to
 * `address`:`port` (`port` null for ICMP), with `host` = the name Agent Desk's resolver last gave the
 * agent for that address, if any. `rule` = what refused it: `not_allowed` (the mode or allowlist),
 * `host_service` (a service of the host other than the gateway), `agent_network` (another agent or an
 * engine network), `link_local` (169.254.0.0/16, cloud metadata), `dns_direct` (DNS to a server other
 * than Agent Desk's resolver). `count` = attempts folded into this event (the same destination within a
 * few seconds).
 */
export const EgressPayload = z.object({
  protocol: z.enum(['tcp', 'udp', 'icmp', 'dns', 'other']),
  address: z.string().nullable(),
  port: z.number().int().min(0).max(65535).nullable(),
  host: z.string().max(300).nullable(),
  mode: EgressMode,
  rule: z.enum(['not_allowed', 'host_service', 'agent_network', 'link_local', 'dns_direct']),
  count: z.number().int().min(1),
});
export type EgressPayload = z.infer<typeof EgressPayload>;

/**
 * The allowlist entry that would let the refused destination of an `egress` event through ("allow this
 * host"): the name when there is one, else the address; with the port when there is one. `null` when
 * no entry can (the host's own services, other agents, link-local, direct DNS).
 */
export function allowEntryFor(p: EgressPayload): string | null {
  if (p.rule !== 'not_allowed') return null;
  const host = p.host ?? p.address;
  if (!host) return null;
  return p.port !== null && p.protocol !== 'dns' ? `${host}:${p.port}` : host;
}
