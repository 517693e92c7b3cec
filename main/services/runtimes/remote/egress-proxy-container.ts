// The egress proxy on a remote Docker engine: one container on the agents' internal network and a plain bridge, its policy table in a volume.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { LABELS } from '../container-runtime';
import { EGRESS_PROXY_SOURCE } from '../../egress/remote/egress-proxy-table';
import type { EgressTable } from '../../egress/remote/egress-proxy-table';
import { dockerStatus } from '../docker/docker-errors';
import { ensureNetwork, RELAY_OUT_NETWORK, REMOTE_AGENT_NETWORK, serviceHostConfig } from './gateway-relay';

/** The proxy container's name. */
export const EGRESS_PROXY_CONTAINER = 'agentdesk-egress-proxy';
/** The name agents call the proxy by (its alias on {@link REMOTE_AGENT_NETWORK}). */
export const EGRESS_PROXY_ALIAS = 'agentdesk-egress';
/** The port the proxy listens on. */
export const EGRESS_PROXY_PORT = 3128;
/** The plain bridge only the proxy joins: its way out (no container-to-container traffic). */
export const EGRESS_OUT_NETWORK = 'agentdesk-egress-out';
/** The volume holding the proxy's table (the core writes it; the proxy reads it, and keeps it across restarts). */
export const EGRESS_TABLE_VOLUME = 'agentdesk-egress-table';
const TABLE_DIR = '/policy';
const TABLE_FILE = 'table.json';
/** Label holding the proxy's settings (image and program), so a changed one makes it again. */
const SPEC_LABEL = 'agentdesk.egress-proxy';
const ROLE_LABEL = 'agentdesk.role';
const MEMORY_MIB = 64;
const PIDS = 32;

/** The environment that sends an agent's HTTP(S) clients through the proxy (the gateway is reached directly). */
export function egressProxyEnv(): Record<string, string> {
  const url = `http://${EGRESS_PROXY_ALIAS}:${EGRESS_PROXY_PORT}`;
  const noProxy = 'agentdesk-gateway,localhost,127.0.0.1';
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    ALL_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    all_proxy: url,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

const status = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** The proxy's settings as a label value: its image and a digest of its program (a change makes it again; Docker and Incus). */
export function egressProxySpec(image: string): string {
  // The program's length and a cheap digest: a new program makes the container again.
  let h = 0;
  for (let i = 0; i < EGRESS_PROXY_SOURCE.length; i++) h = (h * 31 + EGRESS_PROXY_SOURCE.charCodeAt(i)) >>> 0;
  return JSON.stringify([image, EGRESS_PROXY_SOURCE.length, h]);
}

/**
 * Makes sure the egress proxy runs on this engine: networks {@link REMOTE_AGENT_NETWORK} (internal) and
 * {@link EGRESS_OUT_NETWORK} (plain bridge, no container-to-container traffic), the volume
 * {@link EGRESS_TABLE_VOLUME}, and the container {@link EGRESS_PROXY_CONTAINER} (alias
 * {@link EGRESS_PROXY_ALIAS}) running egress-proxy.cjs from `image` (an image with /usr/local/bin/node)
 * as 65534:65534 with a read-only root, no capabilities, no new privileges, 64 MiB, 32 tasks, logs capped
 * at 1 MiB, restarted by the engine unless stopped. Idempotent like ensureGatewayRelay.
 * @returns the container's action and its address on the agents' network.
 * @throws engine errors (the image missing: 404).
 */
export async function ensureEgressProxy(
  docker: Dockerode,
  o: { image: string; instanceId: string },
): Promise<{ action: 'created' | 'started' | 'running'; address: string }> {
  await ensureNetwork(docker, REMOTE_AGENT_NETWORK, true, o.instanceId);
  await ensureNetwork(docker, EGRESS_OUT_NETWORK, false, o.instanceId);
  const want = egressProxySpec(o.image);
  const c = docker.getContainer(EGRESS_PROXY_CONTAINER);
  let info: Dockerode.ContainerInspectInfo | null = null;
  try {
    info = await c.inspect();
  } catch (err) {
    if (status(err) !== 404) throw err;
  }
  if (info && info.Config.Labels?.[SPEC_LABEL] !== want) {
    await c.remove({ force: true });
    info = null;
  }
  let action: 'created' | 'started' | 'running' = 'running';
  if (!info) {
    const labels = {
      [LABELS.managed]: '1',
      [LABELS.instance]: o.instanceId,
      [ROLE_LABEL]: 'egress-proxy',
      [SPEC_LABEL]: want,
    };
    try {
      await docker.createVolume({ Name: EGRESS_TABLE_VOLUME, Labels: labels });
    } catch (err) {
      if (status(err) !== 409) throw err;
    }
    const created = await docker.createContainer({
      name: EGRESS_PROXY_CONTAINER,
      Image: o.image,
      Entrypoint: ['/usr/local/bin/node'],
      Cmd: [
        '-e',
        EGRESS_PROXY_SOURCE,
        'agentdesk-egress-proxy',
        String(EGRESS_PROXY_PORT),
        `${TABLE_DIR}/${TABLE_FILE}`,
      ],
      User: '65534:65534',
      WorkingDir: '/',
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_OPTIONS='],
      Labels: labels,
      NetworkingConfig: {
        EndpointsConfig: { [REMOTE_AGENT_NETWORK]: { Aliases: [EGRESS_PROXY_ALIAS] } },
      },
      HostConfig: {
        ...serviceHostConfig(MEMORY_MIB, PIDS),
        Mounts: [{ Type: 'volume', Source: EGRESS_TABLE_VOLUME, Target: TABLE_DIR }],
      },
    });
    await docker.getNetwork(EGRESS_OUT_NETWORK).connect({ Container: created.id });
    action = 'created';
  }
  const now = await c.inspect();
  if (!now.State.Running) {
    await c.start().catch((err: unknown) => {
      if (status(err) !== 304) throw err;
    });
    if (action === 'running') action = 'started';
  }
  const after = await c.inspect();
  return { action, address: after.NetworkSettings.Networks[REMOTE_AGENT_NETWORK]?.IPAddress ?? '' };
}

/** The IPv4 subnets of the engine's own networks (agents', relay's way out, proxy's way out) that exist. */
export async function egressOwnSubnets(docker: Dockerode): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of [REMOTE_AGENT_NETWORK, EGRESS_OUT_NETWORK, RELAY_OUT_NETWORK])
    try {
      const info = await docker.getNetwork(name).inspect();
      out[name] = (info.IPAM?.Config ?? [])
        .map((c: { Subnet?: string }) => c.Subnet ?? '')
        .filter((s: string) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
    } catch (err) {
      if (status(err) !== 404) throw err;
    }
  return out;
}

