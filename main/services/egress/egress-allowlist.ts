// An agent's allowlist at run time: which names it may resolve, and the addresses its allowed names resolved to.
import type { AgentPolicyInput, AllowTarget, EgressMode } from '../../../contract/egress';
import { ALLOW_ENTRIES_MAX, NEVER_ALLOWED, inCidr, parseAllowEntry } from '../../../contract/egress';
import { AppError } from '../../../contract/errors';
import type { Destination } from './egress-rules';

/** Most addresses kept per name entry (the oldest answer is dropped first). */
export const ADDRESSES_PER_ENTRY = 32;
/**
 * How long an answered address stays allowed after the last answer, at least (ms): packets are judged one
 * by one, so a long connection to a name with a short TTL must not be cut when the TTL runs out.
 */
export const MIN_RETENTION_MS = 60 * 60_000;

/**
 * The policy after a change: `remove` first (each must be listed), then `allow` (kept once), then the
 * mode. @throws AppError INVALID_INPUT naming an entry to remove that is not listed, or too many entries.
 */
export function nextPolicy(
  current: { mode: EgressMode; allow: readonly string[] },
  change: Omit<AgentPolicyInput, 'id'>,
): { mode: EgressMode; allow: string[] } {
  const remove = change.remove ?? [];
  for (const r of remove)
    if (!current.allow.includes(r))
      throw new AppError(
        'INVALID_INPUT',
        `remove: "${r}" is not in the allowlist of this agent; it has ${current.allow.length ? current.allow.join(', ') : 'no entries'}`,
      );
  const allow = current.allow.filter((a) => !remove.includes(a));
  for (const a of change.allow ?? []) if (!allow.includes(a)) allow.push(a);
  if (allow.length > ALLOW_ENTRIES_MAX)
    throw new AppError(
      'INVALID_INPUT',
      `allow: at most ${ALLOW_ENTRIES_MAX} entries (this would make ${allow.length})`,
    );
  return { mode: change.egress ?? current.mode, allow };
}

/** True when the target (a name or wildcard entry) covers the DNS name `name` (lower case, no trailing dot). */
export function nameMatches(t: AllowTarget, name: string): boolean {
  if (t.kind === 'name') return t.host === name;
  if (t.kind === 'wildcard') return name.endsWith(`.${t.host}`);
  return false;
}

/**
 * The policy of one agent as the firewall and resolver use it: its mode, its parsed entries, and per
 * name entry the addresses the resolver answered (with when they expire).
 */
export class AgentAllowlist {
  readonly targets: AllowTarget[];
  /** entry index → address → expiry (epoch ms). */
  private readonly learned = new Map<number, Map<string, number>>();

  constructor(
    readonly mode: EgressMode,
    entries: readonly string[],
  ) {
    this.targets = entries.map((e) => parseAllowEntry(e)).filter((t): t is AllowTarget => !('error' in t));
  }

  /** `forward` when the agent may resolve `name`: every name in `open`, the entries' names in `allowlist`. */
  decide(name: string): 'forward' | 'refuse' {
    if (this.mode === 'open') return 'forward';
    if (this.mode === 'none') return 'refuse';
    return this.targets.some((t) => nameMatches(t, name)) ? 'forward' : 'refuse';
  }

  /**
   * Records the addresses an allowed name resolved to, for every entry that covers it; addresses in
   * never-allowed ranges are not recorded. @returns true when the destinations changed (rules to rewrite).
   */
  learn(name: string, addresses: { address: string; ttl: number }[], now = Date.now()): boolean {
    if (this.mode !== 'allowlist') return false;
    let changed = false;
    this.targets.forEach((t, i) => {
      if (!nameMatches(t, name)) return;
      const map = this.learned.get(i) ?? new Map<string, number>();
      this.learned.set(i, map);
      for (const a of addresses) {
        if (NEVER_ALLOWED.some((r) => inCidr(a.address, r.network, r.prefix))) continue;
        if (!map.has(a.address)) changed = true;
        map.delete(a.address); // re-inserted last: the map's order is oldest first
        map.set(a.address, now + Math.max(a.ttl * 1000, MIN_RETENTION_MS));
      }
      while (map.size > ADDRESSES_PER_ENTRY) {
        map.delete(map.keys().next().value!);
        changed = true;
      }
    });
    return changed;
  }

  /** Drops expired addresses. @returns true when any was dropped. */
  expire(now = Date.now()): boolean {
    let changed = false;
    for (const map of this.learned.values())
      for (const [address, until] of map)
        if (until <= now) {
          map.delete(address);
          changed = true;
        }
    return changed;
  }

  /** The name the agent last resolved to `address`, if any (for the trace). */
  nameOf(address: string): string | null {
    for (const [i, map] of this.learned) if (map.has(address)) return this.targets[i]?.host ?? null;
    return null;
  }

  /** What the firewall opens in `allowlist` mode: entries' addresses and CIDRs, and the learned addresses. */
  destinations(): Destination[] {
    const out: Destination[] = [];
    this.targets.forEach((t, i) => {
      if (t.kind === 'address' || t.kind === 'cidr')
        out.push({ cidr: `${t.host.split('/')[0]}/${t.prefix}`, port: t.port });
      else
        for (const address of this.learned.get(i)?.keys() ?? [])
          out.push({ cidr: `${address}/32`, port: t.port });
    });
    return out;
  }

  /** Keeps what this one learned for entries the new list still has (a policy edit must not forget answers). */
  carryOver(from: AgentAllowlist): void {
    from.targets.forEach((t, i) => {
      const j = this.targets.findIndex((u) => u.kind === t.kind && u.host === t.host && u.port === t.port);
      const map = from.learned.get(i);
      if (j >= 0 && map) this.learned.set(j, new Map(map));
    });
  }
}
