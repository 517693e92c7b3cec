// The pure parts of egress: rules per mode, kernel log lines, allowlist matching and learning, folding of refusals, addresses.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EgressNetwork } from '../runtimes/container-runtime';
import { pickAddress } from './egress-addresses';
import { AgentAllowlist, MIN_RETENTION_MS, nextPolicy } from './egress-allowlist';
import { EVENTS_PER_MINUTE, FOLD_WINDOW_MS, RefusalFolder, classify } from './egress-refusals';
import { agentChainsRestore, agentDispatch, baseTailRules } from './egress-rules';
import type { AgentRulesInput } from './egress-rules';
import { parseRefusal } from './kernel-log';
import { ruleArgs } from './iptables';

const input = (over: Partial<AgentRulesInput> = {}): AgentRulesInput => ({
  agentId: 'a1',
  tag: '0123456789',
  instanceId: 'core1',
  source: { kind: 'bridge', bridge: 'br-abc', address: '10.9.0.130' },
  hostAllowed: [{ address: '10.9.0.1', port: 4000, protocol: 'tcp' }],
  dnsRedirect: { server: '10.9.0.1', port: 5353 },
  mode: 'none',
  destinations: [],
  protectedRanges: ['10.9.0.0/24', '169.254.0.0/16'],
  ...over,
});

