// Runs the host's iptables tools (the same `iptables` Docker and Incus use: nf_tables or legacy backend) for egress rules.
import { run, SpawnError } from '../../platform/spawn';

/** Deadline of one iptables command in ms (`-w` waits for the xtables lock within it). */
const IPTABLES_TIMEOUT_MS = 20_000;

/** Which tool family: IPv4 (`iptables`) or IPv6 (`ip6tables`). */
export type IpFamily = 4 | 6;

/**
 * A thin, typed door to `iptables`, `iptables-restore` and `iptables-save` (and their IPv6 twins),
 * found on PATH plus /usr/sbin and /sbin. Every call waits for the xtables lock (`-w`).
 * @throws SpawnError with the command, its exit code and stderr when a command fails.
 */
export class Iptables {
  private readonly env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.env = { ...env, PATH: `${env.PATH ?? ''}:/usr/sbin:/sbin` };
  }

  private tool(family: IpFamily, suffix = ''): string {
    return `${family === 6 ? 'ip6tables' : 'iptables'}${suffix}`;
  }

  /** `iptables -w -t TABLE ARGS…` → stdout. */
  async exec(table: 'filter' | 'nat', args: string[], family: IpFamily = 4): Promise<string> {
    const r = await run(this.tool(family), ['-w', '-t', table, ...args], {
      timeoutMs: IPTABLES_TIMEOUT_MS,
      env: this.env,
      fullStdout: true,
    });
    return r.stdout;
  }

  /** True when the rule exists (`-C`); false when iptables says it does not (exit 1). */
  async has(table: 'filter' | 'nat', chain: string, args: string[], family: IpFamily = 4): Promise<boolean> {
    try {
      await this.exec(table, ['-C', chain, ...args], family);
      return true;
    } catch (err) {
      if (err instanceof SpawnError && err.exitCode === 1) return false;
      throw err;
    }
  }

  /** True when the chain exists in the table. */
  async chainExists(table: 'filter' | 'nat', chain: string, family: IpFamily = 4): Promise<boolean> {
    try {
      await this.exec(table, ['-S', chain, '1'], family);
      return true;
    } catch (err) {
      if (err instanceof SpawnError && err.exitCode === 1) return false;
      throw err;
    }
  }

  /** The rules of a chain as `-A CHAIN …` lines (`iptables -S CHAIN`), the `-N`/`-P` line dropped. */
  async rules(table: 'filter' | 'nat', chain: string, family: IpFamily = 4): Promise<string[]> {
    const out = await this.exec(table, ['-S', chain], family);
    return out.split('\n').filter((l) => l.startsWith('-A '));
  }

  /** Every chain name of the table (`iptables -S`: its `-N` and `-P` lines). */
  async chains(table: 'filter' | 'nat', family: IpFamily = 4): Promise<string[]> {
    const out = await this.exec(table, ['-S'], family);
    return out
      .split('\n')
      .filter((l) => l.startsWith('-N ') || l.startsWith('-P '))
      .map((l) => l.split(' ')[1]!);
  }

  /** Applies `iptables-restore --noflush` input in one transaction. */
  async restore(input: string, family: IpFamily = 4): Promise<void> {
    await run(this.tool(family, '-restore'), ['-w', '--noflush'], {
      timeoutMs: IPTABLES_TIMEOUT_MS,
      env: this.env,
      input,
    });
  }

  /**
   * Whether this process can change the host's firewall: `iptables -w -S INPUT 1` succeeds (needs
   * CAP_NET_ADMIN in the host's network namespace, i.e. root in practice).
   * @returns null when it can, else why not (one line).
   */
  async probe(): Promise<string | null> {
    try {
      await this.exec('filter', ['-S', 'INPUT', '1']);
      await this.exec('nat', ['-S', 'PREROUTING', '1']);
      return null;
    } catch (err) {
      const e = err as SpawnError;
      if (e.cause && (e.cause as NodeJS.ErrnoException).code === 'ENOENT')
        return 'iptables is not installed (Debian: apt-get install iptables)';
      return `iptables cannot be used by this process (${e.message.split('\n')[0]})`;
    }
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
