// Applies agent egress rules to the host firewall (iptables): shared base chains, one agent's chains, removal, repair.
import type { Logger } from '../../platform/logging';
import { FORWARD_CHAIN, INPUT_CHAIN, POSTROUTING_CHAIN, PREROUTING_CHAIN, agentChains } from './egress-names';
import {
  IPV6_CHAIN,
  JUMPS,
  agentChainsRestore,
  agentDispatch,
  baseTailRules,
  ipv6Rules,
  sourceMatch,
} from './egress-rules';
import type { AgentRulesInput, BaseInput, SharedRule } from './egress-rules';
import type { Iptables } from './iptables';
import { IptablesCommandError, ruleArgs } from './iptables';

const SHARED: readonly { table: 'filter' | 'nat'; chain: string }[] = [
  { table: 'filter', chain: FORWARD_CHAIN },
  { table: 'filter', chain: INPUT_CHAIN },
  { table: 'nat', chain: PREROUTING_CHAIN },
];

/** The value after `flag` in a rule's arguments, or null. */
function argValue(args: string[], flag: string): string | null {
  const i = args.indexOf(flag);
  return i >= 0 ? (args[i + 1] ?? null) : null;
}

/**
 * The host firewall side of egress (docs/decisions/009-egress.md). Shared chains
 * (`AGENTDESK-FWD/IN/PRE/POST`, `AGENTDESK-V6`) are jumped to first from the built-in chains; each
 * agent has its own chains, jumped to by rules that match its packets and carry a comment naming the
 * core and the agent. Several cores (data dirs) on one machine share the base and touch only their own
 * agents' rules. Calls are serialised within the process; iptables' lock (`-w`) serialises processes.
 */
export class EgressFirewall {
  private queue: Promise<unknown> = Promise.resolve();
  /** False once ip6tables failed (a kernel without IPv6 has nothing to guard there). */
  private ipv6 = true;

  constructor(
    private readonly ipt: Iptables,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {}

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(op);
    this.queue = next;
    return next;
  }

  /**
   * Makes the shared chains exist, jumped to first, with their tail rules for these networks
   * (idempotent; also repairs a jump another program moved down, e.g. Docker re-inserting its own at
   * start). @returns true when something had to be (re)made.
   */
  ensureBase(b: BaseInput): Promise<boolean> {
    return this.serial(async () => {
      let changed = false;
      for (const t of ['filter', 'nat'] as const)
        for (const chain of t === 'filter'
          ? [FORWARD_CHAIN, INPUT_CHAIN]
          : [PREROUTING_CHAIN, POSTROUTING_CHAIN])
          changed = (await this.ensureChain(t, chain, 4)) || changed;
      for (const j of JUMPS)
        changed = (await this.ensureJump(j.table, j.from, j.to, 4, j.optional)) || changed;
      for (const r of baseTailRules(b))
        if (!(await this.ipt.has(r.table, r.chain, r.args))) {
          await this.ipt.exec(r.table, ['-A', r.chain, ...r.args]);
          changed = true;
        }
      if (this.ipv6) {
        try {
          changed = (await this.ensureChain('filter', IPV6_CHAIN, 6)) || changed;
          for (const from of ['INPUT', 'FORWARD'])
            changed = (await this.ensureJump('filter', from, IPV6_CHAIN, 6)) || changed;
          for (const args of ipv6Rules(b))
            if (!(await this.ipt.has('filter', IPV6_CHAIN, args, 6))) {
              await this.ipt.exec('filter', ['-A', IPV6_CHAIN, ...args], 6);
              changed = true;
            }
        } catch (err) {
          // No IPv6 in this kernel (ipv6.disable=1): agents cannot use it either.
          this.ipv6 = false;
          this.log.warn({ err: (err as Error).message }, 'egress: ip6tables unusable; IPv6 rules skipped');
        }
      }
      return changed;
    });
  }

  /**
   * A cheap look (a few commands) at the base: `missing` when a shared chain is gone (a firewall flush or
   * reload: every agent must be applied again), `moved` when a jump is no longer first, else `ok`.
   */
  health(): Promise<'ok' | 'moved' | 'missing'> {
    return this.serial(async () => {
      for (const s of SHARED) if (!(await this.ipt.chainExists(s.table, s.chain))) return 'missing';
      const first = async (table: 'filter' | 'nat', chain: string) =>
        (await this.ipt.exec(table, ['-S', chain, '1'])).trim();
      const fwd = await first('filter', 'FORWARD');
      const viaDocker =
        fwd === '-A FORWARD -j DOCKER-USER' &&
        (await first('filter', 'DOCKER-USER').catch(() => '')) === `-A DOCKER-USER -j ${FORWARD_CHAIN}`;
      if (fwd !== `-A FORWARD -j ${FORWARD_CHAIN}` && !viaDocker) return 'moved';
      if ((await first('filter', 'INPUT')) !== `-A INPUT -j ${INPUT_CHAIN}`) return 'moved';
      if ((await first('nat', 'PREROUTING')) !== `-A PREROUTING -j ${PREROUTING_CHAIN}`) return 'moved';
      return 'ok';
    });
  }

