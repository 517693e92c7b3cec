// Checks iptables commands before they run: reads anywhere, writes only Agent Desk's own chains and the jumps into them.
import fs from 'node:fs';

/** The iptables tables egress uses. */
export type FirewallTable = 'filter' | 'nat';

/**
 * Agent Desk's chains (docs/decisions/009-egress.md): the shared `AGENTDESK-*` chains and the per-agent
 * `ADE-<10 hex>-F|I|R` chains. Nothing else is ever written.
 */
export const OWN_CHAIN = /^(AGENTDESK-[A-Z0-9]{1,16}|ADE-[0-9a-f]{10}-[FIR])$/;
const SHARED_CHAIN = /^AGENTDESK-[A-Z0-9]{1,16}$/;

/**
 * Chains of others that may hold only a jump to a shared chain of ours (`-I|-A|-D CHAIN [N] -j AGENTDESK-…`):
 * the built-in hooks and Docker's DOCKER-USER, per table; IPv6 uses the filter hooks only.
 */
const HOOKS: Record<FirewallTable, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'DOCKER-USER'],
  nat: ['PREROUTING', 'POSTROUTING'],
};

/** Every option egress rules use (egress-rules.ts), each followed by one value. */
const OPTIONS = new Set([
  '-s',
  '-d',
  '-i',
  '-o',
  '-p',
  '-m',
  '-j',
  '--dport',
  '--ctstate',
  '--ctdir',
  '--limit',
  '--limit-burst',
  '--log-prefix',
  '--log-level',
  '--reject-with',
  '--comment',
  '--to-destination',
]);
/** Options that `!` may negate. */
const NEGATABLE = new Set(['-s', '-d', '-i', '-o', '-p']);
const MODULES = new Set(['conntrack', 'limit', 'comment', 'tcp', 'udp']);
const PROTOCOLS = new Set(['tcp', 'udp', 'icmp']);
const TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'LOG', 'RETURN', 'DNAT', 'MASQUERADE']);
/** A value: no leading `-` (it would be read as an option), nothing a shell or iptables-restore treats specially. */
const VALUE = /^[A-Za-z0-9_.:/,+ ][A-Za-z0-9_.:/,+ -]{0,255}$/;
const INTERFACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}\+?$/;
const ANY_CHAIN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,28}$/;
/** Largest restore input accepted (a policy of 64 entries × 32 addresses is ≈ 0.5 MB). */
export const RESTORE_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Whether `name` (an iptables interface match, `+` = prefix) is an agent network: an Incus routed NIC
 * (`adeg…`, egress-names.ts) or a Linux bridge of this host (Docker's agents network; a bridge has
 * `/sys/class/net/<name>/bridge`). The host's LAN interfaces are not bridges.
 */
export function isAgentInterface(name: string, sysClassNet = '/sys/class/net'): boolean {
  if (/^adeg[0-9a-f]{0,10}\+?$/.test(name)) return true;
  if (!INTERFACE.test(name) || name.endsWith('+')) return false;
  return fs.existsSync(`${sysClassNet}/${name}/bridge`);
}

/**
 * Splits one iptables-restore line into words like iptables-restore does (whitespace, double quotes
 * group). @returns the words, or why the line is refused (backslashes, single quotes and control
 * characters are never used by Agent Desk, so they are refused rather than interpreted).
 */
export function splitRestoreLine(line: string): string[] | string {
  if (/[\\']/.test(line) || !/^[\x20-\x7e]*$/.test(line))
    return 'backslashes, single quotes and control or non-ASCII characters are not allowed';
  const words: string[] = [];
  // A word is quoted as a whole or not at all: iptables-restore would join `a"b c"` into one word.
  const re = /\s*(?:"([^"]*)"|([^\s"]+))(?=\s|$)/y;
  let at = 0;
  while (at < line.length && line.slice(at).trim()) {
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m) return 'a double quote that is unclosed or inside a word';
    words.push(m[1] ?? m[2]!);
    at = re.lastIndex;
  }
  return words;
}

/** What a rule's words say, once checked. */
interface RuleFacts {
  target: string;
  /** Interfaces matched positively (`-i X`, `-o X`, not after `!`). */
  interfaces: string[];
  /** A positive `-s` match. */
  source: boolean;
}

/** Checks a rule specification (the words after `-A CHAIN`). @returns the facts or why it is refused. */
function checkRule(words: string[]): RuleFacts | string {
  let target: string | null = null;
  const interfaces: string[] = [];
  let source = false;
  for (let i = 0; i < words.length; i++) {
    let option = words[i]!;
    let negated = false;
    if (option === '!') {
      negated = true;
      option = words[++i] ?? '';
      if (!NEGATABLE.has(option)) return `"!" must be followed by one of ${[...NEGATABLE].join(' ')}`;
    }
    if (!OPTIONS.has(option)) return `the option "${option}" is not allowed`;
    const value = words[++i];
    if (value === undefined || !VALUE.test(value))
      return `the value of ${option} is missing or not allowed ("${value ?? ''}")`;
    if (option === '-m' && !MODULES.has(value)) return `the match module "${value}" is not allowed`;
    if (option === '-p' && !PROTOCOLS.has(value)) return `the protocol "${value}" is not allowed`;
    if ((option === '-i' || option === '-o') && !INTERFACE.test(value))
      return `"${value}" is not an interface name`;
    if ((option === '-i' || option === '-o') && !negated) interfaces.push(value);
    if (option === '-s' && !negated) source = true;
    if (option === '-j') {
      if (target !== null) return 'a rule has one -j';
      if (!TARGETS.has(value) && !OWN_CHAIN.test(value))
        return `the target "${value}" is neither one of ${[...TARGETS].join(', ')} nor a chain of Agent Desk`;
      target = value;
    }
  }
  if (target === null) return 'a rule needs a -j target';
  return { target, interfaces, source };
}

