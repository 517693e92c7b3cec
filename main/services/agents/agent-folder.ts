// An agent's host folder: home/ (agent-writable, /home/agent), config/ (host-written, mounted read-only) and trace/ (never mounted).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigFolder } from '../harnesses/harness';
import { chownTreeNoFollow, mkdirNoFollow, removeTreeNoFollow, unlinkNoFollow } from './safe-fs';

/** Where the container sees the config folder (read-only; docs/decisions/010-agent-containment.md). */
export const CONFIG_MOUNT = '/opt/agentdesk/config';

/** Paths of one agent's folder. */
export interface AgentFolder {
  root: string;
  /** Mounted at /home/agent, writable by the agent: the host never follows a link in it. */
  home: string;
  workspace: string;
  /** Host-written only, mounted read-only at {@link CONFIG_MOUNT}. */
  config: string;
  /** The env file (gateway URL, virtual key, model) the image's init sources. */
  envFile: string;
  /** The runtime credential the core sends to the agent's runtime (one line). */
  credentialFile: string;
  /** Never mounted: an agent cannot edit its own trace. */
  trace: string;
}

/** The uid/gid the agent's processes run as, and so the owner of its home on the host. */
export interface AgentIdentity {
  uid: number;
  gid: number;
}

/**
 * The fixed unprivileged uid/gid agents run as when the core runs as root (the documented server setup
 * and CI): outside the range of login users (1000–59999) and of Debian's system users, inside the
 * 65 536 ids every container id map covers. `AGENTDESK_AGENT_UID`/`AGENTDESK_AGENT_GID` override it.
 */
export const ROOT_CORE_AGENT_ID = 64000;

/**
 * Who the agent runs as: the core's own uid/gid when the core is not root (the agent's files on the
 * host then belong to the user running Agent Desk), else {@link ROOT_CORE_AGENT_ID} (or the override).
 * @throws Error for an override that is not an unprivileged id (1–65533).
 */
export function agentIdentity(env: Readonly<NodeJS.ProcessEnv>): AgentIdentity {
  const uid = process.getuid?.() ?? ROOT_CORE_AGENT_ID;
  const gid = process.getgid?.() ?? ROOT_CORE_AGENT_ID;
  if (uid !== 0) return { uid, gid };
  const pick = (name: string): number => {
    const raw = env[name]?.trim();
    if (!raw) return ROOT_CORE_AGENT_ID;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 65533)
      throw new Error(`${name}=${raw} is not valid: use an unprivileged id from 1 to 65533`);
    return n;
  };
  return { uid: pick('AGENTDESK_AGENT_UID'), gid: pick('AGENTDESK_AGENT_GID') };
}

/** The folder of agent `id` under the data dir. */
export function agentFolder(dataDir: string, id: string): AgentFolder {
  const root = path.join(dataDir, 'agents', id);
  const home = path.join(root, 'home');
  const config = path.join(root, 'config');
  return {
    root,
    home,
    workspace: path.join(home, 'workspace'),
    config,
    envFile: path.join(config, 'env'),
    credentialFile: path.join(config, 'runtime-token'),
    trace: path.join(root, 'trace'),
  };
}

/**
 * Creates the folder: root and trace 0700 (the core's), config 0750 (the core's, group = the agent's
 * gid so the agent reads it through its read-only mount), home 0700 and home/workspace owned by the
 * agent (the runtime makes its own `.agentdesk/threads`). Idempotent; inside the home it creates only what is missing, never following a link.
 * Call it only while no process of the agent runs (see {@link mkdirNoFollow}).
 * @throws UnsafePathError when the agent left a link or a file where a folder must be.
 */
