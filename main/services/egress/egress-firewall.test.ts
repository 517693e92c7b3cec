// Egress rules for many agents at once: few commands, only differences written, the rule guard accepts every write.
import { describe, expect, it } from 'vitest';
import { EgressFirewall, SEED_MAX_AGE_MS } from './egress-firewall';
import { agentDispatch, agentsChainsRestore } from './egress-rules';
import type { AgentRulesInput } from './egress-rules';
import { Iptables, IptablesCommandError } from './iptables';
import type { IptablesExecutor } from './iptables';
import { checkRestore } from './rule-guard';

const agent = (n: number): AgentRulesInput => ({
  agentId: `agent-${n}`,
  tag: `000000000${n}`.slice(-10),
  instanceId: 'core1',
  source: { kind: 'bridge', bridge: 'br-abc', address: `10.9.0.${130 + n}` },
  hostAllowed: [{ address: '10.9.0.1', port: 4000, protocol: 'tcp' }],
  dnsRedirect: { server: '10.9.0.1', port: 5353 },
  mode: 'none',
  destinations: [],
  protectedRanges: ['10.9.0.0/24'],
});

/** An `iptables -S` line of a rule, as iptables prints it (words with spaces quoted). */
const line = (chain: string, args: string[]) =>
  `-A ${chain} ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`;

/**
 * Answers `-S CHAIN` from `chains`, records every restore; `failRestores` restores fail first, and the
 * first restore matching `failOnce` fails.
 */
function fakeExecutor(chains: Record<string, string[]>, failRestores = 0, failOnce: RegExp | null = null) {
  const restores: string[] = [];
  const queries: string[][] = [];
  const executor: IptablesExecutor = {
    kind: 'root',
    query: (_family, _table, args) => {
      queries.push(args);
      const rules = chains[args[1]!] ?? [];
      return Promise.resolve([`-N ${args[1]}`, ...rules].join('\n') + '\n');
    },
    restore: (_family, input) => {
      restores.push(input);
      if (failRestores-- > 0) return Promise.reject(new IptablesCommandError('rule changed meanwhile', 1));
      if (failOnce?.test(input)) {
        failOnce = null;
        return Promise.reject(new IptablesCommandError('rule changed meanwhile', 1));
      }
      return Promise.resolve();
    },
    followKernelLog: () => Promise.resolve(null),
    close: () => undefined,
  };
  return { executor, restores, queries };
}

const log = { info: () => undefined, warn: () => undefined };

describe('applyAgents', () => {
  it('writes every agent in one chains transaction and one dispatch transaction, after one read per shared chain', async () => {
    const f = fakeExecutor({});
    const failed = await new EgressFirewall(new Iptables(f.executor), log).applyAgents([
      agent(1),
      agent(2),
      agent(3),
    ]);
    expect(failed.size).toBe(0);
    expect(f.queries.map((q) => q[0])).toEqual(['-S', '-S', '-S']);
    expect(f.restores).toHaveLength(2);
    for (const n of [1, 2, 3]) expect(f.restores[0]).toContain(`:ADE-000000000${n}-F - [0:0]`);
    expect(f.restores[1]!.match(/^-I /gm)).toHaveLength(12);
    expect(f.restores[1]).not.toMatch(/^-D /m);
    for (const r of f.restores) expect(checkRestore(r, 4, (i) => i === 'br-abc')).toBeNull();
  });

  it('leaves dispatch rules that are exactly right alone, and rewrites only the agent whose rules differ', async () => {
    const chains: Record<string, string[]> = {};
    const right = [agent(1), agent(2)];
    for (const r of right)
      for (const w of agentDispatch(r)) (chains[w.chain] ??= []).push(line(w.chain, w.args));
    const stale = agentDispatch({ ...agent(3), dnsRedirect: { server: '10.9.0.1', port: 5300 } });
    for (const w of stale) (chains[w.chain] ??= []).push(line(w.chain, w.args));
    const f = fakeExecutor(chains);
    await new EgressFirewall(new Iptables(f.executor), log).applyAgents([...right, agent(3)]);
    expect(f.restores).toHaveLength(2);
    const dispatch = f.restores[1]!;
    expect(dispatch.match(/^-D /gm)).toHaveLength(4);
    expect(dispatch.match(/^-I /gm)).toHaveLength(4);
    expect(dispatch).not.toContain('agent-1');
    expect(dispatch).toContain('10.9.0.1:5353');
    expect(checkRestore(dispatch, 4, (i) => i === 'br-abc')).toBeNull();
  });

  it("deletes another owner's rule for an agent's source", async () => {
    const other = agentDispatch({ ...agent(1), agentId: 'gone', instanceId: 'core2' });
    const f = fakeExecutor({ [other[0]!.chain]: [line(other[0]!.chain, other[0]!.args)] });
    await new EgressFirewall(new Iptables(f.executor), log).applyAgents([agent(1)]);
    expect(f.restores[1]).toMatch(/^-D AGENTDESK-FWD .*"agentdesk core2 gone"/m);
  });

  it('applies each agent alone when the batch fails, and reports the ones that still fail', async () => {
    const f = fakeExecutor({}, 2); // the batch's chains write, then the first agent's own
    const failed = await new EgressFirewall(new Iptables(f.executor), log).applyAgents([agent(1), agent(2)]);
    expect([...failed.keys()]).toEqual(['agent-1']);
    expect(f.restores.at(-1)).toContain('agent-2');
  });

  it('puts every chain declaration before the rules', () => {
    const text = agentsChainsRestore([agent(1), agent(2)]);
    const lines = text.split('\n');
    const lastDeclaration = lines.findLastIndex((l) => l.startsWith(':'));
    expect(lastDeclaration).toBe(6);
    expect(lines[0]).toBe('*filter');
    expect(lines.at(-2)).toBe('COMMIT');
  });
});