/**
 * In a shared chain (jumped to first from the built-in chains), a rule that lets packets through or
 * redirects them must be about agents: ACCEPT, DNAT and jumps into other chains of ours need a positive
 * `-i`/`-o` match of an agent network; MASQUERADE needs a positive `-s`. Otherwise one rule in
 * `AGENTDESK-IN` could open the host's whole INPUT chain. Refusing (DROP, REJECT, LOG, RETURN) is free.
 */
function checkSharedRule(facts: RuleFacts, agentInterface: (name: string) => boolean): string | null {
  if (facts.target === 'MASQUERADE')
    return facts.source ? null : 'MASQUERADE in a shared chain needs a -s match of an agent network';
  if (facts.target !== 'ACCEPT' && facts.target !== 'DNAT' && !OWN_CHAIN.test(facts.target)) return null;
  if (facts.interfaces.some((name) => agentInterface(name))) return null;
  return `-j ${facts.target} in a shared chain needs a -i or -o match of an agent network (adeg… or a bridge of this host)`;
}

/**
 * Checks one command of a restore input or a single write: `-N|-F|-X OWN`, `-A|-I|-D OWN [N] rule…`,
 * `-A|-I|-D HOOK [N] -j AGENTDESK-…`. @returns null when allowed, else why not.
 */
export function checkWrite(
  table: FirewallTable,
  words: string[],
  agentInterface: (name: string) => boolean = isAgentInterface,
): string | null {
  const [command = '', chain = '', ...rest] = words;
  if (command === '-N' || command === '-F' || command === '-X') {
    if (!OWN_CHAIN.test(chain))
      return `${command} is allowed only on a chain of Agent Desk (AGENTDESK-*, ADE-*), not "${chain}"`;
    return rest.length ? `${command} takes only the chain` : null;
  }
  if (command !== '-A' && command !== '-I' && command !== '-D')
    return `the command "${command}" is not allowed (only -N, -F, -X, -A, -I, -D)`;
  const numbered = (command === '-I' || command === '-D') && /^[1-9]\d{0,3}$/.test(rest[0] ?? '');
  const spec = numbered ? rest.slice(1) : rest;
  if (OWN_CHAIN.test(chain)) {
    if (command === '-D' && numbered && spec.length === 0) return null;
    const facts = checkRule(spec);
    if (typeof facts === 'string') return facts;
    if (command !== '-D' && SHARED_CHAIN.test(chain)) return checkSharedRule(facts, agentInterface);
    return null;
  }
  if (HOOKS[table].includes(chain)) {
    if (spec.length === 2 && spec[0] === '-j' && SHARED_CHAIN.test(spec[1]!)) return null;
    return `${chain} may only hold a bare jump to a shared chain of Agent Desk (-j AGENTDESK-…)`;
  }
  return `"${chain}" is not a chain of Agent Desk (AGENTDESK-*, ADE-*) nor one it jumps from`;
}

/**
 * Checks `iptables-restore --noflush` input: tables `filter` and `nat` (IPv6: `filter`), each closed by
 * `COMMIT`; chain declarations only of our chains with policy `-` (a built-in chain's declaration sets
 * its policy); every command per {@link checkWrite}. Blank lines and `#` comments pass.
 * @returns null when the whole input is allowed, else `line N: why` for the first line refused.
 */
export function checkRestore(
  input: string,
  family: 4 | 6,
  agentInterface: (name: string) => boolean = isAgentInterface,
): string | null {
  if (Buffer.byteLength(input) > RESTORE_MAX_BYTES)
    return `the input is larger than ${RESTORE_MAX_BYTES} bytes`;
  const tables: readonly FirewallTable[] = family === 6 ? ['filter'] : ['filter', 'nat'];
  let table: FirewallTable | null = null;
  const lines = input.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    const at = (why: string) => `line ${n + 1} ("${line.slice(0, 120)}"): ${why}`;
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      if (table) return at(`table ${table} was not committed`);
      const name = line.slice(1) as FirewallTable;
      if (!tables.includes(name)) return at(`only the tables ${tables.join(', ')} may be changed`);
      table = name;
      continue;
    }
    if (!table) return at('outside a table (*filter … COMMIT)');
    if (line === 'COMMIT') {
      table = null;
      continue;
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+) - \[0:0\]$/.exec(line);
      if (!m || !OWN_CHAIN.test(m[1]!))
        return at('only chains of Agent Desk may be declared, with policy "-"');
      continue;
    }
    const words = splitRestoreLine(line);
    if (typeof words === 'string') return at(words);
    const why = checkWrite(table, words, agentInterface);
    if (why) return at(why);
  }
  return table ? `table ${table} is not committed (COMMIT missing)` : null;
}

/**
 * Checks a read-only command: `-S [CHAIN [N]]` or `-C CHAIN rule…` (a rule made of the options egress
 * uses). @returns null when allowed, else why not.
 */
export function checkQuery(args: readonly string[]): string | null {
  const [command, chain, ...rest] = args;
  if (chain !== undefined && !ANY_CHAIN.test(chain)) return `"${chain}" is not a chain name`;
  if (command === '-S') {
    if (rest.length === 0 || (rest.length === 1 && /^[1-9]\d{0,3}$/.test(rest[0]!))) return null;
    return '-S takes at most a chain and a rule number';
  }
  if (command === '-C') {
    if (chain === undefined) return '-C needs a chain';
    const facts = checkRule(rest);
    return typeof facts === 'string' ? facts : null;
  }
  return `only -S and -C may be used to read (not "${command ?? ''}")`;
}
