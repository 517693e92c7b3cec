// A remote engine's agent gets the gateway over TLS with the certificate it pins, and its runtime on loopback; a local one keeps plain HTTP on the bridge.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRow, stubDeployer } from '../../../test/agents';
import { makeGatewayTlsIdentity } from '../llm/gateway/tls-identity';
import type { ContainerRuntime, HostServiceAddress } from '../runtimes/container-runtime';
import { agentFolder } from './agent-folder';
import type { Deployer } from './deployer';
import { GATEWAY_CA_FILE } from './deployer';

const KEY = `sk-agentdesk-${'r'.repeat(40)}`;
let dir: string;
let caPem: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-remote-env-'));
  caPem = (await makeGatewayTlsIdentity()).certPem;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function deployer(address: HostServiceAddress): Deployer {
  const rt = {
    kind: 'docker',
    hostServiceAddress: () => Promise.resolve(address),
  } as unknown as ContainerRuntime;
  return stubDeployer(dir, rt, { key: KEY });
}

function env(id: string): Record<string, string> {
  const text = fs.readFileSync(agentFolder(dir, id).envFile, 'utf8');
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => {
        const m = /^([A-Z_0-9]+)='(.*)'$/.exec(l)!;
        return [m[1]!, m[2]!];
      }),
  );
}

describe('the env of an agent on a remote engine', () => {
  it('names https://agentdesk-gateway:<port>/v1, writes the certificate it pins, and keeps the runtime on loopback', async () => {
    const id = 'remote-env-a';
    await deployer({ host: 'agentdesk-gateway', port: 4443, caPem }).writeEnv(agentRow(id), KEY);
    const e = env(id);
    expect(e.OPENAI_BASE_URL).toBe('https://agentdesk-gateway:4443/v1');
    expect(e.NODE_EXTRA_CA_CERTS).toBe(`/opt/agentdesk/config/${GATEWAY_CA_FILE}`);
    expect(e.SSL_CERT_FILE).toBe(`/opt/agentdesk/config/${GATEWAY_CA_FILE}`);
    expect(e.AGENTDESK_HOST).toBe('127.0.0.1');
    const ca = path.join(agentFolder(dir, id).config, GATEWAY_CA_FILE);
    expect(fs.readFileSync(ca, 'utf8')).toBe(caPem);
    expect(fs.statSync(ca).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(ca, 'utf8')).not.toContain('PRIVATE KEY');
  });

  it('on this machine stays plain HTTP on the bridge address, with no CA file or loopback override', async () => {
    const id = 'remote-env-b';
    await deployer({ host: '172.30.0.1', port: 4100 }).writeEnv(agentRow(id), KEY);
    const e = env(id);
    expect(e.OPENAI_BASE_URL).toBe('http://172.30.0.1:4100/v1');
    expect(e.NODE_EXTRA_CA_CERTS).toBeUndefined();
    expect(e.SSL_CERT_FILE).toBeUndefined();
    expect(e.AGENTDESK_HOST).toBeUndefined();
    expect(fs.existsSync(path.join(agentFolder(dir, id).config, GATEWAY_CA_FILE))).toBe(false);
  });
});
