// Picks an agent's fixed address on its engine's network: stable per agent, never one another container holds.
import crypto from 'node:crypto';
import type { EgressNetwork } from '../runtimes/container-runtime';

function toInt(a: string): number {
  return a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** The first and last usable address of the network's pool (routed pools: without network and broadcast). */
export function poolBounds(network: EgressNetwork): { first: number; last: number } {
  if (network.kind === 'bridge') return { first: toInt(network.pool.first), last: toInt(network.pool.last) };
  const [base, bits] = network.pool.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = toInt(base!);
  return { first: start + 1, last: start + size - 2 };
}

/**
 * The agent's address: the one it had when that is still in the pool and held by nobody else, else the
 * first free one from a start point derived from the agent id (so two cores sharing a network rarely
 * try the same address at once).
 * @param held addresses held now: address → who holds it (a container name, or an agent id of this core).
 * @param own names that are the agent itself (its container, its id).
 * @throws Error when the pool is full.
 */
export function pickAddress(
  agentId: string,
  previous: string | null,
  network: EgressNetwork,
  held: Map<string, string>,
  own: Set<string>,
): string {
  const { first, last } = poolBounds(network);
  const free = (n: number) => {
    const holder = held.get(toDotted(n));
    return holder === undefined || own.has(holder);
  };
  if (previous) {
    const n = toInt(previous);
    if (n >= first && n <= last && free(n)) return previous;
  }
  const size = last - first + 1;
  const start = crypto.createHash('sha256').update(agentId).digest().readUInt32BE(0) % size;
  for (let i = 0; i < size; i++) {
    const n = first + ((start + i) % size);
    if (free(n)) return toDotted(n);
  }
  throw new Error(`no free address left for agents in ${toDotted(first)}–${toDotted(last)}`);
}