describe('agent rules', () => {
  const forward = (text: string) => text.split('\n').filter((l) => l.startsWith('-A ADE-0123456789-F'));

  it('none: replies, then DNS elsewhere and protected ranges refused, then everything refused', () => {
    const f = forward(agentChainsRestore(input()));
    expect(f[0]).toMatch(/--ctdir REPLY -j ACCEPT/);
    expect(f.some((l) => /--dport 53 -j ADE-0123456789-R/.test(l))).toBe(true);
    expect(f.at(-1)).toBe('-A ADE-0123456789-F -j ADE-0123456789-R');
    expect(f.some((l) => l.endsWith('-j ACCEPT') && !l.includes('REPLY'))).toBe(false);
  });

  it('allowlist: each destination for TCP and UDP, port or all ports, before the refusal', () => {
    const f = forward(
      agentChainsRestore(
        input({
          mode: 'allowlist',
          destinations: [
            { cidr: '203.0.113.7', port: 443 },
            { cidr: '198.51.100.0/24', port: null },
          ],
        }),
      ),
    );
    expect(f).toContain('-A ADE-0123456789-F -d 203.0.113.7/32 -p tcp -m tcp --dport 443 -j ACCEPT');
    expect(f).toContain('-A ADE-0123456789-F -d 203.0.113.7/32 -p udp -m udp --dport 443 -j ACCEPT');
    expect(f).toContain('-A ADE-0123456789-F -d 198.51.100.0/24 -p tcp -j ACCEPT');
    const protectedAt = f.findIndex((l) => l.includes('169.254.0.0/16'));
    expect(protectedAt).toBeLessThan(f.findIndex((l) => l.includes('203.0.113.7')));
  });

  it('open: accept after the protected ranges', () => {
    const f = forward(agentChainsRestore(input({ mode: 'open' })));
    expect(f.at(-2)).toBe('-A ADE-0123456789-F -j ACCEPT');
    expect(f.findIndex((l) => l.includes('10.9.0.0/24'))).toBeLessThan(f.length - 2);
  });

  it('to the host: only the listed gateway and resolver ports', () => {
    const i = agentChainsRestore(input())
      .split('\n')
      .filter((l) => l.startsWith('-A ADE-0123456789-I'));
    expect(i).toEqual([
      '-A ADE-0123456789-I -m conntrack --ctstate ESTABLISHED,RELATED --ctdir REPLY -j ACCEPT',
      '-A ADE-0123456789-I -d 10.9.0.1/32 -p tcp -m tcp --dport 4000 -j ACCEPT',
      '-A ADE-0123456789-I -j ADE-0123456789-R',
    ]);
  });

  it('the refusal logs new connections at a bounded rate, then rejects', () => {
    const r = agentChainsRestore(input())
      .split('\n')
      .filter((l) => l.startsWith('-A ADE-0123456789-R'));
    expect(r[0]).toMatch(
      /--ctstate NEW -m limit --limit 20\/sec --limit-burst 40 -j LOG --log-prefix "ADEG 0123456789 "/,
    );
    expect(r.slice(1)).toEqual([
      '-A ADE-0123456789-R -p tcp -j REJECT --reject-with tcp-reset',
      '-A ADE-0123456789-R -j REJECT --reject-with icmp-admin-prohibited',
    ]);
  });

  it('dispatch: by source and bridge (Docker) or routed NIC (Incus), with the owner comment; all DNS redirected', () => {
    const d = agentDispatch(input());
    expect(d.map((r) => r.chain)).toEqual([
      'AGENTDESK-FWD',
      'AGENTDESK-IN',
      'AGENTDESK-PRE',
      'AGENTDESK-PRE',
    ]);
    expect(d[0]!.args.join(' ')).toBe(
      '-s 10.9.0.130/32 -i br-abc -m comment --comment agentdesk core1 a1 -j ADE-0123456789-F',
    );
    expect(d[2]!.args.join(' ')).not.toContain('-d ');
    expect(d[2]!.args.slice(-2)).toEqual(['--to-destination', '10.9.0.1:5353']);
    const routed = agentDispatch(
      input({
        source: { kind: 'routed', iface: 'adeg0123456789', address: '10.214.0.9' },
        dnsRedirect: null,
      }),
    );
    expect(routed.map((r) => r.args.slice(0, 2).join(' '))).toEqual([
      '-i adeg0123456789',
      '-i adeg0123456789',
    ]);
  });

  it('base tail: unknown sources of agent networks dropped, by interface and by subnet (not the host on lo)', () => {
    const t = baseTailRules({
      bridges: [{ name: 'br-abc', subnet: '10.9.0.0/24' }],
      routedPool: '10.214.0.0/16',
    }).map((r) => `${r.chain} ${r.args.join(' ')}`);
    expect(t).toContain('AGENTDESK-FWD -s 10.9.0.0/24 -j DROP');
    expect(t).toContain('AGENTDESK-IN -s 10.9.0.0/24 ! -i lo -j DROP');
    expect(t).toContain('AGENTDESK-FWD -i adeg+ -j DROP');
    expect(t).toContain('AGENTDESK-POST -s 10.214.0.0/16 ! -o adeg+ -j MASQUERADE');
  });

  it('iptables -S lines split back into arguments, quoted comments kept whole', () => {
    expect(
      ruleArgs('-A AGENTDESK-FWD -s 10.9.0.130/32 -i br-abc -m comment --comment "agentdesk core1 a1" -j X'),
    ).toEqual({
      chain: 'AGENTDESK-FWD',
      args: [
        '-s',
        '10.9.0.130/32',
        '-i',
        'br-abc',
        '-m',
        'comment',
        '--comment',
        'agentdesk core1 a1',
        '-j',
        'X',
      ],
    });
  });
});

