// Test helpers for named engines: throwaway TLS PEMs made with openssl, and a runtime whose engine is a TCP port.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type {
  ContainerInfo,
  ContainerRuntime,
  RuntimeKind,
} from '../main/services/runtimes/container-runtime';
import { RuntimeUnavailableError } from '../main/services/runtimes/container-runtime';
import { opensslCertificate } from './test-certificates';

/** A CA, a client certificate it signed and the client's key, as PEM texts (openssl, ECDSA P-256, 1 day). */
export interface TestPems {
  caPem: string;
  certPem: string;
  keyPem: string;
}

let cached: TestPems | null = null;

/** Makes (once per process) a CA and a client certificate signed by it, with openssl ({@link opensslCertificate}). */
export function testPems(): TestPems {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-pems-'));
  try {
    opensslCertificate(dir, 'ca', '/CN=test-ca', null, '', 1);
    opensslCertificate(dir, 'client', '/CN=client', 'ca', 'extendedKeyUsage=clientAuth', 1);
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    cached = { caPem: read('ca.pem'), certPem: read('client.pem'), keyPem: read('client.key') };
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A TCP port on 127.0.0.1 where nothing listens (taken from the kernel, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A stand-in runtime of a named engine whose "engine" is a TCP port on 127.0.0.1: `ping` connects to
 * it (refused → RuntimeUnavailableError), `list` answers `containers()` while the port accepts, and the
 * event stream never connects. Every other call fails, saying it is a stand-in.
 */
export function tcpEngineRuntime(
  kind: RuntimeKind,
  port: number,
  containers: () => ContainerInfo[] = () => [],
): ContainerRuntime {
  const ping = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', (err) =>
        reject(
          new RuntimeUnavailableError(kind, `127.0.0.1:${port}: ${err.message}`, 'start the test engine'),
        ),
      );
    });
  const base: Partial<ContainerRuntime> = {
    kind,
    ping,
    list: async () => {
      await ping();
      return containers();
    },
    endpoint: () => Promise.resolve(null),
    prepareNetwork: () => Promise.resolve({ gatewayBind: null }),
    events: () => () => undefined,
    close: () => Promise.resolve(),
    // No egress proxy on the stand-in engine (its agents' policies have nowhere to go).
    applyRemoteEgress: undefined,
    followRemoteEgress: undefined,
  };
  return new Proxy(base as ContainerRuntime, {
    get(target, prop, receiver) {
      if (prop in target) return Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      return () => Promise.reject(new Error(`${String(prop)}: not available on the stand-in engine`));
    },
  });
}
