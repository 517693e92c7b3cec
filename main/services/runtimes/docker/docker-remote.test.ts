// Remote Docker without an engine: target labels, image sameness, and how transport failures are reported.
import { describe, expect, it } from 'vitest';
import { SshAuthError, SshDestinationError, SshHostKeyChangedError } from '../../../platform/ssh';
import { RuntimeOperationError, RuntimeUnavailableError } from '../container-runtime';
import { connectDockerTarget, SshDialAgent, targetLabel } from './docker-client';
import { toRuntimeError } from './docker-errors';
import { sameImage } from './docker-image-transfer';
import { DockerRuntime } from './docker-runtime';

const tls = {
  kind: 'docker' as const,
  transport: 'tls' as const,
  host: '10.0.0.5',
  port: 2376,
  caPem: 'ca',
  certPem: 'cert',
  keyPem: 'key',
};
const ssh = {
  kind: 'docker' as const,
  transport: 'ssh' as const,
  ssh: { user: 'deploy', host: 'box', port: 22 },
};

describe('engine targets', () => {
  it('are shown as ssh://user@host[:port] and tcp://host:port', () => {
    expect(targetLabel(ssh, {})).toBe('ssh://deploy@box');
    expect(targetLabel({ ...ssh, ssh: { ...ssh.ssh, port: 2222 } }, {})).toBe('ssh://deploy@box:2222');
    expect(targetLabel(tls, {})).toBe('tcp://10.0.0.5:2376');
    expect(targetLabel({ kind: 'docker', transport: 'local' }, { DOCKER_HOST: 'unix:///x.sock' })).toBe(
      '/x.sock',
    );
  });

  it('an ssh target needs ssh settings, and a destination that could inject options is refused at the first connection', () => {
    expect(() => connectDockerTarget(ssh, {}, null)).toThrow(RuntimeUnavailableError);
    const evil = { ...ssh, ssh: { user: 'u', host: '-oProxyCommand=touch /tmp/pwned', port: 22 } };
    expect(() => connectDockerTarget(evil, {}, { dataDir: '/tmp', configFile: null, env: {} })).toThrow(
      /Refusing SSH destination/,
    );
    // The agent checks again on every connection.
    const agent = new SshDialAgent({ dataDir: '/tmp', configFile: null, env: {} }, evil.ssh);
    expect(() => agent.createConnection()).toThrow(SshDestinationError);
    agent.destroy();
  });

  it('a remote runtime refuses what needs this machine before any I/O', async () => {
    const r = new DockerRuntime({ env: {}, target: tls });
    expect(r.remote).toBe(true);
    await expect(r.hostServiceAddress(4000)).rejects.toBeInstanceOf(RuntimeOperationError);
    await expect(r.egressNetwork()).rejects.toThrow(/this machine only/);
    await expect(
      r.attachEgress('agentdesk-x', { address: '10.0.0.9', dnsPath: '/x' } as never),
    ).rejects.toThrow(/this machine only/);
    expect(new DockerRuntime({ env: {} }).remote).toBe(false);
    await r.close();
  });
});

describe('sameImage', () => {
  const local = {
    id: 'sha256:a',
    labels: { 'agentdesk.harness.codex.recipe': 'h1', other: 'x' },
    sizeBytes: 1,
  };
  it('is the same id, or the same recipe labels', () => {
    expect(sameImage(local, null)).toBe(false);
    expect(sameImage(local, { id: 'sha256:a', labels: {}, sizeBytes: 1 })).toBe(true);
    expect(
      sameImage(local, { id: 'sha256:b', labels: { 'agentdesk.harness.codex.recipe': 'h1' }, sizeBytes: 1 }),
    ).toBe(true);
    expect(
      sameImage(local, { id: 'sha256:b', labels: { 'agentdesk.harness.codex.recipe': 'h2' }, sizeBytes: 1 }),
    ).toBe(false);
  });
  it('without recipe labels only the id counts', () => {
    const base = { id: 'sha256:a', labels: {}, sizeBytes: 1 };
    expect(sameImage(base, { id: 'sha256:b', labels: {}, sizeBytes: 1 })).toBe(false);
  });
});

describe('transport failures', () => {
  it('ssh failures become RuntimeUnavailableError with the hint, the ssh error kept as cause', () => {
    const changed = new SshHostKeyChangedError('deploy@box:22', 'SHA256:abc', '');
    const e = toRuntimeError(changed, 'ping', 'ssh://deploy@box');
    expect(e).toBeInstanceOf(RuntimeUnavailableError);
    expect(e.message).toContain('SHA256:abc');
    expect((e as Error & { cause?: unknown }).cause).toBe(changed);
    expect((e as RuntimeUnavailableError).fix).toBe(changed.hint);
    expect(toRuntimeError(new SshAuthError('deploy@box:22', ''), 'ping', 'ssh://deploy@box')).toBeInstanceOf(
      RuntimeUnavailableError,
    );
  });
  it('an untrusted engine certificate and a refused client certificate say which', () => {
    const wrongCa = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(toRuntimeError(wrongCa, 'ping', 'tcp://h:2376').message).toMatch(/not trusted/);
    const refused = Object.assign(new Error('alert'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(toRuntimeError(refused, 'ping', 'tcp://h:2376').message).toMatch(/client certificate/);
  });
});