describe('kernel log lines', () => {
  it('parses a /dev/kmsg record of our LOG rule', () => {
    const rec =
      '4,1234,5678,-;ADEG 0123456789 IN=br-abc OUT=adto1 PHYSIN=veth1 MAC=aa SRC=10.9.0.130 DST=198.18.1.2 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=9090 WINDOW=64240 RES=0x00 SYN URGP=0 ';
    expect(parseRefusal(rec)).toEqual({
      tag: '0123456789',
      in: 'br-abc',
      out: 'adto1',
      src: '10.9.0.130',
      dst: '198.18.1.2',
      protocol: 'tcp',
      port: 9090,
    });
    expect(
      parseRefusal(
        'ADEG 0123456789 IN=adeg0123456789 OUT= SRC=10.214.0.9 DST=10.0.0.1 LEN=84 PROTO=ICMP TYPE=8 CODE=0',
      ),
    ).toMatchObject({
      out: '',
      protocol: 'icmp',
      port: null,
    });
    expect(parseRefusal('6,1,2,-;usb 1-1: new device')).toBeNull();
  });

  it('classifies: host, direct DNS, link-local, agent networks, otherwise not allowed', () => {
    const p = { tag: 't', in: 'br', src: '10.9.0.130', protocol: 'tcp' as const };
    expect(classify({ ...p, out: '', dst: '10.9.0.1', port: 8080 }, [])).toBe('host_service');
    expect(classify({ ...p, out: 'eth0', dst: '8.8.8.8', port: 53 }, [])).toBe('dns_direct');
    expect(classify({ ...p, out: 'eth0', dst: '169.254.169.254', port: 80 }, [])).toBe('link_local');
    expect(classify({ ...p, out: 'br', dst: '10.9.0.131', port: 8100 }, ['10.9.0.0/24'])).toBe(
      'agent_network',
    );
    expect(classify({ ...p, out: 'eth0', dst: '203.0.113.7', port: 443 }, ['10.9.0.0/24'])).toBe(
      'not_allowed',
    );
  });
});

describe('allowlist at run time', () => {
  it('decides names by mode and entries (wildcards cover subdomains only)', () => {
    const a = new AgentAllowlist('allowlist', ['api.example.com:443', '*.cdn.example']);
    expect(a.decide('api.example.com')).toBe('forward');
    expect(a.decide('x.cdn.example')).toBe('forward');
    expect(a.decide('cdn.example')).toBe('refuse');
    expect(a.decide('example.com')).toBe('refuse');
    expect(new AgentAllowlist('none', ['api.example.com']).decide('api.example.com')).toBe('refuse');
    expect(new AgentAllowlist('open', []).decide('anything.example')).toBe('forward');
  });

  it('learns answered addresses per entry with the entry port; never link-local; expires after the retention', () => {
    const a = new AgentAllowlist('allowlist', ['api.example.com:443', '203.0.113.0/24']);
    expect(
      a.learn(
        'api.example.com',
        [
          { address: '198.51.100.5', ttl: 30 },
          { address: '169.254.169.254', ttl: 30 },
        ],
        0,
      ),
    ).toBe(true);
    expect(a.learn('api.example.com', [{ address: '198.51.100.5', ttl: 30 }], 0)).toBe(false);
    expect(a.destinations()).toEqual([
      { cidr: '198.51.100.5/32', port: 443 },
      { cidr: '203.0.113.0/24', port: null },
    ]);
    expect(a.nameOf('198.51.100.5')).toBe('api.example.com');
    expect(a.expire(MIN_RETENTION_MS - 1)).toBe(false);
    expect(a.expire(MIN_RETENTION_MS)).toBe(true);
    expect(a.destinations()).toEqual([{ cidr: '203.0.113.0/24', port: null }]);
  });

  it('keeps learned addresses of entries that survive an edit', () => {
    const a = new AgentAllowlist('allowlist', ['api.example.com:443', 'b.example']);
    a.learn('api.example.com', [{ address: '198.51.100.5', ttl: 30 }]);
    a.learn('b.example', [{ address: '198.51.100.6', ttl: 30 }]);
    const b = new AgentAllowlist('allowlist', ['api.example.com:443']);
    b.carryOver(a);
    expect(b.destinations()).toEqual([{ cidr: '198.51.100.5/32', port: 443 }]);
  });
});

