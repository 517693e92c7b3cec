// The rule guard of the egress helper: every rule egress writes passes; changes to anyone else's chains are refused.
import { describe, expect, it } from 'vitest';
import {
  agentChainsRestore,
  agentDispatch,
  baseTailRules,
  ipv6Rules,
  JUMPS,
  IPV6_CHAIN,
} from './egress-rules';
import type { AgentRulesInput } from './egress-rules';
import { parseRequest } from './helper-protocol';
import { restoreOf, ruleArgs } from './iptables';
import { checkQuery, checkRestore, isAgentInterface, splitRestoreLine } from './rule-guard';

/** The agent networks of these tests: Docker's bridge br-abc and Incus's routed NICs (adeg…). */
const agentIface = (name: string) => name === 'br-abc' || /^adeg/.test(name);
const restore = (input: string, family: 4 | 6 = 4) => checkRestore(input, family, agentIface);

const input = (over: Partial<AgentRulesInput> = {}): AgentRulesInput => ({
  agentId: '2f1e9b5a-2d6c-4b0a-9d61-6b3c2f1e9b5a',
  tag: '0123456789',
  instanceId: '0123456789abcdef',
  source: { kind: 'bridge', bridge: 'br-abc', address: '10.9.0.130' },
  hostAllowed: [{ address: '10.9.0.1', port: 4000, protocol: 'tcp' }],
  dnsRedirect: { server: '10.9.0.1', port: 5353 },
  mode: 'allowlist',
  destinations: [
    { cidr: '203.0.113.7', port: 443 },
    { cidr: '198.51.100.0/24', port: null },
  ],
  protectedRanges: ['10.9.0.0/24', '169.254.0.0/16'],
  ...over,
});

describe('what egress writes passes the guard', () => {
  it("an agent's chains in every mode, Docker and Incus", () => {
    for (const mode of ['none', 'allowlist', 'open'] as const) {
      expect(restore(agentChainsRestore(input({ mode })))).toBeNull();
      const routed = input({
        mode,
        source: { kind: 'routed', iface: 'adeg0123456789', address: '10.214.0.5' },
      });
      expect(restore(agentChainsRestore(routed))).toBeNull();
    }
  });

  it('its dispatch rules (inserted and deleted), the base tail, the jumps, the IPv6 rules', () => {
    const writes: [string, 'filter' | 'nat', string[], 4 | 6][] = [];
    for (const r of agentDispatch(input()))
      writes.push(
        ['insert', r.table, ['-I', r.chain, '1', ...r.args], 4],
        ['delete', r.table, ['-D', r.chain, ...r.args], 4],
      );
    const base = { bridges: [{ name: 'br-abc', subnet: '10.9.0.0/24' }], routedPool: '10.214.0.0/16' };
    for (const r of baseTailRules(base)) writes.push(['tail', r.table, ['-A', r.chain, ...r.args], 4]);
    for (const j of JUMPS)
      writes.push(
        ['chain', j.table, ['-N', j.to], 4],
        ['jump', j.table, ['-I', j.from, '1', '-j', j.to], 4],
        ['unjump', j.table, ['-D', j.from, '-j', j.to], 4],
      );
    writes.push(
      ['v6 chain', 'filter', ['-N', IPV6_CHAIN], 6],
      ['v6 jump', 'filter', ['-I', 'INPUT', '1', '-j', IPV6_CHAIN], 6],
    );
    for (const args of ipv6Rules(base)) writes.push(['v6', 'filter', ['-A', IPV6_CHAIN, ...args], 6]);
    for (const c of ['ADE-0123456789-F', 'ADE-0123456789-I', 'ADE-0123456789-R'])
      writes.push(['flush', 'filter', ['-F', c], 4], ['remove', 'filter', ['-X', c], 4]);
    for (const [what, table, args, family] of writes)
      expect(restore(restoreOf(table, args), family), `${what}: ${args.join(' ')}`).toBeNull();
  });

  it('deleting a rule read back with iptables -S (quoted comment) passes', () => {
    const line =
      '-A AGENTDESK-FWD -s 10.9.0.130/32 -i br-gone -m comment --comment "agentdesk 0123456789abcdef 2f1e9b5a-2d6c-4b0a-9d61-6b3c2f1e9b5a" -j ADE-0123456789-F';
    const { chain, args } = ruleArgs(line);
    // The bridge is gone (a re-created network): deleting our own rule is still allowed.
    expect(restore(restoreOf('filter', ['-D', chain, ...args]))).toBeNull();
    expect(restore(restoreOf('filter', ['-I', chain, '1', ...args]))).toMatch(/agent network/);
  });

  it('reads: -S of any chain, -C of a rule egress writes', () => {
    expect(checkQuery(['-S'])).toBeNull();
    expect(checkQuery(['-S', 'INPUT', '1'])).toBeNull();
    expect(checkQuery(['-C', 'AGENTDESK-IN', '-i', 'adeg+', '-j', 'DROP'])).toBeNull();
  });
});

