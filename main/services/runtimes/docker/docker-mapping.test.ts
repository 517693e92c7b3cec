// Pure parts of the Docker driver: event and state mapping, input checks, gateway fallback, stream demux.
import { describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import type Dockerode from 'dockerode';
import { LABELS } from '../container-runtime';
import type { ContainerSpec } from '../container-runtime';
import { toRuntimeEvent } from './docker-events';
import { demuxBufferLines } from './docker-logs';
import type { DemuxModem } from './docker-logs';
import { mapState, parseImageRef, toCreateOptions, validateSpec } from './docker-mapping';
import { ipv4Gateway } from './docker-network';
import { endpointOf, hostRoutesTo } from './docker-reach';

const spec: ContainerSpec = {
  name: 'agentdesk-a',
  image: 'agentdesk/agent-base:1',
  env: { A: '1' },
  labels: { [LABELS.agentId]: 'a' },
  mounts: [{ hostPath: '/data/a/home', containerPath: '/home/agent', readOnly: false }],
  memoryMiB: 512,
  cpus: 1.5,
  ports: [{ containerPort: 8100, hostPort: 0 }],
  command: [],
};

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('Docker events → RuntimeEvent', () => {
  const base = { Type: 'container', time: 1_700_000_000, timeNano: 1_700_000_000_123_000_000 };
  const attrs = { name: 'agentdesk-a', image: 'img', [LABELS.agentId]: 'a' };

  it('die carries the exit code and the labels, without engine attributes', () => {
    const e = toRuntimeEvent({
      ...base,
      Action: 'die',
      Actor: { Attributes: { ...attrs, exitCode: '137' } },
    });
    expect(e).toEqual({
      kind: 'docker',
      action: 'stop',
      name: 'agentdesk-a',
      labels: { [LABELS.agentId]: 'a' },
      at: 1_700_000_000_123,
      exitCode: 137,
    });
  });

  it('destroy is remove; a kill the process may survive is dropped, SIGKILL is a stop', () => {
    expect(toRuntimeEvent({ ...base, Action: 'destroy', Actor: { Attributes: attrs } })?.action).toBe(
      'remove',
    );
    expect(
      toRuntimeEvent({ ...base, Action: 'kill', Actor: { Attributes: { ...attrs, signal: '15' } } }),
    ).toBeNull();
    expect(
      toRuntimeEvent({ ...base, Action: 'kill', Actor: { Attributes: { ...attrs, signal: '9' } } })?.action,
    ).toBe('stop');
    expect(toRuntimeEvent({ ...base, Action: 'exec_start: ls', Actor: { Attributes: attrs } })).toBeNull();
    expect(toRuntimeEvent({ ...base, Type: 'network', Action: 'connect' })).toBeNull();
  });
});

describe('Docker mapping', () => {
  it('maps engine states to the app states', () => {
    expect(['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'what'].map(mapState)).toEqual([
      'created',
      'running',
      'paused',
      'restarting',
      'stopped',
      'stopped',
      'unknown',
    ]);
  });

  it('parses image references; a registry port is not a tag', () => {
    expect(parseImageRef('agentdesk/agent-base:1')).toEqual({ repo: 'agentdesk/agent-base', tag: '1' });
    expect(parseImageRef('localhost:5000/x')).toEqual({ repo: 'localhost:5000/x', tag: 'latest' });
    expect(() => parseImageRef('Agent Base')).toThrow(/name\[:tag\]/);
  });

  it('builds a create body: 127.0.0.1-only ports, MiB → bytes, CPUs → NanoCpus, managed label', () => {
    const o = toCreateOptions(spec, 'agentdesk') as Dockerode.ContainerCreateOptions & {
      HostConfig: Dockerode.HostConfig & { PortBindings: Dockerode.PortMap };
    };
    expect(o.HostConfig.PortBindings).toEqual({ '8100/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(o.HostConfig).toMatchObject({
      Memory: 512 * 1024 * 1024,
      NanoCpus: 1.5e9,
      NetworkMode: 'agentdesk',
    });
    expect(o.Labels).toEqual({ [LABELS.agentId]: 'a', [LABELS.managed]: '1' });
    expect(o.Cmd).toBeUndefined(); // empty command: the image's entrypoint runs the built-in runtime
    expect(o.Entrypoint).toBeUndefined();
  });

  it('refuses bad specs naming the field and what is valid', () => {
    expect(() => validateSpec({ ...spec, name: 'Agent_A' })).toThrow(/a-z, 0-9 and "-"/);
    expect(() => validateSpec({ ...spec, cpus: 0 })).toThrow(/cpus 0 is not valid/);
    expect(() => validateSpec({ ...spec, env: { 'A=B': 'x' } })).toThrow(/no "="/);
    expect(() => validateSpec({ ...spec, ports: [{ containerPort: 0, hostPort: 0 }] })).toThrow(/1–65535/);
  });

  it('takes the gateway from IPAM, else the first address of the subnet', () => {
    const net = (Config: object[]) =>
      ({ IPAM: { Driver: 'default', Config } }) as Dockerode.NetworkInspectInfo;
    expect(ipv4Gateway(net([{ Subnet: 'fd00::/64', Gateway: 'fd00::1' }, { Gateway: '10.1.2.1' }]))).toBe(
      '10.1.2.1',
    );
    expect(ipv4Gateway(net([{ Subnet: '10.213.7.0/24' }]))).toBe('10.213.7.1');
    expect(ipv4Gateway(net([]))).toBeNull();
  });
});

describe('log demux', () => {
  const modem = new Docker({ socketPath: '/nonexistent' }).modem as DemuxModem;

  it('splits multiplexed frames into lines, a line split across frames stays whole', async () => {
    const body = Buffer.concat([frame(1, 'one\ntw'), frame(2, 'err line\n'), frame(1, 'o\n\nthree')]);
    expect(await demuxBufferLines(modem, body)).toEqual(['one', 'err line', 'two', 'three']);
  });

  it('passes a TTY (not multiplexed) body through', async () => {
    expect(await demuxBufferLines(modem, Buffer.from('plain\r\nlines\n'))).toEqual(['plain', 'lines']);
  });
});

describe('Docker containment (docs/decisions/010-agent-containment.md)', () => {
  const contained: ContainerSpec = {
    ...spec,
    ports: [],
    security: { uid: 64000, gid: 64000, pidsLimit: 300, tmpfs: { '/tmp': 256 } },
    reach: { containerPort: 8100, socketPath: '' },
  };

  it('runs as the agent user with no capabilities, no new privileges, seccomp, a pids limit and a read-only root', () => {
    const o = toCreateOptions(contained, 'agentdesk', { publishReach: false, seccomp: true });
    expect(o.User).toBe('64000:64000');
    expect(o.HostConfig).toMatchObject({
      CapDrop: ['ALL'],
      PidsLimit: 300,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=256m,mode=1777' },
    });
    const opts = (o.HostConfig as { SecurityOpt: string[] }).SecurityOpt;
    expect(opts[0]).toBe('no-new-privileges:true');
    const profile = JSON.parse(opts[1]!.replace(/^seccomp=/, '')) as {
      defaultAction: string;
      syscalls: { names: string[]; action: string; args?: { index: number; value: number }[] }[];
    };
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    const allowed = profile.syscalls[0]!.names;
    for (const call of ['chmod', 'fchmodat', 'open', 'openat', 'unshare', 'mount', 'keyctl', 'fchmodat2'])
      expect(allowed).not.toContain(call);
    expect(allowed).toContain('read');
    const chmod = profile.syscalls.find((r) => r.names.includes('chmod'))!;
    expect(chmod.args).toEqual([{ index: 1, value: 0o6000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  });

  it('publishes nothing when the host routes to the container, the runtime port on 127.0.0.1 otherwise', () => {
    const direct = toCreateOptions(contained, 'agentdesk', { publishReach: false, seccomp: true });
    expect(direct.HostConfig!.PortBindings).toEqual({});
    const fallback = toCreateOptions(contained, 'agentdesk', { publishReach: true, seccomp: false });
    expect(fallback.HostConfig!.PortBindings).toEqual({
      '8100/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    expect(fallback.HostConfig!.SecurityOpt).toEqual(['no-new-privileges:true']);
  });
});

describe('reaching the runtime port', () => {
  const trie =
    'Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 172.19.0.1\n        /32 host LOCAL\n     |-- 172.20.0.0\n        /16 link UNICAST\n';

  it('routes to a bridge whose gateway is a local address of the host, not to others', () => {
    expect(hostRoutesTo('172.19.0.1', trie)).toBe(true);
    expect(hostRoutesTo('172.20.0.1', trie)).toBe(false);
    expect(hostRoutesTo('172.19.0.1', '')).toBe(false);
  });

  it('prefers a published 127.0.0.1 port, else the container address on the network', () => {
    const base = { State: { Running: true } } as unknown as Dockerode.ContainerInspectInfo;
    const withIp = {
      ...base,
      NetworkSettings: { Ports: {}, Networks: { agentdesk: { IPAddress: '172.19.0.5' } } },
    } as unknown as Dockerode.ContainerInspectInfo;
    expect(endpointOf(withIp, 'agentdesk', 8100)).toEqual({ kind: 'tcp', host: '172.19.0.5', port: 8100 });
    const published = {
      ...withIp,
      NetworkSettings: {
        ...withIp.NetworkSettings,
        Ports: { '8100/tcp': [{ HostIp: '127.0.0.1', HostPort: '41000' }] },
      },
    } as unknown as Dockerode.ContainerInspectInfo;
    expect(endpointOf(published, 'agentdesk', 8100)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 41000 });
    expect(
      endpointOf(
        { State: { Running: false } } as unknown as Dockerode.ContainerInspectInfo,
        'agentdesk',
        8100,
      ),
    ).toBeNull();
  });
});
