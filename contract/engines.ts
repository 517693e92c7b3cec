// Named container engines beside the local ones: Docker over ssh:// or tcp+TLS, an Incus remote over HTTPS.
import { z } from 'zod';
import { ComponentHealth } from './health';

/** The engine found on this machine (one per kind); every agent recorded before named engines runs there. */
export const LOCAL_ENGINE_ID = 'local';

/** Longest PEM text accepted for one certificate or key, in characters. */
export const ENGINE_PEM_MAX = 16_384;

/** An engine id as typed: 1–32 of a-z, 0-9 and `-`, starting with a letter or digit; `local` is taken. */
export const EngineId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,31}$/,
    'must be 1–32 characters of a-z, 0-9 and -, starting with a letter or digit (e.g. homeserver)',
  );

/** The id of an engine an agent can run on: `local` or a named engine's id. */
export const AgentEngineId = z.union([z.literal(LOCAL_ENGINE_ID), EngineId]);

/** A name as shown: 1–64 characters after trimming, no control characters. */
export const EngineName = z
  .string()
  .trim()
  .min(1, 'the name is empty')
  .max(64, 'the name is longer than 64 characters')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'the name contains control characters');

/** A host name or IP address (no scheme, no port, no path). */
const Host = z
  .string()
  .min(1, 'the host is empty')
  .max(253, 'the host is longer than 253 characters')
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9a-fA-F:]+)$/,
    'must be a host name or an IP address',
  );

const Port = z.number().int().min(1, 'must be a TCP port 1–65535').max(65535, 'must be a TCP port 1–65535');

/** An Incus cluster member's name as `target=` takes it: 1–63 of letters, digits, `.` and `-`. */
export const MemberName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, 'must be a cluster member name');

/** True when `text` starts (after white space) as PEM text does, `-----BEGIN …`; what it holds is parsed by the core. */
export function looksLikePem(text: string): boolean {
  return text.trimStart().startsWith('-----BEGIN ');
}

/** PEM text of a certificate or key: bounded here, parsed by the core. */
const Pem = (what: string) =>
  z
    .string()
    .max(ENGINE_PEM_MAX, `the ${what} is longer than ${ENGINE_PEM_MAX} characters; a PEM file is a few KB`)
    .refine(looksLikePem, `the ${what} must be PEM text (-----BEGIN …-----)`);

/** Input of `engines.add`: a Docker engine over SSH (the system's OpenSSH client, the user's keys and known_hosts). */
export const EngineAddDockerSsh = z
  .object({
    id: EngineId,
    name: EngineName,
    kind: z.literal('docker'),
    transport: z.literal('ssh'),
    ssh: z
      .object({
        user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'must be a login name (letters, digits, _ . -)'),
        host: Host,
        port: Port.default(22),
      })
      .strict(),
  })
  .strict();

/** Input of `engines.add`: a Docker engine at `tcp://host:port` with TLS client certificates. */
export const EngineAddDockerTls = z
  .object({
    id: EngineId,
    name: EngineName,
    kind: z.literal('docker'),
    transport: z.literal('tls'),
    host: Host,
    port: Port.default(2376),
    /** The CA that signed the engine's certificate (PEM). */
    ca_pem: Pem('CA certificate'),
    /** This core's client certificate (PEM). */
    cert_pem: Pem('client certificate'),
    /** The client certificate's private key (PEM); kept in the engine's folder, never shown again. */
    key_pem: Pem('client key'),
  })
  .strict();

/** Input of `engines.add`: an Incus remote over HTTPS, this core's certificate trusted by a token (`incus config trust add`). */
export const EngineAddIncus = z
  .object({
    id: EngineId,
    name: EngineName,
    kind: z.literal('incus'),
    transport: z.literal('https'),
    url: z
      .string()
      .max(300)
      .regex(/^https:\/\/[^/\s?#]+(:\d{1,5})?\/?$/, 'must be https://host:port (e.g. https://10.0.0.7:8443)'),
    /** The trust token printed by `incus config trust add <name>` on the remote. */
    token: z
      .string()
      .min(16, 'the trust token is too short')
      .max(4096, 'the trust token is longer than 4096 characters'),
    /** Cluster member to place new agents on; absent = Incus places them. */
    member: MemberName.optional(),
  })
  .strict();

/** Input of `engines.add`, one of the three remote kinds, told apart by `transport`. */
export const EngineAddInput = z.discriminatedUnion(
  'transport',
  [EngineAddDockerSsh, EngineAddDockerTls, EngineAddIncus],
  { error: 'transport: must be ssh (Docker over SSH), tls (Docker over TCP+TLS) or https (Incus remote)' },
);
export type EngineAddInput = z.input<typeof EngineAddInput>;

/**
 * A named engine as the UI and CLI see it. Holds no PEM text: certificates show as SHA-256 fingerprints,
 * and the client key never leaves the core.
 */
export const Engine = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['docker', 'incus']),
  transport: z.enum(['ssh', 'tls', 'https']),
  /** Where it is, e.g. `ssh://deploy@build.example.net:22`, `tcp://10.0.0.5:2376`, `https://10.0.0.7:8443`. */
  address: z.string(),
  /** SHA-256 fingerprints of its certificates (`AB:CD:…`): `ca`, `cert` (Docker TLS), `server`, `client` (Incus). */
  fingerprints: z.record(z.string(), z.string()),
  /** Incus: the cluster member new agents are placed on; `null` = Incus places them (or not Incus). */
  member: z.string().nullable(),
  /** How many agents are recorded on it (archived included). */
  agents: z.number().int(),
  /** Its health component (`engine:<id>`), as last probed. */
  health: ComponentHealth,
  created_at: z.number().int(),
});
export type Engine = z.infer<typeof Engine>;

/** Output of `engines.list`. */
export const EngineList = z.object({ engines: z.array(Engine) });
export type EngineList = z.infer<typeof EngineList>;

/** `{id}` input of `engines.remove` and `engines.test`. */
export const EngineRef = z.object({ id: EngineId }).strict();

/** A member of an Incus cluster engine, as Incus reports it. */
export const EngineMember = z.object({
  /** What placement takes, e.g. `m1`. */
  name: z.string(),
  /** Incus's status: `Online`, `Offline`, `Evacuated` … */
  status: z.string(),
  /** Whether Incus says it is `Online` (new agents can be placed there). */
  online: z.boolean(),
  /** Incus's own words, e.g. `Fully operational`. */
  message: z.string(),
});
export type EngineMember = z.infer<typeof EngineMember>;

/** Output of `engines.members`: empty for a Docker engine or an Incus server that is not a cluster. */
export const EngineMemberList = z.object({ members: z.array(EngineMember) });
export type EngineMemberList = z.infer<typeof EngineMemberList>;
