// The host's iptables for egress rules, behind one small executor interface: run here (root) or through the helper container.
import { run, SpawnError } from '../../platform/spawn';
import { LOG_PREFIX } from './egress-names';
import { KernelLogFollower } from './kernel-log';
import { checkQuery, checkRestore } from './rule-guard';
import type { FirewallTable } from './rule-guard';

/** Deadline of one iptables command in ms (`-w` waits for the xtables lock within it). */
export const IPTABLES_TIMEOUT_MS = 20_000;

/** Which tool family: IPv4 (`iptables`) or IPv6 (`ip6tables`). */
export type IpFamily = 4 | 6;

/** How egress rules reach the host firewall: this process as root, or the helper container. */
export type Enforcement = 'root' | 'helper';

/**
 * An iptables command failed. `exitCode` is iptables' own (1 = "no such rule" for `-C`), `null` when it
 * did not run; `refused` = the rule guard refused it before it ran (rule-guard.ts).
 */
export class IptablesCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr = '',
    readonly refused = false,
  ) {
    super(message);
    this.name = 'IptablesCommandError';
  }
}

/**
 * Where iptables commands run. Two implementations: {@link LocalIptables} (this process, root) and the
 * helper container's session (egress-helper-client.ts). Both check every command with rule-guard.ts
 * before running it, so the same rules pass or fail the same way.
 */
export interface IptablesExecutor {
  readonly kind: Enforcement;
  /**
   * A read-only command: `iptables -w -t TABLE -S …` or `-C …` (IPv6: ip6tables). @returns stdout.
   * @throws IptablesCommandError (exit code 1 when `-C` finds no such rule).
   */
  query(family: IpFamily, table: FirewallTable, args: string[]): Promise<string>;
  /** `iptables-restore -w --noflush` of `input`, one transaction. @throws IptablesCommandError. */
  restore(family: IpFamily, input: string): Promise<void>;
  /**
   * Follows the kernel log: `onMessage` gets the text of each new record that carries our LOG prefix.
   * @returns null when following, else why not (one line).
   */
  followKernelLog(onMessage: (message: string) => void): Promise<string | null>;
  /** Stops following and releases what the executor holds (rules stay). */
  close(): void;
}

/** The iptables command names of a family and backend (`iptables-nft-restore`, `ip6tables-legacy`…). */
export function iptablesTool(
  family: IpFamily,
  suffix: '' | '-restore',
  backend: 'nft' | 'legacy' | null = null,
): string {
  return `${family === 6 ? 'ip6tables' : 'iptables'}${backend ? `-${backend}` : ''}${suffix}`;
}

/** Turns a failed spawn of iptables into {@link IptablesCommandError}. */
export function commandError(err: unknown): IptablesCommandError {
  if (err instanceof SpawnError) return new IptablesCommandError(err.message, err.exitCode, err.stderr);
  return new IptablesCommandError((err as Error).message, null);
}

/**
 * Runs iptables in this process (root: CAP_NET_ADMIN in the host's network namespace), found on PATH
 * plus /usr/sbin and /sbin, after the same guard the helper applies. Follows /dev/kmsg itself.
 */
export class LocalIptables implements IptablesExecutor {
  readonly kind = 'root' as const;
  private readonly env: NodeJS.ProcessEnv;
  private kmsg: KernelLogFollower | null = null;
  private probed: { at: number; tables: ProbedTables } | null = null;

  constructor(
    env: Readonly<NodeJS.ProcessEnv>,
    private readonly kmsgPath = '/dev/kmsg',
  ) {
    this.env = { ...env, PATH: `${env.PATH ?? ''}:/usr/sbin:/sbin` };
  }

  async query(family: IpFamily, table: FirewallTable, args: string[]): Promise<string> {
    const why = checkQuery(args);
    if (why) throw new IptablesCommandError(`refused: ${why}`, null, '', true);
    try {
      const r = await run(iptablesTool(family, ''), ['-w', '-t', table, ...args], {
        timeoutMs: IPTABLES_TIMEOUT_MS,
        env: this.env,
        fullStdout: true,
      });
      return r.stdout;
    } catch (err) {
      throw commandError(err);
    }
  }

  async restore(family: IpFamily, input: string): Promise<void> {
    const why = checkRestore(input, family);
    if (why) throw new IptablesCommandError(`refused: ${why}`, null, '', true);
    try {
      await run(iptablesTool(family, '-restore'), ['-w', '--noflush'], {
        timeoutMs: IPTABLES_TIMEOUT_MS,
        env: this.env,
        input,
      });
    } catch (err) {
      throw commandError(err);
    }
  }

  followKernelLog(onMessage: (message: string) => void): Promise<string | null> {
    this.kmsg?.close();
    this.kmsg = new KernelLogFollower(onMessage, this.kmsgPath, `${LOG_PREFIX} `);
    return Promise.resolve(this.kmsg.start());
  }

  close(): void {
    this.kmsg?.close();
    this.kmsg = null;
  }

  /**
   * Whether this process can change the host's firewall: `iptables -w -t filter -S` and `-t nat -S`
   * succeed (CAP_NET_ADMIN in the host's network namespace, i.e. root in practice). What they printed is
   * kept for {@link probedTables}, so the first look at the rules needs no command of its own.
   * @returns null when it can, else why not (one line).
   */
  async probe(): Promise<string | null> {
    try {
      const filter = await this.query(4, 'filter', ['-S']);
      const nat = await this.query(4, 'nat', ['-S']);
      this.probed = { at: performance.now(), tables: { filter, nat } };
      return null;
    } catch (err) {
      const e = err as IptablesCommandError;
      if (e.exitCode === null && /ENOENT/.test(e.message))
        return 'iptables is not installed (Debian: apt-get install iptables)';
      return `iptables cannot be used by this process (${e.message.split('\n')[0]})`;
    }
  }