describe('the guard refuses what would touch the host firewall beyond our chains', () => {
  const one = (line: string, table = 'filter') => restore(`*${table}\n${line}\nCOMMIT\n`);

  it.each([
    ['-F INPUT', /-F is allowed only on a chain of Agent Desk/],
    ['-F', /-F is allowed only on a chain of Agent Desk/],
    ['-X', /-X is allowed only/],
    ['-P INPUT ACCEPT', /the command "-P" is not allowed/],
    ['-A INPUT -j ACCEPT', /INPUT may only hold a bare jump to a shared chain/],
    ['-I INPUT 1 -i eth0 -j ACCEPT', /INPUT may only hold a bare jump/],
    ['-I INPUT 1 -i eth0 -j AGENTDESK-IN', /INPUT may only hold a bare jump/],
    ['-D INPUT -j DOCKER', /INPUT may only hold a bare jump/],
    ['-A OUTPUT -j AGENTDESK-IN', /"OUTPUT" is not a chain of Agent Desk/],
    ['-A DOCKER -j ACCEPT', /"DOCKER" is not a chain of Agent Desk/],
    ['-E AGENTDESK-IN INPUT', /the command "-E" is not allowed/],
    ['-Z', /the command "-Z" is not allowed/],
    ['-A AGENTDESK-IN -j ACCEPT', /needs a -i or -o match of an agent network/],
    ['-A AGENTDESK-IN -i eth0 -j ACCEPT', /needs a -i or -o match of an agent network/],
    ['-A AGENTDESK-IN ! -i br-abc -j ACCEPT', /needs a -i or -o match of an agent network/],
    ['-A AGENTDESK-FWD -j ADE-0123456789-F', /needs a -i or -o match/],
    ['-A AGENTDESK-IN -i br-abc -j ACCEPT -F INPUT', /the option "-F" is not allowed/],
    [
      '-A AGENTDESK-IN -i br-abc -m comment --comment "-F" -j DROP',
      /value of --comment is missing or not allowed/,
    ],
    ['-A AGENTDESK-IN -i br-abc -j "-F"', /value of -j/],
    ['-A AGENTDESK-IN --modprobe=/tmp/x -j DROP', /option "--modprobe=\/tmp\/x" is not allowed/],
    ['-A AGENTDESK-IN -m owner --uid-owner 0 -j DROP', /match module "owner" is not allowed/],
    ['-A AGENTDESK-IN -i br-abc -j INPUT', /target "INPUT"/],
    ['-A AGENTDESK-IN -i br-abc -g ADE-0123456789-I', /option "-g" is not allowed/],
    ['-A ADE-0123456789-F -j ACCEPT -j DROP', /one -j/],
    ["-A AGENTDESK-IN -m comment --comment 'x' -j DROP", /single quotes/],
    ['-A AGENTDESK-IN -m comment --comment "a\\"b" -j DROP', /backslashes/],
    ['-A AGENTDESK-IN -m comment --comment x"y z" -j DROP', /double quote/],
    ['-N INPUT2', /-N is allowed only on a chain of Agent Desk/],
  ])('%s', (line, why) => {
    expect(one(line)).toMatch(why);
  });

  it('nat: no redirect of the host’s traffic, no masquerade of everything', () => {
    expect(
      one('-A AGENTDESK-PRE -p tcp -m tcp --dport 22 -j DNAT --to-destination 10.0.0.9:22', 'nat'),
    ).toMatch(/agent network/);
    expect(one('-A AGENTDESK-POST -j MASQUERADE', 'nat')).toMatch(/MASQUERADE in a shared chain needs a -s/);
    expect(one('-A PREROUTING -j DNAT --to-destination 10.0.0.9', 'nat')).toMatch(/bare jump/);
  });

  it('declarations, tables and structure', () => {
    // A built-in chain's declaration sets its policy in --noflush mode.
    expect(restore('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n')).toMatch(
      /only chains of Agent Desk may be declared/,
    );
    expect(restore('*filter\n:AGENTDESK-IN DROP [0:0]\nCOMMIT\n')).toMatch(/policy "-"/);
    expect(restore('*raw\n-A AGENTDESK-IN -j DROP\nCOMMIT\n')).toMatch(/only the tables filter, nat/);
    expect(restore('*mangle\nCOMMIT\n')).toMatch(/only the tables/);
    expect(restore('*nat\nCOMMIT\n', 6)).toMatch(/only the tables filter may be changed/);
    expect(restore('-A AGENTDESK-IN -i br-abc -j DROP\n')).toMatch(/outside a table/);
    expect(restore('*filter\n-A AGENTDESK-IN -i br-abc -j DROP\n')).toMatch(/COMMIT missing/);
    expect(restore('*filter\n*nat\nCOMMIT\n')).toMatch(/was not committed/);
    expect(restore(`*filter\n${'# x\n'.repeat(600_000)}COMMIT\n`)).toMatch(/larger than/);
  });

  it('reads are only -S and -C', () => {
    expect(checkQuery(['-F', 'INPUT'])).toMatch(/only -S and -C/);
    expect(checkQuery(['-L'])).toMatch(/only -S and -C/);
    expect(checkQuery(['-S', 'INPUT', '1', '-j'])).toMatch(/at most a chain and a rule number/);
    expect(checkQuery(['-C', 'INPUT', '--modprobe=/x', '-j', 'DROP'])).toMatch(/not allowed/);
    expect(checkQuery(['-S', '../x'])).toMatch(/not a chain name/);
  });
});

