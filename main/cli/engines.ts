// `agentdesk engines list|add|remove|test|members`: named container engines beside the local ones.
import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { Engine, EngineAddInput, EngineMember } from '../../contract/engines';
import { ENGINE_PEM_MAX, looksLikePem } from '../../contract/engines';
import type { RunnerIo } from './command-runner';
import { commandGroup } from './command-runner';
import { table } from './providers-format';

/** `user@host[:port]` as an SSH destination. @throws InvalidArgumentError naming the valid shape. */
export function parseSshDestination(value: string): { user: string; host: string; port: number } {
  const m = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m)
    throw new InvalidArgumentError(
      `--ssh "${value}" must be user@host or user@host:port (e.g. deploy@build.lan:22)`,
    );
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535)
    throw new InvalidArgumentError(`--ssh: port ${port} is not a TCP port 1–65535`);
  return { user: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** `host:port` of a Docker engine with TLS. @throws InvalidArgumentError naming the valid shape. */
export function parseTlsAddress(value: string): { host: string; port: number } {
  const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:\s/]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`--tls "${value}" must be host:port (e.g. 10.0.0.5:2376)`);
  const port = m[2] ? Number(m[2]) : 2376;
  if (port < 1 || port > 65535)
    throw new InvalidArgumentError(`--tls: port ${port} is not a TCP port 1–65535`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * The PEM text of a file named on the command line (read here, sent to the core as text).
 * @throws InvalidArgumentError when it cannot be read, is larger than a PEM file can be, or is not PEM.
 */
export function readPemFile(option: string, file: string): string {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    if (st.size > ENGINE_PEM_MAX)
      throw new Error(`larger than ${ENGINE_PEM_MAX} bytes; a PEM file is a few KB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`${option} ${file}: ${(err as Error).message}`);
  }
  if (!looksLikePem(text))
    throw new InvalidArgumentError(
      `${option} ${file}: not a PEM file (it must start with -----BEGIN …-----)`,
    );
  return text;
}

/** The engines as a table: id, name, where, health, agents. */
export function formatEngines(engines: Engine[]): string {
  const local = ['local', 'This machine', 'docker/incus', 'this machine', '-', '-'];
  return table(
    ['ID', 'NAME', 'KIND', 'ADDRESS', 'HEALTH', 'AGENTS'],
    [
      local,
      ...engines.map((e) => [
        e.id,
        e.name,
        `${e.kind}/${e.transport}`,
        e.address,
        e.health.state,
        String(e.agents),
      ]),
    ],
  );
}

/** An engine's cluster members as a table (name, status, Incus's message), or that it is not a cluster. */
export function formatMembers(id: string, members: EngineMember[]): string {
  if (members.length === 0) return `The engine ${id} is not a cluster: it places every agent itself.`;
  return table(
    ['MEMBER', 'STATUS', 'MESSAGE'],
    members.map((m) => [m.name, m.status, m.message]),
  );
}

/** One engine with its health's detail and fix and its fingerprints. */
function formatEngine(e: Engine): string {
  const lines = [
    `${e.id}: ${e.name} (${e.kind} over ${e.transport}) at ${e.address}`,
    `health: ${e.health.state} — ${e.health.detail}`,
  ];
  if (e.health.fix) lines.push(`fix: ${e.health.fix}`);
  for (const [k, f] of Object.entries(e.fingerprints)) lines.push(`${k} certificate SHA-256: ${f}`);
  if (e.member) lines.push(`cluster member: ${e.member}`);
  return lines.join('\n');
}

/** Options of `engines add`. */
interface AddOptions {
  name?: string;
  ssh?: { user: string; host: string; port: number };
  tls?: { host: string; port: number };
  ca?: string;
  cert?: string;
  key?: string;
  incus?: string;
  token?: string;
  member?: string;
  json?: boolean;
}

/**
 * The `engines.add` input of the command line: exactly one of `--ssh`, `--tls` (with `--ca`, `--cert`,
 * `--key`, read here) or `--incus` (with `--token`).
 * @throws InvalidArgumentError naming what is missing or conflicting and what is valid.
 */
export function addInput(id: string, o: AddOptions): EngineAddInput {
  const kinds = [o.ssh && '--ssh', o.tls && '--tls', o.incus && '--incus'].filter(Boolean);
  if (kinds.length !== 1)
    throw new InvalidArgumentError(
      kinds.length
        ? `give one of ${kinds.join(', ')}, not several`
        : 'give where the engine is: --ssh user@host[:port], --tls host:port --ca F --cert F --key F, or --incus https://host:port --token T',
    );
  const name = o.name ?? id;
  if (o.ssh) return { id, name, kind: 'docker', transport: 'ssh', ssh: o.ssh };
  if (o.tls) {
    const missing = (['ca', 'cert', 'key'] as const).filter((k) => !o[k]).map((k) => `--${k}`);
    if (missing.length)
      throw new InvalidArgumentError(
        `--tls needs ${missing.join(', ')} (PEM files: the CA, this client's certificate and its key)`,
      );
    return {
      id,
      name,
      kind: 'docker',
      transport: 'tls',
      host: o.tls.host,
      port: o.tls.port,
      ca_pem: readPemFile('--ca', o.ca!),
      cert_pem: readPemFile('--cert', o.cert!),
      key_pem: readPemFile('--key', o.key!),
    };
  }
  if (!o.token)
    throw new InvalidArgumentError(
      '--incus needs --token T (printed by `incus config trust add <name>` on the remote)',
    );
  return {
    id,
    name,
    kind: 'incus',
    transport: 'https',
    url: o.incus!,
    token: o.token,
    ...(o.member ? { member: o.member } : {}),
  };
}

/** Builds the `engines` command. */
export function enginesCommand(io: RunnerIo, globalHome: () => string | undefined): Command {
  const { cmd, run, print } = commandGroup(
    io,
    'engines',
    'container engines agents can run on: this machine’s (local), Docker over SSH or TLS, Incus over HTTPS',
    globalHome,
  );

  cmd
    .command('list')
    .description('list the engines with their health')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      run(
        'list',
        async (c, json) => {
          const { engines } = await c.engines.list({});
          print(json, { engines }, formatEngines(engines));
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('add')
    .description('add a named engine (probed at once)')
    .argument('<id>', 'its id: a-z, 0-9 and -, e.g. homeserver')
    .option('--name <name>', 'the name shown (default: the id)')
    .option(
      '--ssh <user@host[:port]>',
      'Docker over SSH (your ssh config, agent and known_hosts)',
      parseSshDestination,
    )
    .option('--tls <host:port>', 'Docker over TCP with TLS client certificates', parseTlsAddress)
    .option('--ca <file>', 'with --tls: the CA certificate (PEM)')
    .option('--cert <file>', 'with --tls: this client’s certificate (PEM)')
    .option('--key <file>', 'with --tls: this client’s key (PEM)')
    .option('--incus <url>', 'an Incus remote, https://host:port')
    .option('--token <token>', 'with --incus: the trust token from `incus config trust add`')
    .option(
      '--member <name>',
      'with --incus: the cluster member to place agents on (default: Incus places them)',
    )
    .option('--json', 'print JSON')
    .action((id: string, o: AddOptions) =>
      run(
        'add',
        async (c, json) => {
          const engine = await c.engines.add(addInput(id, o));
          print(json, engine, formatEngine(engine));
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('test')
    .description('probe an engine now')
    .argument('<id>', 'the engine')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }) =>
      run(
        'test',
        async (c, json) => {
          const engine = await c.engines.test({ id });
          print(json, engine, formatEngine(engine));
          return engine.health.state === 'ok' ? 0 : 1;
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('members')
    .description('list an Incus cluster engine’s members (where `agents create --member` places an agent)')
    .argument('<id>', 'the engine')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }) =>
      run(
        'members',
        async (c, json) => {
          const r = await c.engines.members({ id });
          print(json, r, formatMembers(id, r.members));
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('remove')
    .description('remove an engine (refused while agents are on it)')
    .argument('<id>', 'the engine')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }) =>
      run(
        'remove',
        async (c, json) => {
          const r = await c.engines.remove({ id });
          print(json, r, `Removed the engine ${r.id}.`);
        },
        Boolean(o.json),
      )(),
    );
  return cmd;
}