describe('applyAgent', () => {
  const guard = (text: string) => checkRestore(text, 4, (i) => i === 'br-abc');

  it('writes a new agent with one read per shared chain, its chains in one transaction, all its dispatch rules in one more', async () => {
    const f = fakeExecutor({});
    await new EgressFirewall(new Iptables(f.executor), log).applyAgent(agent(1));
    expect(f.queries.map((q) => q.join(' '))).toEqual([
      '-S AGENTDESK-FWD',
      '-S AGENTDESK-IN',
      '-S AGENTDESK-PRE',
    ]);
    expect(f.restores).toHaveLength(2);
    expect(f.restores[0]).toContain(':ADE-0000000001-F - [0:0]');
    const wanted = agentDispatch(agent(1));
    expect(f.restores[1]!.match(/^-I /gm)).toHaveLength(wanted.length);
    for (const w of wanted) expect(f.restores[1]).toContain(`-I ${w.chain} 1 `);
    for (const r of f.restores) expect(guard(r)).toBeNull();
  });

  it('leaves dispatch rules that are exactly right alone (only the chains are written)', async () => {
    const chains: Record<string, string[]> = {};
    for (const w of agentDispatch(agent(1))) (chains[w.chain] ??= []).push(line(w.chain, w.args));
    const f = fakeExecutor(chains);
    await new EgressFirewall(new Iptables(f.executor), log).applyAgent(agent(1));
    expect(f.restores).toHaveLength(1);
    expect(f.restores[0]).not.toMatch(/^-[ID] AGENTDESK-/m);
  });

  it("replaces its stale rules and deletes another owner's rule for its source in the same transaction as the inserts", async () => {
    // An attacker's view: a stale core's rule for this agent's address would let its traffic match
    // another policy; it must go, and no moment may pass with the agent's own rules missing.
    const stale = agentDispatch({ ...agent(1), dnsRedirect: { server: '10.9.0.1', port: 5300 } });
    const other = agentDispatch({ ...agent(1), agentId: 'gone', instanceId: 'core2' });
    const chains: Record<string, string[]> = {};
    for (const w of [...stale, other[0]!]) (chains[w.chain] ??= []).push(line(w.chain, w.args));
    const f = fakeExecutor(chains);
    await new EgressFirewall(new Iptables(f.executor), log).applyAgent(agent(1));
    expect(f.restores).toHaveLength(2);
    const dispatch = f.restores[1]!;
    expect(dispatch).toMatch(/^-D AGENTDESK-FWD .*"agentdesk core2 gone"/m);
    expect(dispatch.match(/^-D /gm)).toHaveLength(stale.length + 1);
    expect(dispatch.match(/^-I /gm)).toHaveLength(stale.length);
    expect(dispatch).toContain('10.9.0.1:5353');
    for (const block of dispatch.split('*').slice(1))
      if (block.includes('\n-I ')) expect(block.lastIndexOf('\n-D ')).toBeLessThan(block.indexOf('\n-I '));
    expect(guard(dispatch)).toBeNull();
  });

  it('applies the dispatch rules one by one when their transaction fails (a rule changed meanwhile)', async () => {
    const f = fakeExecutor({}, 0, /^-I /m);
    await new EgressFirewall(new Iptables(f.executor), log).applyAgent(agent(1));
    const wanted = agentDispatch(agent(1));
    const after = f.restores.slice(2);
    expect(after).toHaveLength(wanted.length);
    for (const r of after) expect(r.match(/^-I /gm)).toHaveLength(1);
    for (const r of f.restores) expect(guard(r)).toBeNull();
  });

  it('fails when the rules cannot be written rule by rule either (the deploy must not go on)', async () => {
    const f = fakeExecutor({}, 0, /^-I /m);
    let calls = 0;
    const { executor } = f;
    const restore = executor.restore.bind(executor);
    executor.restore = (family, input) =>
      ++calls > 2 ? Promise.reject(new IptablesCommandError('no such chain', 1)) : restore(family, input);
    await expect(new EgressFirewall(new Iptables(f.executor), log).applyAgent(agent(1))).rejects.toThrow(
      'no such chain',
    );
  });
});

