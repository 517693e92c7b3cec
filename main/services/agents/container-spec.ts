// The container spec of an agent: its mounts (home rw, config ro, runtime ro, shared folders), its containment and how the core reaches it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SharedFolder } from '../../../contract/agents';
import type { ContainerSpec, EgressAttachment, RuntimeKind } from '../runtimes/container-runtime';
import { LABELS } from '../runtimes/container-runtime';
import { MAX_SOCKET_PATH } from '../runtimes/incus/incus-config';
import type { AgentFolder, AgentIdentity } from './agent-folder';
import { CONFIG_MOUNT } from './agent-folder';
import type { HarnessManifest } from '../harnesses/manifest';
import type { AgentRow } from './agent-repository';
import { folderMounts } from './shared-folders';

/**
 * Version of the containment a container is created with (label {@link LABELS.containment}). A
 * container of another version (or none: made by an earlier Agent Desk) is created again at its next
 * start, keeping the agent's home. 2: an Incus init keeps CAP_KILL, so a stop reaches the agent.
 * Incus 3: an agent with egress reaches the gateway and its resolver over its routed NIC and the core
 * reaches its runtime at the NIC's address (no proxy devices); see {@link containmentVersion}.
 */
export const CONTAINMENT_VERSION = '2';
/** The containment version of Incus containers (Docker's stays {@link CONTAINMENT_VERSION}). */
export const INCUS_CONTAINMENT_VERSION = '3';

/** The containment version a container of `kind` is created with. */
export function containmentVersion(kind: RuntimeKind): string {
  return kind === 'incus' ? INCUS_CONTAINMENT_VERSION : CONTAINMENT_VERSION;
}
/** Label holding a hash of the agent's shared folders: another hash means the container is created again. */
export const FOLDERS_LABEL = 'agentdesk.folders';
/** Label holding the agent's limits (`<memory MiB>m/<cpus>c/<pids>p`): others mean the container is created again. */
export const LIMITS_LABEL = 'agentdesk.limits';

/** The value of {@link LIMITS_LABEL} for an agent. */
export function limitsOf(row: Pick<AgentRow, 'memory_mib' | 'cpus' | 'pids_limit'>): string {
  return `${row.memory_mib}m/${row.cpus}c/${row.pids_limit || DEFAULT_PIDS_LIMIT}p`;
}
/** Where the built-in runtime bundle is mounted read-only. */
export const RUNTIME_MOUNT = '/opt/agentdesk/runtime';
/** Default pids limit of an agent container. */
export const DEFAULT_PIDS_LIMIT = 512;
/**
 * tmpfs over the read-only root, MiB: scratch space for tools (/tmp, /var/tmp) and runtime state
 * (/run). Counted against the container's memory limit.
 */
export const AGENT_TMPFS: Record<string, number> = { '/tmp': 256, '/var/tmp': 64, '/run': 16 };

/** The folder of the unix sockets through which Incus forwards runtimes to the core (0700). */
export function socketDir(dataDir: string): string {
  return path.join(dataDir, 'run');
}

/** Short, stable hash of the shared folders (path, mode, mount), for {@link FOLDERS_LABEL}. */
export function foldersHash(folders: readonly SharedFolder[]): string {
  const text = JSON.stringify(folders.map((f) => [f.path, f.mode, f.mount]));
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** What {@link agentContainerSpec} needs. */
export interface SpecInput {
  row: AgentRow;
  fw: HarnessManifest;
  kind: RuntimeKind;
  dataDir: string;
  folder: AgentFolder;
  who: AgentIdentity;
  instanceId: string;
  gatewayPort: number;
  /** Host folder of `agent-runtime.cjs` (required when the harness mounts the runtime). */
  runtimeBundle: string | null;
  /** Its egress attachment (docs/decisions/009-egress.md); null or absent = egress control off. */
  egress?: EgressAttachment | null;
}

/**
 * The spec of an agent's container (docs/decisions/010-agent-containment.md): the home read-write at
 * /home/agent, the config folder read-only at {@link CONFIG_MOUNT} (idmapped on Incus, so its group
 * reads it), the runtime bundle read-only, the shared folders under /shared; the agent's uid/gid, the
 * pids limit and tmpfs; the runtime port reached without a host port where the engine allows it
 * (Incus: a unix socket in `<data>/run`, or a published 127.0.0.1 port when that path is too long).
 * @throws AppError INVALID_INPUT when a shared folder is now blocked or gone.
 */
export function agentContainerSpec(i: SpecInput): ContainerSpec {
  const folders = JSON.parse(i.row.folders) as SharedFolder[];
  const mounts: ContainerSpec['mounts'] = [
    { hostPath: i.folder.home, containerPath: '/home/agent', readOnly: false },
    { hostPath: i.folder.config, containerPath: CONFIG_MOUNT, readOnly: true, idmapped: true },
  ];
  if (i.fw.mounts_runtime && i.runtimeBundle)
    mounts.push({ hostPath: i.runtimeBundle, containerPath: RUNTIME_MOUNT, readOnly: true });
  mounts.push(...folderMounts(folders, { dataDir: i.dataDir }));
  const socketPath = path.join(socketDir(i.dataDir), `${i.row.id}.sock`);
  const viaSocket = i.kind !== 'incus' || Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH;
  if (i.kind === 'incus' && viaSocket) {
    fs.mkdirSync(socketDir(i.dataDir), { recursive: true, mode: 0o700 });
    fs.chmodSync(socketDir(i.dataDir), 0o700);
    fs.rmSync(socketPath, { force: true }); // a socket left by an earlier container of this agent
  }
  return {
    name: i.row.container,
    image: i.fw.image,
    env: { AGENTDESK_AGENT_ID: i.row.id, AGENTDESK_ENV_FILE: `${CONFIG_MOUNT}/env` },
    labels: {
      [LABELS.agentId]: i.row.id,
      [LABELS.slug]: i.row.slug,
      [LABELS.instance]: i.instanceId,
      [LABELS.containment]: containmentVersion(i.kind),
      [FOLDERS_LABEL]: foldersHash(folders),
      [LIMITS_LABEL]: limitsOf(i.row),
    },
    mounts,
    memoryMiB: i.row.memory_mib,
    cpus: i.row.cpus,
    ports: viaSocket ? [] : [{ containerPort: i.fw.drive.port, hostPort: 0 }],
    hostServicePort: i.gatewayPort,
    command: i.fw.command,
    security: {
      uid: i.who.uid,
      gid: i.who.gid,
      pidsLimit: i.row.pids_limit || DEFAULT_PIDS_LIMIT,
      tmpfs: AGENT_TMPFS,
    },
    ...(viaSocket ? { reach: { containerPort: i.fw.drive.port, socketPath } } : {}),
    ...(i.egress ? { egress: i.egress } : {}),
  };
}

/** Whether an existing container was made with the current containment, these shared folders and limits. */
export function isCurrent(
  labels: Record<string, string>,
  row: Pick<AgentRow, 'folders' | 'memory_mib' | 'cpus' | 'pids_limit'> & { runtime?: RuntimeKind },
): boolean {
  return (
    labels[LABELS.containment] === containmentVersion(row.runtime ?? 'docker') &&
    labels[FOLDERS_LABEL] === foldersHash(JSON.parse(row.folders) as SharedFolder[]) &&
    labels[LIMITS_LABEL] === limitsOf(row)
  );
}
