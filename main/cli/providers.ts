// `agentdesk providers list|add|edit|remove|test|models|discover|catalog|network`: non-interactive, keys only from stdin or env.
import type { Command } from 'commander';
import { Option } from 'commander';
import { CatalogEntry } from '../../contract/providers';
import { AppError } from '../../contract/errors';
import { agentsUsingProvider } from '../../contract/provider-usage';
import { CATALOG, findCatalogEntry, PROVIDER_TYPES } from '../services/providers/catalog';
import { commandGroup, showCommand } from './command-runner';
import type { RunnerIo } from './command-runner';
import {
  formatCatalog,
  formatDiscovery,
  formatModels,
  formatProbe,
  formatProvider,
  formatProviders,
} from './providers-format';

/** Where the CLI reads and writes (the process by default; buffers in tests). */
export interface CliIo extends RunnerIo {
  /** Reads all of stdin; `null` when stdin is a terminal (nothing piped). */
  readStdin(): Promise<string | null>;
  /** The shell's environment, for `--key-env VAR`. */
  env: Readonly<NodeJS.ProcessEnv>;
}

/** A usage error of the CLI itself (printed as one line, exit code 1). */
class UsageError extends Error {}

const KEY_HINT =
  'Keys are never taken as arguments (they would stay in shell history and show in `ps`): pipe it with --key-stdin, e.g. `printf %s "$OPENAI_API_KEY" | agentdesk providers add openai --key-stdin`, or use --key-env VAR.';

/** True when a command-line word looks like an API key (known prefixes, or a long opaque token). */
export function looksLikeKey(word: string): boolean {
  return (
    /^(sk-|sk_|gsk_|xai-|AIza|pk-|rk-|hf_|csk-|nvapi-|key-)/.test(word) ||
    (/^[A-Za-z0-9_\-.]{24,}$/.test(word) && /\d/.test(word) && /[A-Za-z]/.test(word))
  );
}

interface KeyOpts {
  key?: string;
  apiKey?: string;
  keyStdin?: boolean;
  keyEnv?: string;
  /** commander sets `key: false` for --no-key; we map it to `noKey`. */
  noKey?: boolean;
}

/** The key an add/edit brings: from stdin or a CLI env var; refuses a key given as an argument. */
async function readKey(opts: KeyOpts, io: CliIo): Promise<string | null | undefined> {
  if (opts.key !== undefined || opts.apiKey !== undefined)
    throw new UsageError(`refusing a key given on the command line. ${KEY_HINT}`);
  const chosen = [opts.keyStdin, opts.keyEnv !== undefined, opts.noKey].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('use only one of --key-stdin, --key-env VAR and --no-key');
  if (opts.noKey) return null;
  if (opts.keyEnv !== undefined) {
    const value = io.env[opts.keyEnv]?.trim();
    if (!value)
      throw new UsageError(`--key-env ${opts.keyEnv}: that variable is not set or empty in this shell`);
    return value;
  }
  if (opts.keyStdin) {
    const text = await io.readStdin();
    if (text === null)
      throw new UsageError(
        '--key-stdin reads the key from a pipe, and stdin is a terminal. Example: printf %s "$KEY" | agentdesk providers add openai --key-stdin',
      );
    const value = text.trim();
    if (!value) throw new UsageError('--key-stdin: stdin was empty');
    return value;
  }
  return undefined;
}

function refuseKeyWords(words: string[]): void {
  if (words.some(looksLikeKey))
    throw new UsageError(`refusing what looks like a key given as an argument. ${KEY_HINT}`);
  if (words.length)
    throw new UsageError(`unexpected argument${words.length > 1 ? 's' : ''}: ${words.join(' ')}`);
}

function keyOptions(cmd: Command, noKeyHelp: string): Command {
  return cmd
    .option('--key-stdin', 'read the key from stdin (e.g. printf %s "$KEY" | …)')
    .option('--key-env <VAR>', 'take the key from this environment variable of the shell')
    .addOption(new Option('--no-key', noKeyHelp))
    .addOption(new Option('--key <value>').hideHelp())
    .addOption(new Option('--api-key <value>').hideHelp());
}