  private async ensureChain(table: 'filter' | 'nat', chain: string, family: 4 | 6): Promise<boolean> {
    if (await this.ipt.chainExists(table, chain, family)) return false;
    try {
      await this.ipt.exec(table, ['-N', chain], family);
    } catch (err) {
      if (!(err instanceof IptablesCommandError) || !(await this.ipt.chainExists(table, chain, family)))
        throw err; // made meanwhile by another core
    }
    return true;
  }

  /**
   * Makes `to` the first rule of `from`. FORWARD also counts as right when Docker's DOCKER-USER jump is
   * first and DOCKER-USER starts with ours (Docker keeps its jump first; fighting it would only churn).
   */
  private async ensureJump(
    table: 'filter' | 'nat',
    from: string,
    to: string,
    family: 4 | 6,
    optional?: true,
  ): Promise<boolean> {
    if (optional && !(await this.ipt.chainExists(table, from, family))) return false;
    const rules = await this.ipt.rules(table, from, family);
    const jump = `-A ${from} -j ${to}`;
    if (rules[0] === jump) return false;
    if (family === 4 && from === 'FORWARD' && rules[0] === '-A FORWARD -j DOCKER-USER') {
      const user = await this.ipt.rules('filter', 'DOCKER-USER').catch(() => []);
      if (user[0] === `-A DOCKER-USER -j ${to}`) return false;
    }
    for (const r of rules) if (r === jump) await this.ipt.exec(table, ['-D', from, '-j', to], family);
    await this.ipt.exec(table, ['-I', from, '1', '-j', to], family);
    this.log.info({ table, chain: from, jump: to, family }, 'egress: jump to our chain put first');
    return true;
  }

  /**
   * Writes the agent's chains (its policy) in one transaction, then makes its dispatch rules present:
   * rules of this agent that no longer match (an old address or resolver port) and rules of anyone else
   * for the same source (a stale core's leftovers for an address now ours) are deleted first.
   */
  applyAgent(r: AgentRulesInput): Promise<void> {
    return this.serial(async () => {
      await this.ipt.restore(agentChainsRestore(r));
      await this.syncDispatch(r, agentDispatch(r));
    });
  }

  /** Rewrites only the agent's chains (a policy or learned-address change): no dispatch rule moves. */
  updateAgentChains(r: AgentRulesInput): Promise<void> {
    return this.serial(() => this.ipt.restore(agentChainsRestore(r)));
  }

  private async syncDispatch(r: AgentRulesInput, wanted: SharedRule[]): Promise<void> {
    const comment = wanted[0] ? argValue(wanted[0].args, '--comment') : null;
    const match = sourceMatch(r.source);
    const sameSource = (args: string[]): boolean => {
      for (let i = 0; i < match.length; i += 2) if (argValue(args, match[i]!) !== match[i + 1]) return false;
      return true;
    };
    let present = true;
    for (const w of wanted) present = present && (await this.ipt.has(w.table, w.chain, w.args));
    const mine: { table: 'filter' | 'nat'; chain: string; args: string[] }[] = [];
    for (const s of SHARED) {
      const lines = await this.ipt.rules(s.table, s.chain).catch(() => [] as string[]);
      for (const line of lines) {
        const { args } = ruleArgs(line);
        if (argValue(args, '--comment') === comment) mine.push({ ...s, args });
        else if (sameSource(args)) {
          await this.ipt.exec(s.table, ['-D', s.chain, ...args]).catch(() => undefined);
          this.log.warn({ rule: line }, "egress: removed another owner's rule for an address now ours");
        }
      }
    }
    // Exactly the wanted rules already (each found by -C, none extra): leave them, no gap in matching.
    if (present && mine.length === wanted.length) return;
    for (const m of mine) await this.ipt.exec(m.table, ['-D', m.chain, ...m.args]).catch(() => undefined);
    for (const w of wanted) await this.ipt.exec(w.table, ['-I', w.chain, '1', ...w.args]);
  }

  /** Removes the agent's dispatch rules (by its comment) and its chains; missing ones are fine. */
  removeAgent(comment: string, tag: string): Promise<void> {
    return this.serial(async () => {
      for (const s of SHARED) {
        const lines = await this.ipt.rules(s.table, s.chain).catch(() => [] as string[]);
        for (const line of lines) {
          const { args } = ruleArgs(line);
          if (argValue(args, '--comment') === comment)
            await this.ipt.exec(s.table, ['-D', s.chain, ...args]).catch(() => undefined);
        }
      }
      const c = agentChains(tag);
      for (const chain of [c.forward, c.input, c.refuse])
        await this.ipt.exec('filter', ['-F', chain]).catch(() => undefined);
      for (const chain of [c.forward, c.input, c.refuse])
        await this.ipt.exec('filter', ['-X', chain]).catch(() => undefined);
    });
  }

  /** Comments of the dispatch rules in the shared chains that start with `prefix` (this core's agents). */
  commentsWithPrefix(prefix: string): Promise<Set<string>> {
    return this.serial(async () => {
      const out = new Set<string>();
      for (const s of SHARED) {
        const lines = await this.ipt.rules(s.table, s.chain).catch(() => [] as string[]);
        for (const line of lines) {
          const c = argValue(ruleArgs(line).args, '--comment');
          if (c?.startsWith(prefix)) out.add(c);
        }
      }
      return out;
    });
  }
}
