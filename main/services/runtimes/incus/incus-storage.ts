// Where agent containers' root filesystems live: a copy-on-write storage pool when the host offers one, else the default profile's pool.
import fs from 'node:fs';
import type { IncusClient } from './incus-client';

/** Name of the pool the app creates for agents (btrfs on a loop file) when the host supports it. */
export const AGENT_POOL = 'agentdesk';
/**
 * Environment variable naming the pool agents' containers use (it must exist); `default-profile`
 * keeps the default profile's pool (on a `dir` pool every container is a full copy of its image).
 */
export const POOL_ENV = 'AGENTDESK_INCUS_POOL';
/** Value of {@link POOL_ENV} that keeps the default profile's pool. */
export const PROFILE_POOL = 'default-profile';
/** Storage drivers whose new containers are snapshots of the image's volume, not copies. */
export const COPY_ON_WRITE = new Set(['btrfs', 'zfs', 'lvm', 'ceph']);

/** A storage pool as `GET /1.0/storage-pools?recursion=1` lists it. */
export interface IncusPool {
  name: string;
  driver: string;
  status?: string;
}

/**
 * What {@link choosePool} decided: `use` a pool (null = the default profile's, no root device
 * override), or `create` {@link AGENT_POOL} with btrfs first. `why` says which rule applied (logged).
 */
export type PoolChoice = { use: string | null; create: boolean; why: string };

/**
 * The pool agents' containers get, in this order: {@link POOL_ENV} (a pool name, or
 * {@link PROFILE_POOL}); an existing {@link AGENT_POOL}; the default profile's pool when it is
 * copy-on-write already; a new btrfs {@link AGENT_POOL} when Incus may support btrfs here (listed in
 * `storage_supported_drivers` of `GET /1.0`, or `hostHasBtrfs`: Incus lists the drivers it found when
 * it started, so btrfs-progs installed later is missing there, yet a pool can be created); else the
 * default profile's pool (`dir`: a full copy of the image per container).
 * @param profilePool the pool of the default profile's root disk, or null.
 * @throws Error when {@link POOL_ENV} names a pool that does not exist.
 */
export function choosePool(
  pools: IncusPool[],
  profilePool: string | null,
  supportedDrivers: string[],
  env: Readonly<NodeJS.ProcessEnv>,
  hostHasBtrfs = false,
): PoolChoice {
  const wanted = env[POOL_ENV]?.trim();
  if (wanted === PROFILE_POOL) return { use: null, create: false, why: `${POOL_ENV}=${PROFILE_POOL}` };
  if (wanted) {
    if (!pools.some((p) => p.name === wanted))
      throw new Error(
        `${POOL_ENV}=${wanted} names no Incus storage pool: create it (\`incus storage create ${wanted} btrfs\`) or unset ${POOL_ENV}`,
      );
    return { use: wanted, create: false, why: `${POOL_ENV}=${wanted}` };
  }
  if (pools.some((p) => p.name === AGENT_POOL))
    return { use: AGENT_POOL, create: false, why: 'existing pool' };
  const profile = pools.find((p) => p.name === profilePool);
  if (profile && COPY_ON_WRITE.has(profile.driver))
    return { use: null, create: false, why: `the default profile's pool is ${profile.driver}` };
  if (supportedDrivers.includes('btrfs') || hostHasBtrfs)
    return { use: AGENT_POOL, create: true, why: 'btrfs is supported here' };
  return {
    use: null,
    create: false,
    why: `no copy-on-write pool and no btrfs support (install btrfs-progs): the default profile's ${profile?.driver ?? 'pool'} is used`,
  };
}

/**
 * True when this host's kernel knows btrfs (`/proc/filesystems`) and btrfs-progs is installed
 * (`mkfs.btrfs` in /usr/sbin or /sbin): what Incus's btrfs driver needs (Incus on the same host).
 */
export function hostHasBtrfs(): boolean {
  try {
    const known = /\bbtrfs\b/.test(fs.readFileSync('/proc/filesystems', 'utf8'));
    return (
      known &&
      ['/usr/sbin/mkfs.btrfs', '/sbin/mkfs.btrfs', '/usr/bin/mkfs.btrfs'].some((f) => fs.existsSync(f))
    );
  } catch {
    return false;
  }
}

/**
 * Decides the agents' pool (see {@link choosePool}) and creates {@link AGENT_POOL} when that is the
 * choice (`POST /1.0/storage-pools`, btrfs on a loop file Incus sizes itself). A failed creation falls
 * back to the default profile's pool, with the reason.
 * @returns the pool name for the containers' root disk (null = the profile's) and why.
 */
export async function ensureAgentPool(
  client: IncusClient,
  env: Readonly<NodeJS.ProcessEnv>,
  deadlineMs: number,
): Promise<{ pool: string | null; why: string }> {
  const [server, pools, profile] = await Promise.all([
    client.get<{ environment?: { storage_supported_drivers?: { name: string }[] } }>('/1.0', 'storage'),
    client.get<IncusPool[] | null>('/1.0/storage-pools?recursion=1', 'storage'),
    client.get<{ devices?: Record<string, Record<string, string>> }>('/1.0/profiles/default', 'storage'),
  ]);
  const root = Object.values(profile.devices ?? {}).find((d) => d.type === 'disk' && d.path === '/');
  const drivers = (server.environment?.storage_supported_drivers ?? []).map((d) => d.name);
  const choice = choosePool(pools ?? [], root?.pool ?? null, drivers, env, hostHasBtrfs());
  if (!choice.create) return { pool: choice.use, why: choice.why };
  try {
    await client.run(
      'POST',
      '/1.0/storage-pools',
      { name: AGENT_POOL, driver: 'btrfs', description: 'Agent Desk: agent containers (copy-on-write)' },
      'storage',
      deadlineMs,
    );
    return { pool: AGENT_POOL, why: `created a btrfs pool (${choice.why})` };
  } catch (err) {
    const again = await client.get<IncusPool[] | null>('/1.0/storage-pools?recursion=1', 'storage');
    if ((again ?? []).some((p) => p.name === AGENT_POOL))
      return { pool: AGENT_POOL, why: 'created meanwhile by another core' };
    return {
      pool: null,
      why: `creating a btrfs pool failed (${(err as Error).message}): the default profile's pool is used`,
    };
  }
}
