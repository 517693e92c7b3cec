// Applies agent egress rules to the host firewall (iptables): shared base chains, one agent's chains, removal, repair.
import type { Logger } from '../../platform/logging';
import { FORWARD_CHAIN, INPUT_CHAIN, POSTROUTING_CHAIN, PREROUTING_CHAIN, agentChains } from './egress-names';
import {
  IPV6_CHAIN,
  JUMPS,
  agentChainsRestore,
  agentsChainsRestore,
  agentDispatch,
  baseTailRules,
  ipv6Rules,
  sourceMatch,
} from './egress-rules';
import type { AgentRulesInput, BaseInput, SharedRule } from './egress-rules';
import type { Iptables, ProbedTables } from './iptables';
import { IptablesCommandError, restoreOfMany, ruleArgs } from './iptables';
import { RESTORE_MAX_BYTES } from './rule-guard';
import type { FirewallTable } from './rule-guard';

const SHARED: readonly { table: 'filter' | 'nat'; chain: string }[] = [
  { table: 'filter', chain: FORWARD_CHAIN },
  { table: 'filter', chain: INPUT_CHAIN },
  { table: 'nat', chain: PREROUTING_CHAIN },
];

/** A rule read from a shared chain (`iptables -S`): where, and its arguments as `-D` takes them. */
interface ReadRule {
  table: 'filter' | 'nat';
  chain: string;
  args: string[];
  line: string;
}

/**
 * Oldest tables read by someone else (the enforcement probe) that the first look at the rules still
 * takes instead of reading them again, in ms.
 */
export const SEED_MAX_AGE_MS = 1_000;