export function makeAgentFolder(f: AgentFolder, who: AgentIdentity = agentIdentity({})): void {
  for (const dir of [f.root, f.trace]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  mkdirNoFollow(f.root, f.config, 0o750);
  fs.chmodSync(f.config, 0o750);
  if (asRoot) fs.chownSync(f.config, 0, who.gid);
  const owner = asRoot ? who : undefined;
  mkdirNoFollow(f.root, f.home, 0o700, owner);
  // A home an earlier version made belongs to root (its agents ran as root): hand the whole tree to
  // the agent's user, without following links (lchown), once.
  if (owner && fs.lstatSync(f.home).uid !== owner.uid) chownTreeNoFollow(f.home, owner.uid, owner.gid);
  mkdirNoFollow(f.home, f.workspace, 0o755, owner);
}

/** The env file's content: one `NAME='value'` line per entry, single-quoted for POSIX sh. @throws Error for a bad name or value. */
export function envFileText(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`Env name "${k}" is not a shell identifier`);
    if (/[\n\r\0]/.test(v)) throw new Error(`Env value of ${k} contains a newline or NUL`);
    return `${k}='${v.replace(/'/g, `'\\''`)}'`;
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Writes one file of the config folder atomically (exclusive temp file, no link followed, renamed),
 * mode 0640, group = the agent's gid when the core is root. The config folder is the core's alone.
 * `ownedByAgent`: mode 0600 owned by the agent's uid, for programs that accept a secret file only when
 * the reading user owns it and nobody else can read it (OpenClaw's file secrets); the agent still
 * cannot change it (the folder is the core's and mounted read-only).
 * @throws Error on a file system error.
 */
export function writeConfigFile(
  f: AgentFolder,
  name: string,
  content: string,
  who: AgentIdentity = agentIdentity({}),
  opts: { ownedByAgent?: boolean } = {},
): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`Config file name "${name}" is not valid`);
  const file = path.join(f.config, name);
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = fs.constants;
  const mode = opts.ownedByAgent ? 0o600 : 0o640;
  const fd = fs.openSync(tmp, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, mode);
  try {
    fs.writeSync(fd, Buffer.from(content, 'utf8'));
    fs.fchmodSync(fd, mode);
    if (process.getuid?.() === 0) fs.fchownSync(fd, opts.ownedByAgent ? who.uid : 0, who.gid);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * The agent's config folder as a harness writes it (main/services/harnesses/harness.ts): each file via
 * {@link writeConfigFile}, so atomically, never through a link, readable by the agent's group only.
 */
export function configFolderOf(f: AgentFolder, who: AgentIdentity = agentIdentity({})): ConfigFolder {
  return {
    mount: CONFIG_MOUNT,
    write: (name, content, opts) => writeConfigFile(f, name, content, who, opts),
  };
}

/** Writes the env file the init sources (see {@link envFileText}). @throws Error for a bad entry. */
export function writeEnvFile(f: AgentFolder, env: Record<string, string>, who?: AgentIdentity): void {
  writeConfigFile(f, 'env', envFileText(env), who);
}

/**
 * Mints a new runtime credential (32 random bytes, base64url) and writes it to the config folder.
 * Only the core sends it; the runtime reads it from its read-only mount.
 * @returns the credential.
 */
export function writeRuntimeCredential(f: AgentFolder, who?: AgentIdentity): string {
  const credential = crypto.randomBytes(32).toString('base64url');
  writeConfigFile(f, 'runtime-token', `${credential}\n`, who);
  return credential;
}

/**
 * The runtime credential from the config folder (written by the core, never by the agent), or null
 * when there is none (an agent deployed by an earlier version, not started since).
 */
export function readRuntimeCredential(f: Pick<AgentFolder, 'credentialFile'>): string | null {
  try {
    const fd = fs.openSync(f.credentialFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const text = fs.readFileSync(fd, 'utf8').trim();
      return /^[A-Za-z0-9_-]{20,200}$/.test(text) ? text : null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/**
 * Files earlier versions wrote into the agent's home (`.agentdesk/env`, OpenClaw's key file and
 * config): removed without following links, never read. Their secrets are replaced by the config folder.
 */
export function removeLegacyFiles(f: AgentFolder): void {
  for (const rel of ['.agentdesk/env', '.openclaw/agentdesk-virtual-key', '.openclaw/openclaw.json'])
    try {
      unlinkNoFollow(f.home, path.join(f.home, rel));
    } catch {
      /* a link on the way: leave it, we never write there */
    }
}

/** Removes the whole folder without following links (see {@link removeTreeNoFollow}); missing = `false`. */
export function removeAgentFolder(f: AgentFolder): boolean {
  return removeTreeNoFollow(f.root);
}
