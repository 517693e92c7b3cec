// Mapping of ContainerSpec to Incus config/devices and back; command quoting checked with the real /bin/sh.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../container-runtime';
import {
  isolatedNicsOf,
  forwardsOf,
  incusImageAlias,
  instanceBody,
  parseCpus,
  parseMemoryMiB,
  shellQuote,
  stateOf,
  toContainerInfo,
  validateSpec,
} from './incus-config';

const spec: ContainerSpec = {
  name: 'agentdesk-demo',
  image: 'agentdesk/agent-base:1',
  env: { OPENAI_BASE_URL: 'http://127.0.0.1:4000/v1' },
  labels: { 'agentdesk.agent_id': 'a1', 'agentdesk.managed': '0' },
  mounts: [
    { hostPath: '/data/agents/a1/home', containerPath: '/home/agent', readOnly: false },
    { hostPath: '/opt/agentdesk/runtime', containerPath: '/opt/agentdesk', readOnly: true },
  ],
  memoryMiB: 512,
  cpus: 0.5,
  ports: [],
  hostServicePort: 43210,
  command: ['node', '/opt/agentdesk/runtime.js', "it's here"],
};

describe('incus config', () => {
  it('turns a spec into limits, env, labels, shifted writable mounts and a gateway proxy on 127.0.0.1', () => {
    const body = instanceBody(spec, [{ containerPort: 8100, hostPort: 45000 }]);
    expect(body).toMatchObject({
      name: 'agentdesk-demo',
      type: 'container',
      source: { type: 'image', alias: 'agentdesk/agent-base:1' },
      config: {
        'limits.memory': '512MiB',
        'limits.cpu': '1',
        'environment.OPENAI_BASE_URL': 'http://127.0.0.1:4000/v1',
        'user.agentdesk.agent_id': 'a1',
        'user.agentdesk.managed': '1',
      },
      devices: {
        'mount-0': {
          type: 'disk',
          source: '/data/agents/a1/home',
          path: '/home/agent',
          readonly: 'false',
          shift: 'true',
        },
        'mount-1': { type: 'disk', readonly: 'true' },
        'agentdesk-gateway': {
          listen: 'tcp:127.0.0.1:4000',
          connect: 'tcp:127.0.0.1:43210',
          bind: 'instance',
        },
        'agentdesk-port-8100': { listen: 'tcp:127.0.0.1:45000', connect: 'tcp:127.0.0.1:8100', bind: 'host' },
      },
    });
    const devices = body.devices as Record<string, Record<string, string>>;
    expect(devices['mount-1']).not.toHaveProperty('shift');
  });

  it('quotes the command so that sh -c gives back the same arguments', () => {
    const args = ['node', "it's", 'a b', '$HOME', '"q"', 'back\\slash', ''];
    const quoted = (instanceBody(spec, []).config as Record<string, string>)['environment.AGENTDESK_COMMAND'];
    expect(quoted).toBe(`node /opt/agentdesk/runtime.js 'it'\\''s here'`);
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\n' ${shellQuote(args)}`], { encoding: 'utf8' });
    expect(out).toBe(args.map((a) => `${a}\n`).join(''));
  });

  it('reads limits, forwards and state back from an instance', () => {
    const info = toContainerInfo({
      name: 'agentdesk-demo',
      type: 'container',
      status: 'Running',
      last_used_at: '2026-01-02T03:04:05.123456789Z',
      config: { 'user.agentdesk.agent_id': 'a1', 'image.agentdesk.ref': 'agentdesk/agent-base:1' },
      expanded_config: {
        'limits.memory': '1GiB',
        'limits.cpu': '0-1,3',
        'image.agentdesk.ref': 'agentdesk/agent-base:1',
      },
      devices: {},
      expanded_devices: {
        gw: { type: 'proxy', bind: 'instance', listen: 'tcp:127.0.0.1:4000', connect: 'tcp:127.0.0.1:1' },
        p: { type: 'proxy', bind: 'host', listen: 'tcp:127.0.0.1:45000', connect: 'tcp:127.0.0.1:8100' },
      },
    });
    expect(info).toMatchObject({
      image: 'agentdesk/agent-base:1',
      state: 'running',
      labels: { 'agentdesk.agent_id': 'a1' },
      ports: [{ containerPort: 8100, hostPort: 45000 }],
      memoryMiB: 1024,
      cpus: 3,
      startedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 123),
    });
    expect(stateOf('Stopped', true)).toBe('created');
    expect(stateOf('Stopped')).toBe('stopped');
    expect(stateOf('Frozen')).toBe('paused');
    expect(parseMemoryMiB('512MB')).toBe(488);
    expect(parseMemoryMiB('50%')).toBeNull();
    expect(parseCpus(undefined)).toBeNull();
    expect(forwardsOf({ x: { type: 'disk' } })).toEqual([]);
  });

  it('names what is wrong in a bad spec', () => {
    expect(() => validateSpec({ ...spec, name: '-bad' })).toThrow(/"-bad" is not valid.*a-z/);
    expect(() => validateSpec({ ...spec, memoryMiB: 0 })).toThrow(/memoryMiB 0/);
    expect(() => validateSpec({ ...spec, cpus: -1 })).toThrow(/cpus -1/);
    expect(() => validateSpec({ ...spec, env: { 'BAD-KEY': '1' } })).toThrow(/BAD-KEY/);
    expect(() =>
      validateSpec({ ...spec, mounts: [{ hostPath: 'rel', containerPath: '/x', readOnly: true }] }),
    ).toThrow(/absolute/);
    expect(() => validateSpec({ ...spec, ports: [{ containerPort: 8100, hostPort: 70000 }] })).toThrow(
      /hostPort 70000/,
    );
    expect(() => incusImageAlias('has space')).toThrow(/not valid/);
    expect(() => validateSpec(spec)).not.toThrow();
  });

  it("port-isolates the profile's bridged NICs and leaves other devices to the profile", () => {
    expect(
      isolatedNicsOf({
        eth0: { type: 'nic', nictype: 'bridged', parent: 'incusbr0', name: 'eth0' },
        eth1: { type: 'nic', network: 'agentnet', name: 'eth1' },
        mac: { type: 'nic', nictype: 'macvlan', parent: 'enp1s0' },
        root: { type: 'disk', path: '/', pool: 'default' },
      }),
    ).toEqual({
      eth0: {
        type: 'nic',
        nictype: 'bridged',
        parent: 'incusbr0',
        name: 'eth0',
        'security.port_isolation': 'true',
      },
      eth1: { type: 'nic', network: 'agentnet', name: 'eth1', 'security.port_isolation': 'true' },
    });
  });
});