  /**
   * The IPv4 filter and nat tables as the last successful {@link probe} printed them (`iptables -S`),
   * and how old that is in ms; null before a successful probe. Given out once.
   */
  probedTables(): { ageMs: number; tables: ProbedTables } | null {
    const p = this.probed;
    this.probed = null;
    return p && { ageMs: performance.now() - p.at, tables: p.tables };
  }
}

/** `iptables -S` output of whole IPv4 tables, by table. */
export type ProbedTables = Partial<Record<FirewallTable, string>>;

/**
 * The backend of the host's `iptables` (`iptables -V` prints `(nf_tables)` or `(legacy)`; no privilege
 * needed). Rules must be written with the backend Docker and Incus use, or they land in other tables.
 * @returns null when iptables is not installed here.
 */
export async function hostIptablesBackend(
  env: Readonly<NodeJS.ProcessEnv>,
): Promise<'nft' | 'legacy' | null> {
  try {
    const r = await run('iptables', ['-V'], {
      timeoutMs: 5_000,
      env: { ...env, PATH: `${env.PATH ?? ''}:/usr/sbin:/sbin` },
    });
    return /legacy/.test(r.stdout) ? 'legacy' : 'nft';
  } catch {
    return null;
  }
}

/** One argument as iptables-restore reads it: quoted when it holds spaces. @throws for quotes, backslashes, newlines. */
function restoreWord(arg: string): string {
  if (/^[^\s"'\\]+$/.test(arg)) return arg;
  if (/["'\\\n\r]/.test(arg))
    throw new Error(`an iptables argument cannot hold quotes, backslashes or newlines: ${arg}`);
  return `"${arg}"`;
}

/** A single write command (`-N`, `-A`, `-I`, `-D`, `-F`, `-X` …) as `iptables-restore --noflush` input. */
export function restoreOf(table: FirewallTable, args: string[]): string {
  return restoreOfMany([{ table, args }]);
}

/**
 * Write commands as one `iptables-restore --noflush` input: one block per table (in the order each table
 * first appears), the commands of a table in their order. Empty input for no command.
 */
export function restoreOfMany(commands: readonly { table: FirewallTable; args: string[] }[]): string {
  const byTable = new Map<FirewallTable, string[]>();
  for (const c of commands) {
    const lines = byTable.get(c.table) ?? [];
    lines.push(c.args.map(restoreWord).join(' '));
    byTable.set(c.table, lines);
  }
  return [...byTable].map(([table, lines]) => `*${table}\n${lines.join('\n')}\nCOMMIT\n`).join('');
}

/**
 * A thin, typed door to the host's iptables (and ip6tables) over an {@link IptablesExecutor}. Reads
 * (`-S`, `-C`) are queries; every write is an `iptables-restore --noflush` transaction, so the helper
 * container needs no other way to change the firewall.
 * @throws IptablesCommandError with the command's exit code and stderr when a command fails.
 */
export class Iptables {
  constructor(readonly executor: IptablesExecutor) {}

  /** `iptables -w -t TABLE ARGS…` → stdout (writes go through iptables-restore, see the class doc). */
  async exec(table: FirewallTable, args: string[], family: IpFamily = 4): Promise<string> {
    if (args[0] === '-S' || args[0] === '-C') return this.executor.query(family, table, args);
    await this.executor.restore(family, restoreOf(table, args));
    return '';
  }

  /** True when the rule exists (`-C`); false when iptables says it does not (exit 1). */
  async has(table: FirewallTable, chain: string, args: string[], family: IpFamily = 4): Promise<boolean> {
    try {
      await this.exec(table, ['-C', chain, ...args], family);
      return true;
    } catch (err) {
      if (err instanceof IptablesCommandError && err.exitCode === 1) return false;
      throw err;
    }
  }

  /** True when the chain exists in the table. */
  async chainExists(table: FirewallTable, chain: string, family: IpFamily = 4): Promise<boolean> {
    try {
      await this.exec(table, ['-S', chain, '1'], family);
      return true;
    } catch (err) {
      if (err instanceof IptablesCommandError && err.exitCode === 1) return false;
      throw err;
    }
  }

  /** The rules of a chain as `-A CHAIN …` lines (`iptables -S CHAIN`), the `-N`/`-P` line dropped. */
  async rules(table: FirewallTable, chain: string, family: IpFamily = 4): Promise<string[]> {
    const out = await this.exec(table, ['-S', chain], family);
    return out.split('\n').filter((l) => l.startsWith('-A '));
  }

  /** Every chain name of the table (`iptables -S`: its `-N` and `-P` lines). */
  async chains(table: FirewallTable, family: IpFamily = 4): Promise<string[]> {
    const out = await this.exec(table, ['-S'], family);
    return out
      .split('\n')
      .filter((l) => l.startsWith('-N ') || l.startsWith('-P '))
      .map((l) => l.split(' ')[1]!);
  }

  /** Applies `iptables-restore --noflush` input in one transaction. */
  restore(input: string, family: IpFamily = 4): Promise<void> {
    return this.executor.restore(family, input);
  }
}

/** An `iptables -S` line (`-A CHAIN args…`) as the arguments of the same rule for `-D`/`-C`, split like a shell would. */
export function ruleArgs(line: string): { chain: string; args: string[] } {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  const [flag, chain, ...args] = words;
  if (flag !== '-A' || !chain) throw new Error(`not an iptables -S rule line: ${line}`);
  return { chain, args };
}
