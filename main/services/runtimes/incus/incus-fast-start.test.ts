// Incus agents without proxy devices (routed access to the bridge address) and the choice of their storage pool.
import { describe, expect, it } from 'vitest';
import type { ContainerSpec, EgressNetwork } from '../container-runtime';
import { agentRulesInput } from '../../egress/egress-inputs';
import { agentChainsRestore, agentDispatch } from '../../egress/egress-rules';
import { GATEWAY_DEVICE, REACH_DEVICE, instanceBody, routedAddressOf } from './incus-config';
import {
  DNS_DEVICES,
  PROXY_DEVICES_ENV,
  bridgeHostAddress,
  egressDevices,
  incusEgressNetwork,
  resolvConf,
} from './incus-egress';
import { AGENT_POOL, POOL_ENV, PROFILE_POOL, choosePool } from './incus-storage';

const profile = {
  eth0: { type: 'nic', nictype: 'bridged', parent: 'incusbr0', name: 'eth0' },
  root: { type: 'disk', path: '/', pool: 'default' },
};
const networks: { name: string; managed: boolean; config: Record<string, string> }[] = [
  { name: 'eth0', managed: false, config: {} },
  { name: 'incusbr0', managed: true, config: { 'ipv4.address': '10.87.23.1/24' } },
];
const routedAttachment = {
  address: '10.214.0.7',
  hostInterface: 'adeg0123456789',
  dnsHostPort: 40053,
  hostAddress: '10.87.23.1',
};
const spec: ContainerSpec = {
  name: 'agentdesk-demo',
  image: 'agentdesk/agent-base:2',
  env: {},
  labels: {},
  mounts: [],
  memoryMiB: 512,
  cpus: 1,
  ports: [],
  hostServicePort: 43210,
  command: [],
  reach: { containerPort: 8100, socketPath: '/data/run/a1.sock' },
  egress: routedAttachment,
};

describe('routed access to host services (no proxy devices)', () => {
  it("the host address is the address of the default profile's managed bridge", () => {
    expect(bridgeHostAddress(networks, profile, {})).toBe('10.87.23.1');
    expect(bridgeHostAddress(networks, profile, { [PROXY_DEVICES_ENV]: '1' })).toBeNull();
    // An unmanaged bridge, one without IPv4, or no NIC at all: proxy devices.
    expect(bridgeHostAddress([{ name: 'incusbr0', managed: false }], profile, {})).toBeNull();
    expect(
      bridgeHostAddress(
        [{ name: 'incusbr0', managed: true, config: { 'ipv4.address': 'none' } }],
        profile,
        {},
      ),
    ).toBeNull();
    expect(bridgeHostAddress(networks, { root: profile.root }, {})).toBeNull();
    expect(
      bridgeHostAddress(networks, { eth0: { type: 'nic', network: 'incusbr0', name: 'eth0' } }, {}),
    ).toBe('10.87.23.1');
    const net = incusEgressNetwork(networks, {}, profile);
    expect(net).toMatchObject({ kind: 'routed', hostAddress: '10.87.23.1' });
    expect(net.protectedRanges).toContain('10.87.23.0/24');
  });

  it('a routed agent gets no gateway, runtime or DNS proxy device; its resolv.conf names the bridge address', () => {
    const nics = egressDevices(routedAttachment, profile);
    expect(Object.keys(nics).sort()).toEqual(['eth0']);
    expect(nics.eth0).toMatchObject({ nictype: 'routed', 'ipv4.address': '10.214.0.7' });
    const body = instanceBody(spec, [], nics) as { devices: Record<string, Record<string, string>> };
    expect(Object.values(body.devices).filter((d) => d.type === 'proxy')).toEqual([]);
    expect(resolvConf('10.87.23.1')).toMatch(/^nameserver 10\.87\.23\.1\n/);
    expect(
      routedAddressOf({ name: 'x', type: 'container', status: 'Running', config: {}, devices: nics }),
    ).toBe('10.214.0.7');
  });

  it('without a host address (or without egress) the proxy devices stay', () => {
    const proxied = { ...routedAttachment, hostAddress: undefined };
    const nics = egressDevices(proxied, profile);
    expect(nics[DNS_DEVICES.udp]).toMatchObject({ connect: 'udp:127.0.0.1:40053', bind: 'instance' });
    const body = instanceBody({ ...spec, egress: proxied }, [], nics) as {
      devices: Record<string, Record<string, string>>;
    };
    expect(body.devices[GATEWAY_DEVICE]).toMatchObject({ type: 'proxy', bind: 'instance' });
    expect(body.devices[REACH_DEVICE]).toMatchObject({ type: 'proxy', listen: 'unix:/data/run/a1.sock' });
    const plain = instanceBody({ ...spec, egress: undefined }, []) as {
      devices: Record<string, Record<string, string>>;
    };
    expect(plain.devices[GATEWAY_DEVICE]).toBeDefined();
  });

  it('rules: to the host only the gateway and its own resolver port on the bridge address; all its DNS redirected there', () => {
    const network: EgressNetwork = {
      kind: 'routed',
      pool: '10.214.0.0/16',
      protectedRanges: ['10.87.23.0/24'],
      hostAddress: '10.87.23.1',
    };
    const input = agentRulesInput({
      agentId: 'a1',
      instanceId: 'core1',
      address: '10.214.0.7',
      network,
      mode: 'none',
      destinations: [],
      gatewayPort: 4321,
      resolverPort: null,
      agentResolverPort: 40053,
      protectedRanges: ['10.87.23.0/24', '10.214.0.0/16'],
    });
    const chains = agentChainsRestore(input);
    const toHost = chains.split('\n').filter((l) => / -j ACCEPT$/.test(l) && l.includes('-I '));
    expect(toHost.filter((l) => !l.includes('conntrack'))).toEqual([
      `-A ADE-${input.tag}-I -d 10.87.23.1/32 -p tcp -m tcp --dport 4321 -j ACCEPT`,
      `-A ADE-${input.tag}-I -d 10.87.23.1/32 -p udp -m udp --dport 40053 -j ACCEPT`,
      `-A ADE-${input.tag}-I -d 10.87.23.1/32 -p tcp -m tcp --dport 40053 -j ACCEPT`,
    ]);
    const dnat = agentDispatch(input).filter((r) => r.table === 'nat');
    expect(dnat.map((r) => r.args.join(' '))).toEqual([
      expect.stringMatching(
        /^-i adeg\S+ -p udp -m udp --dport 53 .* -j DNAT --to-destination 10\.87\.23\.1:40053$/,
      ),
      expect.stringMatching(
        /^-i adeg\S+ -p tcp -m tcp --dport 53 .* -j DNAT --to-destination 10\.87\.23\.1:40053$/,
      ),
    ]);
    expect(() => agentRulesInput({ ...inputArgs(network), agentResolverPort: null })).toThrow(/resolver/);
    // Without a host address: nothing on the host, no redirect (proxy devices carry both).
    const proxied = agentRulesInput({ ...inputArgs({ ...network, hostAddress: null }) });
    expect(proxied.hostAllowed).toEqual([]);
    expect(proxied.dnsRedirect).toBeNull();
  });
});

