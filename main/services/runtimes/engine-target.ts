// Where a container engine is: the local one, or a named endpoint elsewhere (Docker over ssh:// or tcp+TLS,
// an Incus remote over HTTPS), and how agents on it reach the gateway on this machine.

import type { RuntimeKind } from './container-runtime';

/** The id of the engine found on this machine (one per kind). Named endpoints use their own ids. */
export const LOCAL_ENGINE = 'local';

/** An SSH destination, resolved by the system's OpenSSH client (the user's config, agent and known_hosts). */
export interface SshDestination {
  /** Login name on the remote host, e.g. `deploy`. */
  user: string;
  /** Host name or address, e.g. `build.example.net` or `10.0.0.5`. */
  host: string;
  /** TCP port of the SSH server (default 22). */
  port: number;
}

/**
 * How to reach one engine. PEM texts are held by the core (the engine's folder in the data dir, mode 0600);
 * none of them is a provider key.
 * - `docker`/`local`: the socket this machine has (DOCKER_HOST or the usual sockets).
 * - `docker`/`ssh`: `ssh user@host docker system dial-stdio` per connection, as `docker -H ssh://` does.
 * - `docker`/`tls`: `tcp://host:port` with a client certificate, the server's certificate checked against `caPem`.
 * - `incus`/`local`: the local daemon's unix socket.
 * - `incus`/`https`: an Incus remote at `https://host:port`, its certificate pinned (`serverCertPem`), this
 *   core's client certificate trusted by the remote (added by trust token, `incus remote add` semantics).
 */
export type EngineTarget =
  | { kind: 'docker'; transport: 'local' }
  | { kind: 'docker'; transport: 'ssh'; ssh: SshDestination }
  | {
      kind: 'docker';
      transport: 'tls';
      host: string;
      port: number;
      caPem: string;
      certPem: string;
      keyPem: string;
    }
  | { kind: 'incus'; transport: 'local' }
  | {
      kind: 'incus';
      transport: 'https';
      /** e.g. `https://10.0.0.7:8443`. */
      url: string;
      serverCertPem: string;
      clientCertPem: string;
      clientKeyPem: string;
      /** Cluster member to place new agents on; null = Incus places them. */
      member?: string | null;
    };

/** A named engine: `id` is what an agent's `engine` column holds. */
export interface EngineRecord {
  /** `local` or a slug `[a-z0-9-]{1,32}` the user chose, e.g. `homeserver`. */
  id: string;
  /** Shown in the UI, e.g. `Home server`. */
  name: string;
  target: EngineTarget;
  /** Epoch ms. */
  createdAt: number;
}

/** The runtimes map key of an engine: `docker` / `incus` for the local ones, `docker@homeserver` for named ones. */
export function runtimeKey(kind: RuntimeKind, engine: string): string {
  return engine === LOCAL_ENGINE ? kind : `${kind}@${engine}`;
}

/**
 * How a container on a remote engine reaches the gateway on this machine: only over TLS, to a listener of
 * the core whose certificate the agent pins (its CA file is written into the agent's config folder and named
 * by `NODE_EXTRA_CA_CERTS` and `SSL_CERT_FILE`). `host` is the name the certificate carries.
 */
export interface RemoteGatewayAddress {
  /** e.g. `agentdesk-gateway` (the certificate's only DNS name). */
  host: string;
  port: number;
  /** PEM of the certificate the agent trusts, and no other for the gateway. */
  caPem: string;
}