describe('the helper protocol refuses malformed requests', () => {
  it.each([
    ['{', /not JSON/],
    ['[]', /not an object/],
    ['{"op":"kmsg"}', /id must be/],
    ['{"id":1,"op":"shell","cmd":"id"}', /op must be/],
    ['{"id":1,"op":"restore","family":4,"input":"x","backend":"nft"}', /unknown keys/],
    ['{"id":1,"op":"query","family":5,"table":"filter","args":[]}', /family/],
    ['{"id":1,"op":"query","family":4,"table":"raw","args":["-S"]}', /table/],
    ['{"id":1,"op":"hello","backend":"/bin/sh"}', /backend/],
  ])('%s', (line, why) => {
    const r = parseRequest(line);
    expect('error' in r && r.error).toMatch(why);
  });
});

describe('interfaces and words', () => {
  it('an agent interface is adeg… or a Linux bridge of this host', () => {
    expect(isAgentInterface('adeg+')).toBe(true);
    expect(isAgentInterface('adeg0123456789')).toBe(true);
    expect(isAgentInterface('lo')).toBe(false); // not a bridge
    expect(isAgentInterface('../../..')).toBe(false);
    expect(isAgentInterface('eth+')).toBe(false);
  });

  it('splits like iptables-restore: quoted words whole', () => {
    expect(splitRestoreLine('-A X -m comment --comment "a b c" -j DROP')).toEqual([
      '-A',
      'X',
      '-m',
      'comment',
      '--comment',
      'a b c',
      '-j',
      'DROP',
    ]);
    expect(splitRestoreLine('-A X --comment "a b')).toMatch(/double quote/);
  });
});