describe('policy changes', () => {
  it('removes listed entries, adds new ones once, keeps the mode unless given', () => {
    const cur = { mode: 'allowlist' as const, allow: ['a.example', 'b.example:443'] };
    expect(nextPolicy(cur, { remove: ['a.example'], allow: ['b.example:443', 'c.example'] })).toEqual({
      mode: 'allowlist',
      allow: ['b.example:443', 'c.example'],
    });
    expect(nextPolicy(cur, { egress: 'open' })).toEqual({ mode: 'open', allow: cur.allow });
  });
  it('refuses to remove what is not listed, naming what is', () => {
    expect(() => nextPolicy({ mode: 'none', allow: ['a.example'] }, { remove: ['x.example'] })).toThrow(
      /"x\.example" is not in the allowlist of this agent; it has a\.example/,
    );
    const many = Array.from({ length: 64 }, (_, i) => `h${i}.example`);
    expect(() => nextPolicy({ mode: 'allowlist', allow: many }, { allow: ['one-more.example'] })).toThrow(
      /at most 64/,
    );
  });
});

describe('refusal folding', () => {
  afterEach(() => vi.useRealTimers());
  const r = {
    agentId: 'a1',
    protocol: 'tcp',
    address: '203.0.113.7',
    port: 443,
    host: null,
    mode: 'none',
    rule: 'not_allowed',
  } as const;

  it('the first at once, repeats in the window as one event with their count', () => {
    vi.useFakeTimers();
    const got: number[] = [];
    const f = new RefusalFolder(
      (e) => got.push(e.payload.count),
      () => undefined,
    );
    for (let i = 0; i < 5; i++) f.add(r);
    expect(got).toEqual([1]);
    vi.advanceTimersByTime(FOLD_WINDOW_MS);
    expect(got).toEqual([1, 4]);
  });

  it('at most EVENTS_PER_MINUTE events per agent a minute; the rest is reported as dropped', () => {
    let now = 0;
    let recorded = 0;
    let dropped = 0;
    const f = new RefusalFolder(
      () => recorded++,
      (_a, n) => (dropped += n),
      () => now,
    );
    for (let port = 1; port <= EVENTS_PER_MINUTE + 25; port++) f.add({ ...r, port });
    expect(recorded).toBe(EVENTS_PER_MINUTE);
    now = 60_000;
    f.add({ ...r, port: 9999 });
    expect(dropped).toBe(25);
    expect(recorded).toBe(EVENTS_PER_MINUTE + 1);
    f.close();
  });
});

describe('addresses', () => {
  const net: EgressNetwork = {
    kind: 'bridge',
    bridge: 'br',
    subnet: '10.9.0.0/24',
    gateway: '10.9.0.1',
    pool: { first: '10.9.0.128', last: '10.9.0.254' },
    protectedRanges: [],
  };

  it('keeps the previous address when free, moves when another container holds it', () => {
    expect(pickAddress('a1', '10.9.0.200', net, new Map(), new Set(['a1']))).toBe('10.9.0.200');
    expect(
      pickAddress('a1', '10.9.0.200', net, new Map([['10.9.0.200', 'c-a1']]), new Set(['a1', 'c-a1'])),
    ).toBe('10.9.0.200');
    const moved = pickAddress('a1', '10.9.0.200', net, new Map([['10.9.0.200', 'someone']]), new Set(['a1']));
    expect(moved).not.toBe('10.9.0.200');
    expect(moved).toMatch(/^10\.9\.0\.(1[2-9]\d|2[0-4]\d|25[0-4])$/);
  });

  it('stays in the pool, is stable per agent, and says when the pool is full', () => {
    expect(pickAddress('a1', null, net, new Map(), new Set())).toBe(
      pickAddress('a1', null, net, new Map(), new Set()),
    );
    expect(pickAddress('a1', '10.9.0.5', net, new Map(), new Set())).not.toBe('10.9.0.5');
    const full = new Map<string, string>();
    for (let i = 128; i <= 254; i++) full.set(`10.9.0.${i}`, `c${i}`);
    expect(() => pickAddress('a1', null, net, full, new Set())).toThrow(/no free address/);
    const routed: EgressNetwork = { kind: 'routed', pool: '10.214.0.0/16', protectedRanges: [] };
    expect(pickAddress('a2', null, routed, new Map(), new Set())).toMatch(/^10\.214\.\d+\.\d+$/);
  });
});
