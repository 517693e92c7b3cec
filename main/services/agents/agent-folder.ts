// An agent's host folder: <data>/agents/<id>/home (mounted at /home/agent) and trace/ (never mounted).
import fs from 'node:fs';
import path from 'node:path';

/** Paths of one agent's folder. */
export interface AgentFolder {
  root: string;
  /** Mounted at /home/agent. */
  home: string;
  workspace: string;
  /** `/home/agent/.agentdesk` on the host. */
  dotdir: string;
  /** The env file (0600) the image's init sources. */
  envFile: string;
  /** Never mounted: an agent cannot edit its own trace. */
  trace: string;
}

/** The folder of agent `id` under the data dir `home`. */
export function agentFolder(dataDir: string, id: string): AgentFolder {
  const root = path.join(dataDir, 'agents', id);
  const home = path.join(root, 'home');
  const dotdir = path.join(home, '.agentdesk');
  return {
    root,
    home,
    workspace: path.join(home, 'workspace'),
    dotdir,
    envFile: path.join(dotdir, 'env'),
    trace: path.join(root, 'trace'),
  };
}

/** Creates the folder (0700 dirs). Idempotent. */
export function makeAgentFolder(f: AgentFolder): void {
  for (const dir of [f.root, f.home, f.workspace, f.dotdir, f.trace])
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes the env file atomically with mode 0600: one `NAME='value'` line per entry, single-quoted for
 * POSIX sh (`'` written as `'\''`), so the init's `. file` reads values verbatim.
 * @throws Error for a name that is not a shell identifier or a value with a newline or NUL.
 */
export function writeEnvFile(file: string, env: Record<string, string>): void {
  const lines = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`Env name "${k}" is not a shell identifier`);
    if (/[\n\r\0]/.test(v)) throw new Error(`Env value of ${k} contains a newline or NUL`);
    return `${k}='${v.replace(/'/g, `'\\''`)}'`;
  });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Removes the whole folder; missing = `false`. */
export function removeAgentFolder(f: AgentFolder): boolean {
  if (!fs.existsSync(f.root)) return false;
  fs.rmSync(f.root, { recursive: true, force: true });
  return true;
}
