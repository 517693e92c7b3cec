// The remote egress proxy's decisions, from the attacker's side: a hostile agent asking for what its policy does not give it.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { inCidr } from '../../../../contract/egress';
import { egressTable } from './egress-proxy-table';
import type { EgressProxyModule, EgressTable } from './egress-proxy-table';

/** The very file shipped into the proxy container, required as a module (it then starts nothing). */
const egressProxy = createRequire(import.meta.url)('./egress-proxy.cjs') as EgressProxyModule;

const { parseHost, checkRequest, parseHead, decide, inRange, HEAD_MAX } = egressProxy;

const AGENT_NET = { name: 'agentdesk-remote', network: '172.30.0.0', prefix: 16 };

function table(
  agents: Record<string, { mode: 'none' | 'allowlist' | 'open'; allow: string[] }>,
): EgressTable {
  return egressTable({
    agentNetwork: AGENT_NET,
    networks: ['172.30.0.0/16', '172.31.0.0/16'],
    hosts: ['198.51.100.9'],
    agents: Object.entries(agents).map(([container, a]) => ({ container, agentId: `id-${container}`, ...a })),
  });
}

/** Sources: 172.30.0.5 is the container `alice`, 172.30.0.6 `bob`; the lookup answers per name. */
function io(answers: Record<string, string[]>) {
  const ptr: Record<string, string[]> = {
    '172.30.0.5': ['alice.agentdesk-remote'],
    '172.30.0.6': ['bob.agentdesk-remote'],
    '172.30.0.7': ['alice.other-network'],
  };
  return {
    reverse: (a: string) => (ptr[a] ? Promise.resolve(ptr[a]) : Promise.reject(new Error('ENOTFOUND'))),
    lookup: (n: string) =>
      answers[n] ? Promise.resolve(answers[n]) : Promise.reject(new Error('ENOTFOUND')),
  };
}

const world = io({
  'api.example.com': ['93.184.216.34'],
  'deep.api.example.com': ['93.184.216.35'],
  'evil-example.com': ['203.0.113.66'],
  'rebind.example.com': ['127.0.0.1'],
  'meta.example.com': ['169.254.169.254'],
  'lan.example.com': ['192.168.1.10'],
  'cgnat.example.com': ['100.64.0.9'],
  'neighbour.example.com': ['172.31.0.2'],
  'engine.example.com': ['198.51.100.9'],
  'mixed.example.com': ['10.0.0.1', '93.184.216.40'],
});

