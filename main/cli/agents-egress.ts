// The egress parts of `agentdesk agents`: `--egress`/`--allow` of create, and `agents policy AGENT --egress … --allow … --remove …`.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Agent } from '../../contract/agents';
import type { Client } from '../../contract/client';
import { EgressMode, formatAllowTarget, parseAllowEntry } from '../../contract/egress';
import { printer } from './command-runner';
import type { CommandRun, RunnerIo } from './command-runner';

/** Parses `--egress` (none, allowlist, open). @throws InvalidArgumentError listing the valid modes. */
export function parseEgressMode(value: string): EgressMode {
  const r = EgressMode.safeParse(value.trim().toLowerCase());
  if (!r.success)
    throw new InvalidArgumentError(
      `"${value}" is not an egress mode; valid: ${EgressMode.options.join(', ')}`,
    );
  return r.data;
}

/**
 * Parses one `--allow`/`--remove` value (repeatable; commas separate several) into normalised entries,
 * added to `previous`. @throws InvalidArgumentError with what is wrong and the valid forms.
 */
export function parseAllowOption(value: string, previous: string[] = []): string[] {
  const out = [...previous];
  for (const raw of value.split(',')) {
    if (!raw.trim()) continue;
    const t = parseAllowEntry(raw);
    if ('error' in t) throw new InvalidArgumentError(t.error);
    const entry = formatAllowTarget(t);
    if (!out.includes(entry)) out.push(entry);
  }
  return out;
}

/**
 * How the host enforces it, after the policy: `(enforced as root)`, `(enforced by the egress helper
 * container)`, or why it is not.
 */
function enforcementNote(e: Agent['egress']): string {
  switch (e.enforcement) {
    case 'root':
      return ' (enforced as root)';
    case 'helper':
      return ' (enforced by the egress helper container)';
    case 'proxy':
      return " (enforced by Agent Desk's egress proxy on its engine: TCP only, open = public addresses)";
    case 'off':
      return ' — NOT ENFORCED: egress control is off (AGENTDESK_EGRESS=off)';
    case 'starting':
      return ' — not enforced yet (egress enforcement is being prepared)';
    default:
      return ' — NOT ENFORCED on this host (`agentdesk status` says why; see docs/security/egress.md)';
  }
}

/** The agent's egress policy on one line, e.g. `egress allowlist: api.example.com:443, 203.0.113.7 (enforced as root)`. */
export function formatEgress(a: Agent): string {
  const e = a.egress;
  const list = e.allow.length ? e.allow.join(', ') : 'no entries';
  const what =
    e.mode === 'none'
      ? 'none (gateway only)'
      : e.mode === 'open'
        ? `open (any outside address)${e.allow.length ? `; allowlist kept: ${list}` : ''}`
        : `allowlist: ${list}`;
  return `egress ${what}${enforcementNote(e)}`;
}

/** Adds `agents policy` to the `agents` command (run = the group's commandRunner). */
export function addPolicyCommand(
  cmd: Command,
  io: RunnerIo,
  run: CommandRun,
  findAgent: (c: Client, ref: string) => Promise<Agent>,
): void {
  const print = printer(io);
  cmd
    .command('policy')
    .description(
      'show or change what an agent may reach besides its gateway: --egress none|allowlist|open, --allow/--remove HOST[:PORT] (applied to a running agent at once)',
    )
    .argument('<agent>', 'id, slug or name')
    .option('--egress <mode>', 'none (gateway only), allowlist, or open', parseEgressMode)
    .option(
      '--allow <host[:port]>',
      'add an allowlist entry (repeatable): name, *.domain, IPv4 or CIDR',
      parseAllowOption,
    )
    .option('--remove <host[:port]>', 'remove an allowlist entry (repeatable)', parseAllowOption)
    .option('--json', 'print JSON')
    .action((ref: string, o: { egress?: EgressMode; allow?: string[]; remove?: string[]; json?: boolean }) =>
      run(
        'policy',
        async (c, json) => {
          let a = await findAgent(c, ref);
          const change = o.egress !== undefined || (o.allow?.length ?? 0) > 0 || (o.remove?.length ?? 0) > 0;
          if (change)
            a = await c.agents.policy({
              id: a.id,
              ...(o.egress ? { egress: o.egress } : {}),
              ...(o.allow?.length ? { allow: o.allow } : {}),
              ...(o.remove?.length ? { remove: o.remove } : {}),
            });
          print(json, a.egress, `${a.emoji} ${a.name} (${a.slug}): ${formatEgress(a)}`);
        },
        Boolean(o.json),
      )(),
    );
}