describe('tables seeded by the enforcement probe', () => {
  const filter = [
    '-P INPUT ACCEPT',
    '-N AGENTDESK-FWD',
    '-N AGENTDESK-IN',
    '-A AGENTDESK-FWD -s 10.9.0.131/32 -m comment --comment "agentdesk core1 gone" -j ADE-0000000001-F',
    '-A AGENTDESK-FWD -s 10.9.0.132/32 -m comment --comment "agentdesk core2 other" -j ADE-0000000002-F',
  ].join('\n');
  const nat = ['-P PREROUTING ACCEPT', '-N AGENTDESK-PRE'].join('\n');

  it("lets the first operation find this core's rules without a command; later ones read afresh", async () => {
    const f = fakeExecutor({});
    const fw = new EgressFirewall(new Iptables(f.executor), log);
    fw.seed({ filter, nat }, 10);
    expect(await fw.commentsWithPrefix('agentdesk core1 ')).toEqual(new Set(['agentdesk core1 gone']));
    expect(f.queries).toHaveLength(0);
    await fw.commentsWithPrefix('agentdesk core1 ');
    expect(f.queries).toEqual([['-S'], ['-S']]);
  });

  it('reads the tables again when what was seeded is too old', async () => {
    const f = fakeExecutor({});
    const fw = new EgressFirewall(new Iptables(f.executor), log);
    fw.seed({ filter, nat }, SEED_MAX_AGE_MS + 1);
    await fw.commentsWithPrefix('agentdesk core1 ');
    expect(f.queries).toEqual([['-S'], ['-S']]);
  });
});