function inputArgs(network: EgressNetwork) {
  return {
    agentId: 'a1',
    instanceId: 'core1',
    address: '10.214.0.7',
    network,
    mode: 'none' as const,
    destinations: [],
    gatewayPort: 4321,
    resolverPort: null,
    protectedRanges: [],
  };
}

describe('storage pool of agents', () => {
  const dir = [{ name: 'default', driver: 'dir' }];
  it('a copy-on-write pool: the one the app made, the profile’s when it is one, else a new btrfs pool', () => {
    expect(choosePool([...dir, { name: AGENT_POOL, driver: 'btrfs' }], 'default', [], {})).toMatchObject({
      use: AGENT_POOL,
      create: false,
    });
    expect(choosePool([{ name: 'default', driver: 'zfs' }], 'default', ['zfs'], {})).toMatchObject({
      use: null,
      create: false,
    });
    expect(choosePool(dir, 'default', ['dir', 'btrfs'], {})).toMatchObject({ use: AGENT_POOL, create: true });
  });

  it('no btrfs support and no copy-on-write pool: the profile’s dir pool, saying why', () => {
    const c = choosePool(dir, 'default', ['dir'], {});
    expect(c).toMatchObject({ use: null, create: false });
    expect(c.why).toMatch(/btrfs-progs/);
    // Incus lists the drivers it found at its start: btrfs-progs installed since still counts.
    expect(choosePool(dir, 'default', ['dir'], {}, true)).toMatchObject({ use: AGENT_POOL, create: true });
  });

  it('the environment decides first: a named pool (which must exist) or the profile’s', () => {
    expect(choosePool(dir, 'default', ['btrfs'], { [POOL_ENV]: PROFILE_POOL })).toMatchObject({
      use: null,
      create: false,
    });
    expect(choosePool(dir, 'default', ['btrfs'], { [POOL_ENV]: 'default' })).toMatchObject({
      use: 'default',
    });
    expect(() => choosePool(dir, 'default', [], { [POOL_ENV]: 'fast' })).toThrow(
      /names no Incus storage pool/,
    );
  });
});