describe('egress proxy decisions', () => {
  const t = table({
    alice: { mode: 'allowlist', allow: ['api.example.com:443', '*.api.example.com', '192.168.1.10:8080'] },
    bob: { mode: 'none', allow: ['api.example.com'] },
  });

  it('allows a listed name on its port, connecting to the checked address', async () => {
    expect(await decide(t, '172.30.0.5', 'api.example.com', 443, world)).toMatchObject({
      ok: true,
      address: '93.184.216.34',
    });
    expect(await decide(t, '::ffff:172.30.0.5', 'deep.api.example.com', 22, world)).toMatchObject({
      ok: true,
    });
  });

  it('refuses everything for an agent in none mode, even names on its (kept) allowlist', async () => {
    expect(await decide(t, '172.30.0.6', 'api.example.com', 443, world)).toMatchObject({
      ok: false,
      rule: 'not_allowed',
      policy: { agent: 'id-bob', mode: 'none' },
    });
  });

  it('refuses an unknown source: not on the agents network, no PTR, or a PTR of another network', async () => {
    for (const source of ['10.9.9.9', '172.30.0.99', '172.30.0.7', '172.31.0.5'])
      expect(await decide(t, source, 'api.example.com', 443, world)).toMatchObject({
        ok: false,
        policy: null,
      });
  });

  it('refuses a name not on the list, and a listed name on another port', async () => {
    expect(await decide(t, '172.30.0.5', 'evil-example.com', 443, world)).toMatchObject({
      ok: false,
      rule: 'not_allowed',
    });
    expect(await decide(t, '172.30.0.5', 'api.example.com', 80, world)).toMatchObject({ ok: false });
  });

  it('keeps the wildcard boundary: *.api.example.com covers subdomains, not lookalikes or the domain', () => {
    const p = t.agents.alice!;
    expect(checkRequest(p, 'x.api.example.com', 9)).toMatchObject({ ok: true });
    expect(checkRequest(p, 'evil-api.example.com', 9)).toMatchObject({ ok: false });
    expect(checkRequest(p, 'api.example.com.evil.net', 443)).toMatchObject({ ok: false });
    expect(checkRequest(p, 'api.example.com', 9)).toMatchObject({ ok: false });
  });

  it('refuses allowed names that resolve to loopback, link-local, private, engine or agent-network addresses', async () => {
    const open = table({ alice: { mode: 'open', allow: [] } });
    const cases: [string, string][] = [
      ['rebind.example.com', 'agent_network'],
      ['meta.example.com', 'link_local'],
      ['lan.example.com', 'not_allowed'],
      ['cgnat.example.com', 'not_allowed'],
      ['neighbour.example.com', 'agent_network'],
      ['engine.example.com', 'host_service'],
    ];
    for (const [name, rule] of cases)
      expect(await decide(open, '172.30.0.5', name, 443, world), name).toMatchObject({ ok: false, rule });
    // a name entry covering a rebinding name does not open its private answer
    const named = table({ alice: { mode: 'allowlist', allow: ['*.example.com'] } });
    expect(await decide(named, '172.30.0.5', 'lan.example.com', 8080, world)).toMatchObject({ ok: false });
    // a mixed answer: the private address is skipped, the connection goes to the public one
    expect(await decide(open, '172.30.0.5', 'mixed.example.com', 443, world)).toMatchObject({
      ok: true,
      address: '93.184.216.40',
    });
  });

  it('opens a private address only through an entry naming it (address and port)', async () => {
    expect(await decide(t, '172.30.0.5', '192.168.1.10', 8080, world)).toMatchObject({ ok: true });
    expect(await decide(t, '172.30.0.5', '192.168.1.10', 22, world)).toMatchObject({ ok: false });
    expect(await decide(t, '172.30.0.5', '192.168.1.11', 8080, world)).toMatchObject({ ok: false });
  });

  it('refuses other spellings of addresses: decimal, octal, hex, IPv6, IPv4-mapped IPv6', async () => {
    const open = table({ alice: { mode: 'open', allow: [] } });
    for (const host of [
      '2130706433',
      '0177.0.0.1',
      '0x7f.1',
      '0x7f000001',
      '127.1',
      '[::1]',
      '::1',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '017700000001',
    ])
      expect(await decide(open, '172.30.0.5', host, 80, world), host).toMatchObject({ ok: false });
    expect(parseHost('API.Example.com.')).toEqual({ kind: 'name', host: 'api.example.com' });
    expect(parseHost('1.2.3.4.example')).toEqual({ kind: 'name', host: '1.2.3.4.example' });
    expect(parseHost('example.123')).toHaveProperty('error');
  });

  it('refuses literal never-allowed and own-network addresses in open mode', async () => {
    const open = table({ alice: { mode: 'open', allow: [] } });
    for (const [host, rule] of [
      ['127.0.0.1', 'agent_network'],
      ['0.0.0.0', 'agent_network'],
      ['169.254.169.254', 'link_local'],
      ['224.0.0.1', 'agent_network'],
      ['255.255.255.255', 'agent_network'],
      ['172.30.0.1', 'agent_network'],
      ['198.51.100.9', 'host_service'],
      ['10.1.2.3', 'not_allowed'],
    ] as const)
      expect(await decide(open, '172.30.0.5', host, 443, world), host).toMatchObject({ ok: false, rule });
    expect(await decide(open, '172.30.0.5', '93.184.216.34', 443, world)).toMatchObject({ ok: true });
  });

  it('parses CONNECT and absolute-form requests, and nothing else', () => {
    expect(parseHead('CONNECT api.example.com:443 HTTP/1.1\r\nHost: x')).toMatchObject({
      connect: true,
      host: 'api.example.com',
      port: 443,
    });
    const get = parseHead(
      'GET http://api.example.com/a?b=1 HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: x\r\nConnection: keep-alive',
    );
    expect(get).toMatchObject({ connect: false, host: 'api.example.com', port: 80 });
    expect((get as { rest: string }).rest).toBe(
      'GET /a?b=1 HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n',
    );
    expect(parseHead('GET http://2130706433/ HTTP/1.1')).toMatchObject({ host: '2130706433', port: 80 });
    expect(parseHead('GET http://user@127.0.0.1/ HTTP/1.1')).toHaveProperty('error');
    expect(parseHead('GET / HTTP/1.1\r\nHost: api.example.com')).toHaveProperty('error');
    expect(parseHead('CONNECT api.example.com HTTP/1.1')).toHaveProperty('error');
    expect(parseHead('GET https://api.example.com/ HTTP/1.1')).toHaveProperty('error');
    expect(HEAD_MAX).toBe(8192);
  });

  it('measures CIDRs exactly as contract/egress.ts inCidr does', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    const quad = () => [0, 0, 0, 0].map(() => rnd() % 256).join('.');
    for (let i = 0; i < 2000; i++) {
      const a = quad();
      const n = quad();
      const p = rnd() % 33;
      expect(inRange(a, n, p)).toBe(inCidr(a, n, p));
    }
  });
});