describe('attachAgent (a deploy or start: the base checked and the agent applied from one read per table)', () => {
  const base = { bridges: [{ name: 'br-abc', subnet: '10.9.0.0/24' }], routedPool: null };
  const intact = () => ({
    filter: [
      '-P INPUT ACCEPT',
      '-P FORWARD ACCEPT',
      '-N AGENTDESK-FWD',
      '-N AGENTDESK-IN',
      '-A INPUT -j AGENTDESK-IN',
      '-A FORWARD -j AGENTDESK-FWD',
    ],
    nat: [
      '-P PREROUTING ACCEPT',
      '-P POSTROUTING ACCEPT',
      '-N AGENTDESK-PRE',
      '-N AGENTDESK-POST',
      '-A PREROUTING -j AGENTDESK-PRE',
      '-A POSTROUTING -j AGENTDESK-POST',
    ],
  });

  /** Whole tables as `iptables -S` prints them (IPv4; ip6tables fails), `-C` answered from them; records every command. */
  function tablesExecutor(tables: Record<'filter' | 'nat', string[]>) {
    const restores: string[] = [];
    const queries: string[] = [];
    const executor: IptablesExecutor = {
      kind: 'root',
      query: (family, table, args) => {
        queries.push(`${family} ${table} ${args.join(' ')}`);
        if (family === 6) return Promise.reject(new IptablesCommandError('ip6tables: no IPv6 here', 3));
        const lines = tables[table];
        if (args[0] === '-C') {
          const found = lines.includes(line(args[1]!, args.slice(2)));
          return found ? Promise.resolve('') : Promise.reject(new IptablesCommandError('no such rule', 1));
        }
        if (args.length === 1) return Promise.resolve(`${lines.join('\n')}\n`);
        const chain = args[1]!;
        if (!lines.some((l) => l.startsWith(`-N ${chain}`) || l.startsWith(`-P ${chain} `)))
          return Promise.reject(new IptablesCommandError('no chain', 1));
        const rules = lines.filter((l) => l.startsWith(`-A ${chain} `));
        return Promise.resolve(`${(args[2] ? rules.slice(0, 1) : [`-N ${chain}`, ...rules]).join('\n')}\n`);
      },
      restore: (_family, input) => {
        restores.push(input);
        return Promise.resolve();
      },
      followKernelLog: () => Promise.resolve(null),
      close: () => undefined,
    };
    return { executor, restores, queries };
  }

  it('with the base in place: reads each table once and writes the agent in two transactions (4 commands)', async () => {
    const f = tablesExecutor(intact());
    const made = await new EgressFirewall(new Iptables(f.executor), log).attachAgent(agent(1), base, true);
    expect(made).toBe(false);
    expect(f.queries).toEqual(['4 filter -S', '4 nat -S']);
    expect(f.restores).toHaveLength(2);
    expect(f.restores[0]).toContain(':ADE-0000000001-F - [0:0]');
    expect(f.restores[1]!.match(/^-I /gm)).toHaveLength(agentDispatch(agent(1)).length);
    for (const r of f.restores) expect(checkRestore(r, 4, (i) => i === 'br-abc')).toBeNull();
  });

  it('puts a jump another program moved down back first before the agent gets its rules', async () => {
    const t = intact();
    t.filter = t.filter.filter((l) => l !== '-A FORWARD -j AGENTDESK-FWD');
    t.filter.push('-A FORWARD -j ACCEPT', '-A FORWARD -j AGENTDESK-FWD');
    const f = tablesExecutor(t);
    const made = await new EgressFirewall(new Iptables(f.executor), log).attachAgent(agent(1), base, true);
    expect(made).toBe(true);
    const jump = f.restores.findIndex((r) => /^-I FORWARD 1 -j AGENTDESK-FWD$/m.test(r));
    const chains = f.restores.findIndex((r) => r.includes(':ADE-0000000001-F'));
    expect(jump).toBeGreaterThanOrEqual(0);
    expect(jump).toBeLessThan(chains);
  });

  it('after a firewall flush, makes the shared chains and their final drops before the agent gets its rules (fail closed)', async () => {
    const f = tablesExecutor({
      filter: ['-P INPUT ACCEPT', '-P FORWARD ACCEPT'],
      nat: ['-P PREROUTING ACCEPT', '-P POSTROUTING ACCEPT'],
    });
    const made = await new EgressFirewall(new Iptables(f.executor), log).attachAgent(agent(1), base, true);
    expect(made).toBe(true);
    const chains = f.restores.findIndex((r) => r.includes(':ADE-0000000001-F'));
    const before = f.restores.slice(0, chains).join('\n');
    expect(before).toMatch(/^-N AGENTDESK-FWD$/m);
    expect(before).toMatch(/^-I FORWARD 1 -j AGENTDESK-FWD$/m);
    // The tail drop of anything from the agent network no agent rule claimed.
    expect(before).toMatch(/^-A AGENTDESK-FWD .*10\.9\.0\.0\/24.*-j DROP/m);
    expect(f.restores.at(-1)!.match(/^-I /gm)).toHaveLength(agentDispatch(agent(1)).length);
  });

  it('makes the base for networks it has not made it for, even when it looks intact', async () => {
    const f = tablesExecutor(intact());
    const made = await new EgressFirewall(new Iptables(f.executor), log).attachAgent(agent(1), base, false);
    expect(made).toBe(true);
    // The tail rules for br-abc were missing: appended.
    expect(f.restores.some((r) => /^-A AGENTDESK-FWD .*br-abc/m.test(r))).toBe(true);
  });
});