/** The options `providers add` and `edit` share, as commander gives them (`--no-key` is `key: false`). */
type ProviderRawOpts = {
  name?: string;
  baseUrl?: string;
  probe: boolean;
  json?: boolean;
  key?: string | boolean;
};

/** commander gives `--no-key` as `key: false`; a real `--key VALUE` stays a string. */
function normaliseKeyOpts<T extends { key?: string | boolean }>(o: T): Omit<T, 'key'> & KeyOpts {
  const { key, ...rest } = o;
  return { ...rest, key: typeof key === 'string' ? key : undefined, noKey: key === false };
}

/**
 * Builds the `providers` command tree. Every action runs against the core of the data dir
 * (`--home`, AGENTDESK_HOME or the app's), started in-process when none is running; prints tidy
 * text or, with `--json`, the contract's JSON; on error prints one line to stderr and sets a
 * non-zero exit code (1; 2 when a core exists but does not answer).
 * @param globalHome the program-level `--home`, read when an action runs.
 */
export function providersCommand(io: CliIo, globalHome: () => string | undefined): Command {
  const { cmd, run, print } = commandGroup(
    io,
    'providers',
    'list, add, edit, remove and test model providers',
    globalHome,
  );

  showCommand(cmd, run, io, 'list', 'list configured providers', {
    json: 'the providers',
    get: (c) => c.providers.list({}),
    format: formatProviders,
  });

  cmd
    .command('catalog')
    .description('list every provider type that can be added')
    .option('--json', 'print the catalog as JSON')
    .action((o: { json?: boolean }) => {
      const entries = CATALOG.map((e) => CatalogEntry.parse(e));
      print(Boolean(o.json), entries, formatCatalog(entries));
    });

  keyOptions(
    cmd
      .command('add')
      .description(
        'add a provider: agentdesk providers add TYPE [--name N] [--base-url URL] (--key-stdin | --key-env VAR | --no-key)',
      )
      .argument('<type>', `provider type: ${PROVIDER_TYPES.join(', ')}`)
      .argument('[extra...]')
      .option('--name <name>', 'display name (default: the type label)')
      .option('--id <id>', 'provider id (default: derived from the name)')
      .option(
        '--base-url <url>',
        'base URL (default: the type’s canonical URL; required for openai-compatible)',
      )
      .option('--no-probe', 'do not list models after adding')
      .option('--json', 'print the provider as JSON'),
    'add without a key (keyless servers, or a key the core reads from AGENTDESK_KEY_<ID>)',
  ).action(async (type: string, extra: string[], raw: ProviderRawOpts & { id?: string }) => {
    const o = normaliseKeyOpts(raw);
    await run(
      'add',
      async (c, json) => {
        if (looksLikeKey(type))
          throw new UsageError(`refusing what looks like a key given as the type. ${KEY_HINT}`);
        refuseKeyWords(extra);
        const entry = findCatalogEntry(type);
        if (!entry)
          throw new UsageError(`unknown provider type "${type}". Valid types: ${PROVIDER_TYPES.join(', ')}`);
        const key = await readKey(o, io);
        if (key && entry.key === 'none')
          throw new UsageError(`${entry.label} does not use a key; add it without --key-stdin/--key-env`);
        if (key === undefined && entry.key === 'required' && !o.noKey)
          throw new UsageError(
            `${entry.label} needs a key: use --key-stdin or --key-env VAR (or --no-key if the core gets it from AGENTDESK_KEY_<ID>)`,
          );
        const p = await c.providers.add({
          type,
          ...(o.name !== undefined && { name: o.name }),
          ...(o.id !== undefined && { id: o.id }),
          ...(o.baseUrl !== undefined && { base_url: o.baseUrl }),
          ...(key && { key }),
          probe: o.probe,
        });
        print(json, p, `Added ${formatProvider(p)}`);
      },
      Boolean(o.json),
    )();
  });

  keyOptions(
    cmd
      .command('edit')
      .description(
        'change a provider’s name, base URL or key (a base URL on another host removes the stored key unless a new one is given)',
      )
      .argument('<id>')
      .argument('[extra...]')
      .option('--name <name>', 'new display name')
      .option('--base-url <url>', 'new base URL')
      .option(
        '--accept-env-key',
        "send AGENTDESK_KEY_<ID> (in the core's environment) to the provider's current host, after a move",
      )
      .option('--no-probe', 'do not list models after a change of URL or key')
      .option('--json', 'print the provider as JSON'),
    'delete the stored key',
  ).action(async (id: string, extra: string[], raw: ProviderRawOpts & { acceptEnvKey?: boolean }) => {
    const o = normaliseKeyOpts(raw);
    await run(
      'edit',
      async (c, json) => {
        refuseKeyWords(extra);
        const key = await readKey(o, io);
        const p = await c.providers.edit({
          id,
          ...(o.name !== undefined && { name: o.name }),
          ...(o.baseUrl !== undefined && { base_url: o.baseUrl }),
          ...(key !== undefined && { key }),
          ...(o.acceptEnvKey && { accept_env_key: true as const }),
          probe: o.probe,
        });
        print(json, p, `Updated ${formatProvider(p)}${p.key_removed ? `\n${p.key_removed}` : ''}`);
      },
      Boolean(o.json),
    )();
  });

  cmd
    .command('remove')
    .description('remove a provider and delete its key from the keychain')
    .argument('<id>')
    .option('--yes', 'remove it even when agents use it (their chats fail until they get another model)')
    .option('--json', 'print the result as JSON')
    .action((id: string, o: { yes?: boolean; json?: boolean }) =>
      run(
        'remove',
        async (c, json) => {
          const users = agentsUsingProvider((await c.agents.list({})).agents, id);
          if (users.length > 0 && !o.yes)
            throw new AppError(
              'INVALID_INPUT',
              `${users.length === 1 ? 'agent' : 'agents'} ${users.map((a) => a.slug).join(', ')} ${users.length === 1 ? 'uses' : 'use'} ${id}; removing it makes their chats fail: add --yes to confirm`,
            );
          if (users.length > 0 && !json)
            io.err.write(
              `note: ${users.map((a) => a.slug).join(', ')} no longer ${users.length === 1 ? 'has' : 'have'} a served model\n`,
            );
          const r = await c.providers.remove({ id });
          print(json, r, `Removed ${r.id}${r.key_deleted ? ' and its key from the keychain' : ''}`);
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('test')
    .description('list the provider’s models with its key; exit 1 when that fails')
    .argument('<id>')
    .option('--json', 'print the result as JSON')
    .action((id: string, o: { json?: boolean }) =>
      run(
        'test',
        async (c, json) => {
          const r = await c.providers.test({ id });
          if (json) print(true, r, '');
          else if (r.probe.ok) print(false, null, formatProbe(id, r.probe));
          else io.err.write(`agentdesk providers test: ${formatProbe(id, r.probe)}\n`);
          return r.probe.ok ? 0 : 1;
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('models')
    .description('list the provider’s models (cached; --refresh fetches them again)')
    .argument('<id>')
    .option('--refresh', 'fetch the list from the provider first')
    .option('--json', 'print the models as JSON')
    .action((id: string, o: { refresh?: boolean; json?: boolean }) =>
      run(
        'models',
        async (c, json) => {
          const m = await c.providers.models({ id, refresh: Boolean(o.refresh) });
          print(json, m, formatModels(m));
        },
        Boolean(o.json),
      )(),
    );

  const discoverHelp = 'find local model servers on their usual ports and provider keys in the environment';
  showCommand(cmd, run, io, 'discover', discoverHelp, {
    json: 'the findings',
    get: (c) => c.providers.discover({}),
    format: formatDiscovery,
  });

  cmd
    .command('network')
    .description(
      'whether this machine has a route to the internet (exit 1 when offline), and which providers are unreachable',
    )
    .option('--json', 'print the network status as JSON')
    .action((o: { json?: boolean }) =>
      run(
        'network',
        async (c, json) => {
          const n = await c.providers.network({});
          const unreachable = n.unreachable.length ? `\nunreachable: ${n.unreachable.join(', ')}` : '';
          print(json, n, `${n.online ? 'online' : 'offline'}: ${n.detail}${unreachable}`);
          return n.online ? 0 : 1;
        },
        Boolean(o.json),
      )(),
    );

  return cmd;
}
