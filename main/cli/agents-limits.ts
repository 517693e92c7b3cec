// `agentdesk agents limits AGENT [--budget-day USD] [--budget-month USD] [--rpm N] [--memory MiB] [--cpus N] [--pids-limit N]`, and the spend options of `agents create`.
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { Agent } from '../../contract/agents';
import type { Client } from '../../contract/client';
import type { AgentLimits } from '../../contract/usage';
import { printer } from './command-runner';
import type { CommandRun, RunnerIo } from './command-runner';

/** A USD amount option: a finite number ≥ 0 (`none` is refused: limits are always finite). */
export function parseUsd(flag: string) {
  return (value: string): number => {
    const n = Number(value.replace(/^\$/, ''));
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1_000_000)
      throw new InvalidArgumentError(
        `${flag} must be an amount of USD from 0 to 1000000, e.g. ${flag} 5 or ${flag} 0.50`,
      );
    return n;
  };
}

/** A requests-per-minute option: a whole number from 1 to 100 000. */
export function parseRpm(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError(
      `--rpm must be a whole number of requests per minute from 1 to 100000, e.g. --rpm 60`,
    );
  return n;
}

/** Adds `--budget-day`, `--budget-month` and `--rpm` to a command. */
export function withLimitOptions(cmd: Command): Command {
  return cmd
    .option(
      '--budget-day <usd>',
      'most USD it may spend per day (default: the Settings default)',
      parseUsd('--budget-day'),
    )
    .option(
      '--budget-month <usd>',
      'most USD it may spend per month (default: the Settings default)',
      parseUsd('--budget-month'),
    )
    .option('--rpm <n>', 'most model requests per minute (default: the Settings default)', parseRpm);
}

/** The `agents.create` fields of those options. */
export function limitsInput(o: { budgetDay?: number; budgetMonth?: number; rpm?: number }): {
  budget_day_usd?: number;
  budget_month_usd?: number;
  rpm?: number;
} {
  return {
    ...(o.budgetDay !== undefined ? { budget_day_usd: o.budgetDay } : {}),
    ...(o.budgetMonth !== undefined ? { budget_month_usd: o.budgetMonth } : {}),
    ...(o.rpm !== undefined ? { rpm: o.rpm } : {}),
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** An agent's limits as lines: each limit, what was spent against it, when it resets. */
export function formatLimits(a: Pick<Agent, 'emoji' | 'name'>, l: AgentLimits, now = Date.now()): string {
  const dflt = (d: boolean) => (d ? ' (default)' : '');
  const pct = (spent: number, of: number) => (of > 0 ? ` (${Math.round((spent / of) * 100)} %)` : '');
  return [
    `${a.emoji} ${a.name}: ${l.state === 'ok' ? 'within its limits' : l.state === 'warning' ? 'over 80 % of a budget' : 'a budget is reached: its model calls are refused'}`,
    `  per day:    ${usd(l.spent_day)} of ${usd(l.usd_day)}${pct(l.spent_day, l.usd_day)}${dflt(l.defaults.usd_day)}, resets in ${Math.round((l.day_resets_at - now) / 60_000)} min`,
    `  per month:  ${usd(l.spent_month)} of ${usd(l.usd_month)}${pct(l.spent_month, l.usd_month)}${dflt(l.defaults.usd_month)}`,
    `  rate:       ${l.rpm} requests/min${dflt(l.defaults.rpm)}`,
  ].join('\n');
}

/** An agent's resource limits on one line: `1024 MiB memory, 1 CPU, 512 processes — running`. */
export function formatResources(a: Agent): string {
  return `  resources:  ${a.memory_mib} MiB memory, ${a.cpus} CPU, ${a.pids_limit} processes — ${a.phase}${a.phase_reason ? ` (${a.phase_reason})` : ''}`;
}

function positive(label: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${label} must be a positive number`);
    return n;
  };
}

/**
 * Adds `agents limits AGENT …` to the `agents` command: one place for every limit of an agent — its
 * spend limits (USD per day and month, requests per minute; enforced by the gateway) and its container's
 * resources (memory MiB, CPUs, processes; a running agent is recreated and restarted to apply them).
 * With no option it shows them all. `--json` prints `{ agent, spend }` (Agent, AgentLimits).
 */
export function addLimitsCommand(
  cmd: Command,
  io: RunnerIo,
  run: CommandRun,
  findAgent: (c: Client, ref: string) => Promise<Agent>,
  settle: (c: Client, id: string) => Promise<Agent>,
): void {
  const print = printer(io);
  withLimitOptions(
    cmd
      .command('limits')
      .description(
        'show or change an agent’s spend limits (USD per day and month, requests per minute; enforced before each model call) and its memory, CPUs and process limit (a running agent is recreated and restarted)',
      )
      .argument('<agent>', 'id, slug or name'),
  )
    .option('--default', 'return the spend limits not given to the Settings defaults')
    .option('--memory <mib>', 'memory limit in MiB (at least what its harness needs)', positive('--memory'))
    .option('--cpus <n>', 'CPU limit', positive('--cpus'))
    .option('--pids-limit <n>', 'most processes and threads', positive('--pids-limit'))
    .option('--json', 'print JSON')
    .action(
      (
        ref: string,
        o: {
          budgetDay?: number;
          budgetMonth?: number;
          rpm?: number;
          default?: boolean;
          memory?: number;
          cpus?: number;
          pidsLimit?: number;
          json?: boolean;
        },
      ) =>
        run(
          'limits',
          async (c, json) => {
            let a = await findAgent(c, ref);
            const given = limitsInput(o);
            const spendChange = Object.keys(given).length > 0 || o.default;
            const spend = spendChange
              ? await c.usage.setLimits({
                  agent_id: a.id,
                  usd_day: given.budget_day_usd ?? (o.default ? null : undefined),
                  usd_month: given.budget_month_usd ?? (o.default ? null : undefined),
                  rpm: given.rpm ?? (o.default ? null : undefined),
                })
              : (await c.usage.limits({ agent_id: a.id })).limits[0]!;
            if (o.memory !== undefined || o.cpus !== undefined || o.pidsLimit !== undefined) {
              await c.agents.limits({
                id: a.id,
                ...(o.memory !== undefined ? { memory_mib: Math.round(o.memory) } : {}),
                ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
                ...(o.pidsLimit !== undefined ? { pids_limit: Math.round(o.pidsLimit) } : {}),
              });
              a = await settle(c, a.id);
            }
            print(json, { agent: a, spend }, `${formatLimits(a, spend)}\n${formatResources(a)}`);
            return a.phase === 'failed' ? 1 : 0;
          },
          Boolean(o.json),
        )(),
    );
}