/**
 * Writes the proxy's table into its volume (over the archive API: the proxy's root is read-only, the
 * volume is not) and tells the proxy to read it now (SIGHUP; it also looks every 2 s). The proxy keeps
 * deciding with the file while the core is away.
 * @throws engine errors (the proxy missing: 404).
 */
export async function writeEgressTable(docker: Dockerode, table: EgressTable): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-egress-'));
  try {
    fs.writeFileSync(path.join(dir, TABLE_FILE), JSON.stringify(table), { mode: 0o644 });
    const tar = await import('tar');
    const archive = tar.c({ cwd: dir, portable: true }, [TABLE_FILE]) as unknown as Readable;
    const c = docker.getContainer(EGRESS_PROXY_CONTAINER);
    await c.putArchive(archive, { path: TABLE_DIR });
    await c.kill({ signal: 'SIGHUP' }).catch((err: unknown) => {
      if (status(err) !== 409) throw err; // not running: it reads the file when it starts
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Follows the proxy's standard output (one JSON line per refusal) from `sinceS` (epoch seconds) on, and
 * calls `onLine` with the engine's timestamp of each complete line (RFC 3339 with nanoseconds: ordered as
 * text) and the line (at most 2 KiB; longer ones are dropped). `onEnd` is called once when the stream ends
 * (the proxy restarted or removed, the engine away). @returns a function that stops following.
 * @throws engine errors (the proxy missing: 404).
 */
export async function followEgressRefusals(
  docker: Dockerode,
  sinceS: number,
  onLine: (stamp: string, line: string) => void,
  onEnd: () => void,
): Promise<() => void> {
  const stream = (await docker.getContainer(EGRESS_PROXY_CONTAINER).logs({
    follow: true,
    stdout: true,
    stderr: false,
    timestamps: true,
    since: sinceS,
  })) as unknown as Readable;
  const out = new PassThrough();
  docker.modem.demuxStream(stream, out, new PassThrough().resume());
  let partial = '';
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > 2200) partial = '';
    for (const l of lines) {
      const space = l.indexOf(' ');
      if (space > 0 && l.length - space <= 2048) onLine(l.slice(0, space), l.slice(space + 1));
    }
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return () => {
    ended = true;
    stream.destroy();
  };
}

/**
 * Removes the egress proxy container, its table volume and {@link EGRESS_OUT_NETWORK} (when the engine is
 * removed from Agent Desk). Missing parts are skipped; the network when still in use is left and named.
 * @returns the names left because they are in use.
 */
export async function removeEgressProxy(docker: Dockerode): Promise<string[]> {
  const gone = (err: unknown): boolean => dockerStatus(err) === 404;
  const inUse = (err: unknown): boolean => [403, 409].includes(dockerStatus(err) ?? 0);
  try {
    await docker.getContainer(EGRESS_PROXY_CONTAINER).remove({ force: true });
  } catch (err) {
    if (!gone(err)) throw err;
  }
  const kept: string[] = [];
  try {
    await docker.getVolume(EGRESS_TABLE_VOLUME).remove();
  } catch (err) {
    if (inUse(err)) kept.push(EGRESS_TABLE_VOLUME);
    else if (!gone(err)) throw err;
  }
  try {
    await docker.getNetwork(EGRESS_OUT_NETWORK).remove();
  } catch (err) {
    if (inUse(err)) kept.push(EGRESS_OUT_NETWORK);
    else if (!gone(err)) throw err;
  }
  return kept;
}