/** Most bytes of agent chains written in one transaction (well under what the rule guard accepts). */
const CHAINS_BATCH_BYTES = RESTORE_MAX_BYTES / 4;

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

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
  /** Tables read just before this firewall's first operation, which takes them (see {@link seed}). */
  private seeded: { until: number; tables: ProbedTables } | null = null;

  constructor(
    private readonly ipt: Iptables,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {}

  /** Runs `op` after the operations called before it; it gets the seeded tables when it is the first (see {@link seed}). */
  private serial<T>(op: (seed: ProbedTables) => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(() => op(this.takeSeed()));
    this.queue = next;
    return next;
  }

  /**
   * Gives the first operation of this firewall the IPv4 tables as `iptables -S` printed them `ageMs`
   * ago (the enforcement probe's reads), so the first look at the base and at this core's rules at start
   * runs no command of its own for them. Taken only within {@link SEED_MAX_AGE_MS} of the read, and only
   * by the first operation (any later one reads afresh).
   */
  seed(tables: ProbedTables, ageMs: number): void {
    this.seeded = { until: performance.now() - ageMs + SEED_MAX_AGE_MS, tables };
  }

  /** The seeded tables for the operation starting now: the first one takes them, while they are fresh. */
  private takeSeed(): ProbedTables {
    const s = this.seeded;
    this.seeded = null;
    return s && performance.now() <= s.until ? s.tables : {};
  }

  /**
   * Makes the shared chains exist, jumped to first, with their tail rules for these networks
   * (idempotent; also repairs a jump another program moved down, e.g. Docker re-inserting its own at
   * start). @returns true when something had to be (re)made.
   */
  ensureBase(b: BaseInput): Promise<boolean> {
    return this.serial((seed) => this.makeBase(new TablesView(this.ipt, seed), b));
  }

  /** {@link ensureBase} on `view` (read through it, written through it). */
  private async makeBase(view: TablesView, b: BaseInput): Promise<boolean> {
    let changed = false;
    for (const t of ['filter', 'nat'] as const)
      for (const chain of t === 'filter'
        ? [FORWARD_CHAIN, INPUT_CHAIN]
        : [PREROUTING_CHAIN, POSTROUTING_CHAIN])
        changed = (await this.ensureChain(view, t, chain, 4)) || changed;
    for (const j of JUMPS)
      changed = (await this.ensureJump(view, j.table, j.from, j.to, 4, j.optional)) || changed;
    for (const r of baseTailRules(b))
      if (!(await view.has(r.table, r.chain, r.args))) {
        await view.write(r.table, ['-A', r.chain, ...r.args]);
        changed = true;
      }
    if (this.ipv6) {
      try {
        changed = (await this.ensureChain(view, 'filter', IPV6_CHAIN, 6)) || changed;
        for (const from of ['INPUT', 'FORWARD'])
          changed = (await this.ensureJump(view, 'filter', from, IPV6_CHAIN, 6)) || changed;
        for (const args of ipv6Rules(b))
          if (!(await view.has('filter', IPV6_CHAIN, args, 6))) {
            await view.write('filter', ['-A', IPV6_CHAIN, ...args], 6);
            changed = true;
          }
      } catch (err) {
        // No IPv6 in this kernel (ipv6.disable=1): agents cannot use it either.
        this.ipv6 = false;
        this.log.warn({ err: (err as Error).message }, 'egress: ip6tables unusable; IPv6 rules skipped');
      }
    }
    return changed;
  }

  /**
   * A cheap look (a few commands) at the base: `missing` when a shared chain is gone (a firewall flush or
   * reload: every agent must be applied again), `moved` when a jump is no longer first, else `ok`.
   */
  health(): Promise<'ok' | 'moved' | 'missing'> {
    return this.serial(() =>
      baseHealth(
        (table, chain) => this.ipt.chainExists(table, chain),
        async (table, chain) => (await this.ipt.exec(table, ['-S', chain, '1'])).trim(),
      ),
    );
  }

  private async ensureChain(
    view: TablesView,
    table: 'filter' | 'nat',
    chain: string,
    family: 4 | 6,
  ): Promise<boolean> {
    if (await view.chainExists(table, chain, family)) return false;
    try {
      await view.write(table, ['-N', chain], family);
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
    view: TablesView,
    table: 'filter' | 'nat',
    from: string,
    to: string,
    family: 4 | 6,
    optional?: true,
  ): Promise<boolean> {
    if (optional && !(await view.chainExists(table, from, family))) return false;
    const rules = await view.rules(table, from, family);
    const jump = `-A ${from} -j ${to}`;
    if (rules[0] === jump) return false;
    if (family === 4 && from === 'FORWARD' && rules[0] === '-A FORWARD -j DOCKER-USER') {
      const user = await view.rules('filter', 'DOCKER-USER', 4).catch(() => []);
      if (user[0] === `-A DOCKER-USER -j ${to}`) return false;
    }
    for (const r of rules) if (r === jump) await view.write(table, ['-D', from, '-j', to], family);
    await view.write(table, ['-I', from, '1', '-j', to], family);
    this.log.info({ table, chain: from, jump: to, family }, 'egress: jump to our chain put first');
    return true;
  }

  /**
   * Writes the agent's chains (its policy) in one transaction, then makes its dispatch rules present in
   * a second one: rules of this agent that no longer match (an old address or resolver port) and rules
   * of anyone else for the same source (a stale core's leftovers for an address now ours) are deleted,
   * and the wanted ones inserted, atomically (no moment without them); rules already exactly right are
   * left untouched.
   */
  applyAgent(r: AgentRulesInput): Promise<void> {
    return this.serial(() => this.applyAgentIn(r, (table, chain) => this.ipt.rules(table, chain)));
  }

  /**
   * Attaches one agent (its deploy or start) in one operation that reads each IPv4 table once
   * (`iptables -S`): the base is checked from those reads as {@link health} checks it, and made right as
   * {@link ensureBase} does when `baseKnown` is false (other networks than last time) or the check is
   * not `ok`; then the agent's rules are applied as {@link applyAgent} does, its dispatch rules computed
   * from the same reads (only the shared chains, which writing its own chains does not touch). Four
   * commands when all is in place, where a health check and applyAgent took fourteen.
   * @returns true when the base was made (ensureBase ran), else false. @throws IptablesCommandError.
   */
  attachAgent(r: AgentRulesInput, base: BaseInput, baseKnown: boolean): Promise<boolean> {
    return this.serial(async (seed) => {
      const view = new TablesView(this.ipt, seed);
      const made =
        !baseKnown ||
        (await baseHealth(
          (table, chain) => view.chainExists(table, chain, 4),
          async (table, chain) => (await view.rules(table, chain, 4))[0] ?? '',
        )) !== 'ok';
      if (made) await this.makeBase(view, base);
      await this.applyAgentIn(r, (table, chain) => view.rules(table, chain, 4));
      return made;
    });
  }

  /**
   * {@link applyAgent}'s work, the shared chains' rules read through `read` (`-A CHAIN …` lines; throws
   * when the chain is missing).
   */
  private async applyAgentIn(
    r: AgentRulesInput,
    read: (table: 'filter' | 'nat', chain: string) => Promise<string[]>,
  ): Promise<void> {
    await this.ipt.restore(agentChainsRestore(r));
    // The shared chains read once, and every delete and insert in one transaction (where one command
    // per rule took eight and more); when it fails (a rule changed between the read and the write),
    // rule by rule.
    try {
      const changes = await this.dispatchChanges([r], read);
      if (changes.length) await this.ipt.restore(restoreOfMany(changes));
      return;
    } catch (err) {
      this.log.warn(
        { agent: r.agentId, err: (err as Error).message },
        'egress: dispatch rules could not be applied in one transaction; applying them one by one',
      );
    }
    await this.syncDispatch(r, agentDispatch(r));
  }

  /**
   * {@link applyAgent} for many agents at once, with a handful of commands whatever their number: their
   * chains are rewritten in one transaction (several past {@link CHAINS_BATCH_BYTES}); the shared chains
   * are read once, and the dispatch rules that differ from the wanted ones (per agent: a missing or extra
   * rule of its own, anyone else's rule for its source) are deleted and inserted in one more. Agents whose
   * dispatch rules are exactly right keep them untouched. When a batch fails (e.g. a rule changed between
   * the read and the write), each agent is applied alone as {@link applyAgent} does.
   * @returns the agents whose rules could not be applied, with why.
   */
  applyAgents(rs: readonly AgentRulesInput[]): Promise<Map<string, Error>> {
    return this.serial(async () => {
      const failed = new Map<string, Error>();
      if (rs.length === 0) return failed;
      try {
        for (const batch of chainBatches(rs)) await this.ipt.restore(agentsChainsRestore(batch));
        const changes = await this.dispatchChanges(rs);
        if (changes.length) await this.ipt.restore(restoreOfMany(changes));
        return failed;
      } catch (err) {
        this.log.warn(
          { agents: rs.length, err: (err as Error).message },
          'egress: rules of several agents could not be applied at once; applying them one by one',
        );
      }
      for (const r of rs)
        try {
          await this.ipt.restore(agentChainsRestore(r));
          await this.syncDispatch(r, agentDispatch(r));
        } catch (err) {
          failed.set(r.agentId, err as Error);
        }
      return failed;
    });
  }

  /** The deletes, then the inserts, that make every agent's dispatch rules exactly the wanted ones (one read per shared chain). */
  private async dispatchChanges(
    rs: readonly AgentRulesInput[],
    rulesOf: (table: 'filter' | 'nat', chain: string) => Promise<string[]> = (table, chain) =>
      this.ipt.rules(table, chain),
  ): Promise<{ table: 'filter' | 'nat'; args: string[] }[]> {
    const read: ReadRule[] = [];
    for (const s of SHARED) {
      const lines = await rulesOf(s.table, s.chain).catch(() => [] as string[]);
      for (const line of lines) read.push({ ...s, args: ruleArgs(line).args, line });
    }
    const deleted = new Set<ReadRule>();
    const inserts: SharedRule[] = [];
    for (const r of rs) {
      const wanted = agentDispatch(r);
      const comment = wanted[0] ? argValue(wanted[0].args, '--comment') : null;
      const match = sourceMatch(r.source);
      const sameSource = (args: string[]): boolean => {
        for (let i = 0; i < match.length; i += 2)
          if (argValue(args, match[i]!) !== match[i + 1]) return false;
        return true;
      };
      const mine = read.filter((x) => argValue(x.args, '--comment') === comment);
      for (const x of read)
        if (argValue(x.args, '--comment') !== comment && sameSource(x.args) && !deleted.has(x)) {
          deleted.add(x);
          this.log.warn({ rule: x.line }, "egress: removed another owner's rule for an address now ours");
        }
      const exact =
        mine.length === wanted.length &&
        wanted.every((w) =>
          mine.some((m) => m.table === w.table && m.chain === w.chain && sameArgs(m.args, w.args)),
        );
      if (exact) continue;
      for (const m of mine) deleted.add(m);
      inserts.push(...wanted);
    }
    return [
      ...[...deleted].map((x) => ({ table: x.table, args: ['-D', x.chain, ...x.args] })),
      ...inserts.map((w) => ({ table: w.table, args: ['-I', w.chain, '1', ...w.args] })),
    ];
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
    return this.serial(async (seed) => {
      const out = new Set<string>();
      const view = new TablesView(this.ipt, seed);
      for (const s of SHARED) {
        const lines = await view.rules(s.table, s.chain, 4).catch(() => [] as string[]);
        for (const line of lines) {
          const c = argValue(ruleArgs(line).args, '--comment');
          if (c?.startsWith(prefix)) out.add(c);
        }
      }
      return out;
    });
  }
}

/** The agents in groups whose chains' restore input stays under {@link CHAINS_BATCH_BYTES}. */
function chainBatches(rs: readonly AgentRulesInput[]): AgentRulesInput[][] {
  const out: AgentRulesInput[][] = [];
  let batch: AgentRulesInput[] = [];
  let bytes = 0;
  for (const r of rs) {
    const size = Buffer.byteLength(agentChainsRestore(r));
    if (batch.length && bytes + size > CHAINS_BATCH_BYTES) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length) out.push(batch);
  return out;
}

/**
 * The base's state from two looks: `missing` when a shared chain is gone (a firewall flush or reload),
 * `moved` when a jump is no longer first (FORWARD may start with Docker's DOCKER-USER jump when
 * DOCKER-USER starts with ours), else `ok`. `first` answers a chain's first rule as an `-A` line ('' when
 * none) and may throw for a missing chain.
 */
async function baseHealth(
  exists: (table: 'filter' | 'nat', chain: string) => Promise<boolean>,
  first: (table: 'filter' | 'nat', chain: string) => Promise<string>,
): Promise<'ok' | 'moved' | 'missing'> {
  for (const s of SHARED) if (!(await exists(s.table, s.chain))) return 'missing';
  const fwd = await first('filter', 'FORWARD');
  const viaDocker =
    fwd === '-A FORWARD -j DOCKER-USER' &&
    (await first('filter', 'DOCKER-USER').catch(() => '')) === `-A DOCKER-USER -j ${FORWARD_CHAIN}`;
  if (fwd !== `-A FORWARD -j ${FORWARD_CHAIN}` && !viaDocker) return 'moved';
  if ((await first('filter', 'INPUT')) !== `-A INPUT -j ${INPUT_CHAIN}`) return 'moved';
  if ((await first('nat', 'PREROUTING')) !== `-A PREROUTING -j ${PREROUTING_CHAIN}`) return 'moved';
  return 'ok';
}

/** A table's chains and their `-A CHAIN …` rule lines, from what `iptables -S` printed for the whole table. */
function parseTable(out: string): { chains: Set<string>; rules: Map<string, string[]> } {
  const chains = new Set<string>();
  const rules = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const [flag, chain] = line.split(' ');
    if (!chain) continue;
    if (flag === '-N' || flag === '-P') chains.add(chain);
    else if (flag === '-A') {
      const list = rules.get(chain) ?? [];
      list.push(line);
      rules.set(chain, list);
    }
  }
  return { chains, rules };
}

