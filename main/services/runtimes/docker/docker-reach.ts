// How the core reaches a Docker container's runtime port: its bridge address when the host routes there, else a 127.0.0.1 publish.
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import type { RuntimeEndpoint } from '../container-runtime';

/**
 * Whether `address` (a bridge's gateway address) is a local address of this host's network namespace,
 * so the host routes to the containers behind it (Docker Engine on Linux). Read from the kernel's
 * `/proc/net/fib_trie` (its `/32 host LOCAL` entries), which lists a bridge's address even while no
 * container is attached (`os.networkInterfaces()` skips such a down bridge). Docker Desktop (macOS,
 * Windows, and Linux with its VM), rootless Docker (its own network namespace) and hosts without
 * `/proc` answer false.
 */
export function hostRoutesTo(address: string, trie = readTrie()): boolean {
  const lines = trie.split('\n');
  return lines.some((l, i) => l.trim() === `|-- ${address}` && /\/32 host LOCAL/.test(lines[i + 1] ?? ''));
}

function readTrie(): string {
  try {
    return fs.readFileSync('/proc/net/fib_trie', 'utf8');
  } catch {
    return '';
  }
}

/**
 * The endpoint of `containerPort` of a running container: its published 127.0.0.1 port when there is
 * one (the fallback, and containers of earlier versions), else its address on `networkName` and the
 * port itself; null when it is not running or has no address yet.
 */
export function endpointOf(
  info: Dockerode.ContainerInspectInfo,
  networkName: string,
  containerPort: number,
): RuntimeEndpoint | null {
  if (!info.State?.Running) return null;
  const published = info.NetworkSettings?.Ports?.[`${containerPort}/tcp`]?.find(
    (b) => b.HostIp === '127.0.0.1',
  );
  if (published?.HostPort) return { kind: 'tcp', host: '127.0.0.1', port: Number(published.HostPort) };
  const address = info.NetworkSettings?.Networks?.[networkName]?.IPAddress;
  return address ? { kind: 'tcp', host: address, port: containerPort } : null;
}
