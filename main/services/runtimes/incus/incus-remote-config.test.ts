// The instance body of an agent on a remote Incus: loopback-only NIC, the gateway proxy device, volumes for writable mounts, refusals.
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../container-runtime';
import {
  LOOPBACK_NIC,
  REMOTE_SYSCTLS,
  remoteHosts,
  remoteInstanceBody,
  remoteVolumeName,
} from './incus-remote-config';

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'agentdesk-a',
  image: 'agentdesk/agent-base:2',
  env: {},
  labels: { 'agentdesk.agent_id': 'a' },
  mounts: [
    { hostPath: '/data/agents/a/home', containerPath: '/home/agent', readOnly: false },
    { hostPath: '/data/agents/a/config', containerPath: '/etc/agentdesk', readOnly: true, idmapped: true },
  ],
  memoryMiB: 512,
  cpus: 1,
  ports: [],
  hostServicePort: 4100,
  command: [],
  reach: { containerPort: 8100, socketPath: '/data/run/a.sock' },
  ...over,
});
const gateway = { connectHost: '10.0.0.5', connectPort: 4443 };
const profile = {
  eth0: { type: 'nic', network: 'incusbr0' },
  root: { type: 'disk', path: '/', pool: 'default' },
};

describe('remoteInstanceBody', () => {
  it('removes the profile NICs, adds the loopback-only NIC and turns IPv6 off', () => {
    const body = remoteInstanceBody(spec(), profile, gateway, 'default') as {
      config: Record<string, string>;
      devices: Record<string, Record<string, string>>;
    };
    expect(body.devices.eth0).toEqual({ type: 'none' });
    expect(body.devices[LOOPBACK_NIC]).toEqual({ type: 'nic', nictype: 'p2p', name: 'lo0' });
    expect(body.config).toMatchObject(REMOTE_SYSCTLS);
    expect(Object.values(body.devices).filter((d) => d.type === 'nic')).toHaveLength(1);
  });

  it('the gateway is one proxy device bind=container to the core TLS listener; no unix socket device', () => {
    const body = remoteInstanceBody(spec(), profile, gateway, 'default') as {
      devices: Record<string, Record<string, string>>;
    };
    expect(body.devices['agentdesk-gateway']).toEqual({
      type: 'proxy',
      listen: 'tcp:127.0.0.1:4000',
      connect: 'tcp:10.0.0.5:4443',
      bind: 'container',
    });
    expect(body.devices['agentdesk-runtime']).toBeUndefined();
    expect(Object.values(body.devices).filter((d) => d.type === 'proxy')).toHaveLength(1);
  });

  it('a writable mount is a custom volume named after the host path; a read-only one is no device', () => {
    const body = remoteInstanceBody(spec(), profile, gateway, 'pool1') as {
      devices: Record<string, Record<string, string>>;
    };
    expect(body.devices['mount-0']).toEqual({
      type: 'disk',
      pool: 'pool1',
      source: remoteVolumeName('a', { hostPath: '/elsewhere', containerPath: '/home/agent' }),
      path: '/home/agent',
    });
    expect(body.devices['mount-1']).toBeUndefined();
    expect(Object.values(body.devices).some((d) => d.source?.startsWith('/'))).toBe(false);
    expect(remoteVolumeName(undefined, { hostPath: '/x', containerPath: '/y' })).toMatch(
      /^agentdesk-[0-9a-f]{12}$/,
    );
    expect(remoteVolumeName('a', { hostPath: '/x', containerPath: '/y' })).not.toBe(
      remoteVolumeName('b', { hostPath: '/x', containerPath: '/y' }),
    );
  });

  it('refuses egress allow-lists, port forwards and a gateway port without a gateway address', () => {
    const egress = { hostAddress: '10.1.1.1' } as unknown as ContainerSpec['egress'];
    expect(() => remoteInstanceBody(spec({ egress }), profile, gateway, null)).toThrow(/Egress/);
    expect(() =>
      remoteInstanceBody(spec({ ports: [{ containerPort: 8100, hostPort: 0 }] }), profile, gateway, null),
    ).toThrow(/Port forwards/);
    expect(() => remoteInstanceBody(spec(), profile, null, null)).toThrow(/No gateway address/);
  });

  it('/etc/hosts names the gateway on loopback', () => {
    expect(remoteHosts()).toContain('127.0.0.1 localhost agentdesk-gateway agentdesk-egress');
  });
});