/**
 * The whole of a table as `iptables -S` prints it, read once (one command per table and family) and
 * read again after a write to it: the base is checked with a few commands instead of one per rule.
 */
class TablesView {
  private readonly tables = new Map<string, Promise<{ chains: Set<string>; rules: Map<string, string[]> }>>();

  /** @param seed IPv4 tables already read (`iptables -S` output), taken instead of reading them. */
  constructor(
    private readonly ipt: Iptables,
    seed: ProbedTables = {},
  ) {
    for (const [table, out] of Object.entries(seed) as [FirewallTable, string][])
      this.tables.set(`4 ${table}`, Promise.resolve(parseTable(out)));
  }

  private table(table: 'filter' | 'nat', family: 4 | 6) {
    const key = `${family} ${table}`;
    let t = this.tables.get(key);
    if (!t) {
      t = this.ipt.exec(table, ['-S'], family).then(parseTable);
      t.catch(() => this.tables.delete(key));
      this.tables.set(key, t);
    }
    return t;
  }

  async chainExists(table: 'filter' | 'nat', chain: string, family: 4 | 6): Promise<boolean> {
    return (await this.table(table, family)).chains.has(chain);
  }

  /** The chain's rules as `-A CHAIN …` lines. @throws IptablesCommandError when the chain does not exist. */
  async rules(table: 'filter' | 'nat', chain: string, family: 4 | 6): Promise<string[]> {
    const t = await this.table(table, family);
    if (!t.chains.has(chain))
      throw new IptablesCommandError(`iptables: chain ${chain} does not exist in ${table}`, 1);
    return t.rules.get(chain) ?? [];
  }

  /**
   * True when the rule is in the chain: found word for word in what was read, else asked of iptables
   * (`-C`, which also knows rules printed in another form than they were written).
   */
  async has(table: 'filter' | 'nat', chain: string, args: string[], family: 4 | 6 = 4): Promise<boolean> {
    const t = await this.table(table, family);
    for (const line of t.rules.get(chain) ?? []) if (sameArgs(ruleArgs(line).args, args)) return true;
    return this.ipt.has(table, chain, args, family);
  }

  /** A write (`-N`, `-A`, `-I`, `-D`); the table is read again when next asked about. */
  async write(table: 'filter' | 'nat', args: string[], family: 4 | 6 = 4): Promise<void> {
    this.tables.delete(`${family} ${table}`);
    await this.ipt.exec(table, args, family);
  }
}