describe('per-agent ports (a remote Incus: the port the connection arrived on names the agent)', () => {
  const HOST = '10.99.0.1';
  const t = egressTable({
    agentNetwork: null,
    networks: ['10.99.0.0/24'],
    hosts: [],
    portSources: [HOST],
    agents: [
      {
        container: 'alice',
        agentId: 'id-alice',
        mode: 'allowlist',
        allow: ['api.example.com:443'],
        port: 4001,
      },
      { container: 'bob', agentId: 'id-bob', mode: 'none', allow: [], port: 4002 },
    ],
  });

  it("gives each port its own agent's policy", async () => {
    expect(await decide(t, HOST, 'api.example.com', 443, world, 4001)).toMatchObject({
      ok: true,
      policy: { agent: 'id-alice' },
    });
    expect(await decide(t, HOST, 'api.example.com', 443, world, 4002)).toMatchObject({
      ok: false,
      rule: 'not_allowed',
      policy: { agent: 'id-bob' },
    });
  });

  it('refuses a port that names no agent, and a source other than the engine host', async () => {
    for (const [source, port] of [
      [HOST, 4003],
      ['10.99.0.7', 4001], // another instance on the proxy's network dialling alice's port itself
      [`::ffff:10.99.0.7`, 4001],
    ] as const)
      expect(await decide(t, source, 'api.example.com', 443, world, port)).toMatchObject({
        ok: false,
        policy: null,
      });
  });

  it('does not let a port key reach an inherited property or the address path', async () => {
    const odd = { ...t, ports: { ...t.ports, '4005': '__proto__', '4006': 'toString' } };
    expect(await decide(odd, HOST, 'api.example.com', 443, world, 4005)).toMatchObject({ policy: null });
    expect(await decide(odd, HOST, 'api.example.com', 443, world, 4006)).toMatchObject({ policy: null });
    // the main port with no agents' network: nobody
    expect(await decide(t, HOST, 'api.example.com', 443, world)).toMatchObject({ policy: null });
  });

  it('listens only on ports 1024–65535 other than the main port', () => {
    const { agentPorts } = egressProxy as unknown as {
      agentPorts: (t: unknown, main: number) => number[];
    };
    expect(
      agentPorts({ ports: { '80': 'a', '3128': 'b', '4001': 'c', x: 'd', '70000': 'e' } }, 3128),
    ).toEqual([4001]);
    expect(() =>
      egressTable({
        agentNetwork: null,
        networks: [],
        hosts: [],
        agents: [{ container: 'a', agentId: 'a', mode: 'open', allow: [], port: 80 }],
      }),
    ).toThrow(/egress port 80 is not 1024–65535/);
  });
});
