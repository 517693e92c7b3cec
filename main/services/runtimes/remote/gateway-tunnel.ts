// The gateway's way to an ssh:// engine: an SSH reverse tunnel from a unix socket on the engine host (in a 0700 folder) to the TLS listener on this machine's loopback.
import type { SshSettings } from '../../../platform/ssh';
import { sshExec, sshForward } from '../../../platform/ssh';
import type { SupervisorStatus } from '../../../platform/supervised-process';
import type { SshDestination } from '../engine-target';
import type { RelayUpstream } from './gateway-relay';

/** The socket's name in the tunnel folder. */
export const TUNNEL_SOCKET = 'gateway.sock';

/** Options of {@link startGatewayTunnel}. */
export interface GatewayTunnelOptions {
  ssh: SshSettings;
  dest: SshDestination;
  /** The gateway's TLS port on this machine's 127.0.0.1 (Gateway.addTlsBind('127.0.0.1') first). */
  tlsPort: number;
  /**
   * The folder on the engine host (absolute); default `$HOME/.agentdesk/gateway-tunnel` of the SSH user.
   * Made 0700 (and its parent), checked to be a folder of that user with mode 0700, not a link.
   */
  remoteDir?: string;
}

/** A running tunnel. */
export interface GatewayTunnel {
  /** What the relay mounts and connects to ({@link RelayUpstream} `unix`: the folder, the socket, its owner). */
  upstream: Extract<RelayUpstream, { kind: 'unix' }>;
  /** The supervisor's state of the `ssh -N -R` process (restarted with backoff when it exits). */
  status(): SupervisorStatus;
  /** Ends the tunnel (the socket on the engine host stays until the next start removes it). */
  stop(): Promise<void>;
}

/** Thrown when the tunnel folder on the engine host is not private to the SSH user. */
export class TunnelFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunnelFolderError';
  }
}

/**
 * The remote script that makes and checks the folder. `$1` is the folder or empty (default under
 * `$HOME`). Prints `<folder> <uid> <gid> <owner uid> <mode> <kind>`: ssh quotes every word, so the script
 * is fixed and the folder arrives as an argument, never as code.
 */
const FOLDER_SCRIPT = [
  'set -e',
  'umask 077',
  'd="${1:-$HOME/.agentdesk/gateway-tunnel}"',
  'mkdir -p -m 700 "$(dirname "$d")"',
  'mkdir -p -m 700 "$d"',
  'if [ -L "$d" ]; then k=link; elif [ -d "$d" ]; then k=dir; else k=other; fi',
  'printf "%s %s %s %s %s %s\\n" "$d" "$(id -u)" "$(id -g)" "$(stat -c %u "$d")" "$(stat -c %a "$d")" "$k"',
].join('\n');

/**
 * Makes the tunnel folder on the engine host (0700, the SSH user's), then starts the supervised
 * `ssh -N -R <folder>/gateway.sock:127.0.0.1:<tlsPort>` (the stale socket removed before each start,
 * ExitOnForwardFailure, keep-alives; see sshForward) and waits until the socket exists. Only TLS flows
 * through it: the engine host and its root see ciphertext, and nobody but the SSH user (and root) can
 * open the folder. @throws SshError (host key changed or unknown, login refused, unreachable);
 * TunnelFolderError when the folder is a link, another user's, or not 0700; Error when the first start
 * of the forward fails (its message is ssh's).
 */
export async function startGatewayTunnel(o: GatewayTunnelOptions): Promise<GatewayTunnel> {
  if (o.remoteDir !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(o.remoteDir))
    throw new TunnelFolderError(
      `The tunnel folder ${JSON.stringify(o.remoteDir)} is not a plain absolute path.`,
    );
  const r = await sshExec(o.ssh, o.dest, ['sh', '-c', FOLDER_SCRIPT, 'agentdesk-tunnel', o.remoteDir ?? ''], {
    timeoutMs: 20_000,
  });
  const [dir = '', uid, gid, owner, mode, kind] = r.stdout.trim().split(' ');
  if (kind !== 'dir' || !/^\/[A-Za-z0-9._/-]+$/.test(dir))
    throw new TunnelFolderError(
      `The tunnel folder ${dir} on the engine host is ${kind === 'link' ? 'a link' : 'not a plain folder path'}: remove it and try again.`,
    );
  if (owner !== uid || mode !== '700')
    throw new TunnelFolderError(
      `The tunnel folder ${dir} on the engine host belongs to uid ${owner} with mode ${mode}; it must be the SSH user's (uid ${uid}) with mode 700: run \`chmod 700 ${dir}\` there, or remove it.`,
    );
  const socket = `${dir}/${TUNNEL_SOCKET}`;
  const forward = sshForward(o.ssh, o.dest, { kind: 'remote', remoteSocket: socket, localPort: o.tlsPort });
  try {
    await forward.ready();
  } catch (err) {
    await forward.stop();
    throw err;
  }
  return {
    upstream: { kind: 'unix', hostDir: dir, socketName: TUNNEL_SOCKET, uid: Number(uid), gid: Number(gid) },
    status: () => forward.status(),
    stop: () => forward.stop(),
  };
}