describe('Incus containment (docs/decisions/010-agent-containment.md)', () => {
  it('sets the pids limit, no nesting, the agent ids for the init, the seccomp deny lines and a unix socket proxy', () => {
    const body = instanceBody(
      {
        name: 'agentdesk-a',
        image: 'agentdesk/agent-base:2',
        env: {},
        labels: {},
        mounts: [
          { hostPath: '/d/config', containerPath: '/opt/agentdesk/config', readOnly: true, idmapped: true },
        ],
        memoryMiB: 256,
        cpus: 1,
        ports: [],
        command: [],
        security: { uid: 64000, gid: 64000, pidsLimit: 300, tmpfs: {} },
        reach: { containerPort: 8100, socketPath: '/d/run/a.sock' },
      },
      [],
      {},
      { uid: 1000, gid: 1000 },
    ) as { config: Record<string, string>; devices: Record<string, Record<string, string>> };
    expect(body.config).toMatchObject({
      'limits.processes': '300',
      'security.nesting': 'false',
      'security.privileged': 'false',
      'environment.AGENTDESK_UID': '64000',
      'environment.AGENTDESK_GID': '64000',
      'raw.lxc': 'lxc.cap.keep = setuid setgid setpcap kill',
    });
    expect(body.config['security.syscalls.deny']).toContain('chmod errno 1 [1,2048,SCMP_CMP_MASKED_EQ,2048]');
    expect(body.config['security.syscalls.deny']).toContain('unshare errno 1');
    expect(body.devices['mount-0']).toMatchObject({ readonly: 'true', shift: 'true' });
    expect(body.devices['agentdesk-runtime']).toEqual({
      type: 'proxy',
      listen: 'unix:/d/run/a.sock',
      connect: 'tcp:127.0.0.1:8100',
      bind: 'host',
      mode: '0600',
      uid: '1000',
      gid: '1000',
    });
  });
});
