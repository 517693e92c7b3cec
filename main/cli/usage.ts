// `agentdesk usage [--agent A] [--since DAY] [--json]`: spend and tokens per agent, model and day, with today's and this month's totals.
import { Command, InvalidArgumentError } from 'commander';
import type { UsageRow, UsageSummary } from '../../contract/usage';
import { sumUsageBy } from '../../contract/usage-format';
import type { UsageSum } from '../../contract/usage-format';
import { findAgent } from './agents';
import type { RunnerIo } from './command-runner';
import { commandRunner, printer } from './command-runner';
import { table } from './providers-format';

/** `YYYY-MM-DD`, or a number of days back (`7d`). */
export function parseSince(value: string, now = Date.now()): string {
  const back = /^(\d+)d$/.exec(value);
  if (back) {
    const d = new Date(now);
    d.setDate(d.getDate() - Number(back[1]));
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !Number.isFinite(Date.parse(value)))
    throw new InvalidArgumentError(`--since "${value}" is not a day; e.g. --since 2025-06-01 or --since 7d`);
  return value;
}

const usd = (n: number) => `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;

/** Sums rows by a key, the most expensive first (then by name). */
function by(rows: UsageRow[], key: (r: UsageRow) => string): [string, UsageSum][] {
  return sumUsageBy(rows, key).sort((a, b) => b[1].usd - a[1].usd || a[0].localeCompare(b[0]));
}

/** The summary as text: totals, then per agent, per model and per day. */
export function formatUsage(s: UsageSummary, agentName: (id: string) => string): string {
  const head = ['', 'CALLS', 'TOKENS IN', 'TOKENS OUT', 'USD'];
  const line = (name: string, t: UsageSum) => [
    name,
    String(t.calls),
    String(t.tokensIn),
    String(t.tokensOut),
    usd(t.usd),
  ];
  const totals = (name: string, t: UsageSummary['today']) =>
    line(name, { calls: t.calls, tokensIn: t.tokens_in, tokensOut: t.tokens_out, usd: t.cost_usd });
  const out = [table(head, [totals('Today', s.today), totals('This month', s.month)])];
  if (!s.rows.length) out.push(`\nNo model calls from ${s.since} to ${s.until}.`);
  else
    out.push(
      `\nFrom ${s.since} to ${s.until}, per agent:\n${table(
        ['AGENT', ...head.slice(1)],
        by(s.rows, (r) => agentName(r.agent_id)).map(([k, t]) => line(k, t)),
      )}`,
      `\nPer model:\n${table(
        ['MODEL', ...head.slice(1)],
        by(s.rows, (r) => r.model).map(([k, t]) => line(k, t)),
      )}`,
      `\nPer day:\n${table(
        ['DAY', ...head.slice(1)],
        by(s.rows, (r) => r.day)
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([k, t]) => line(k, t)),
      )}`,
    );
  return out.join('\n');
}

/** Builds the `usage` command. */
export function usageCommand(io: RunnerIo, globalHome: () => string | undefined): Command {
  const cmd = new Command('usage')
    .description(
      'spend and tokens per agent, per model and per day (local days), with today’s and this month’s totals',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .option('--home <dir>', 'data directory')
    .option('--agent <agent>', 'only this agent (id, slug or name)')
    .option(
      '--since <day>',
      'from this day (YYYY-MM-DD, or 7d for a week back; default: the first of this month)',
      (v) => parseSince(v),
    )
    .option('--json', 'print JSON');
  const run = commandRunner(io, cmd, globalHome);
  const print = printer(io);
  cmd.action((o: { agent?: string; since?: string; json?: boolean }) =>
    run(
      'summary',
      async (c, json) => {
        const agents = (await c.agents.list({})).agents;
        const agentId = o.agent ? (await findAgent(c, o.agent)).id : undefined;
        const s = await c.usage.summary({
          ...(agentId ? { agent_id: agentId } : {}),
          ...(o.since ? { since: o.since } : {}),
        });
        const names = new Map(agents.map((a) => [a.id, `${a.emoji} ${a.name}`]));
        print(
          json,
          s,
          formatUsage(s, (id) => names.get(id) ?? id),
        );
      },
      Boolean(o.json),
    )(),
  );
  return cmd;
}
