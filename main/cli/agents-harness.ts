// `agentdesk agents harnesses` (what an agent can run, with emoji, engines and memory) and `agentdesk agents limits AGENT --memory …`.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Agent, Harness } from '../../contract/agents';
import type { FoldersCommandDeps } from './agent-folders';
import { table } from './providers-format';

/** The harnesses as an aligned table: emoji and id, label, API shapes, engines, models, memory. */
export function formatHarnesses(harnesses: Harness[]): string {
  return table(
    ['HARNESS', 'LABEL', 'SPEAKS', 'ENGINES', 'MODELS', 'MEMORY MiB'],
    harnesses.map((h) => [
      `${h.emoji} ${h.id}`,
      `${h.label} ${h.version}`,
      h.api_shapes.join(', '),
      h.engines.join(', '),
      h.models === 'any' ? 'any' : h.models.join(', '),
      `≥ ${h.memory.min_mib} (default ${h.memory.default_mib})`,
    ]),
  );
}

/** An agent's limits on one line: `🤖 Ada (ada): 1024 MiB, 1 CPU, 512 processes`. */
export function formatLimits(a: Agent): string {
  return `${a.emoji} ${a.name} (${a.slug}): ${a.memory_mib} MiB, ${a.cpus} CPU, ${a.pids_limit} processes — ${a.phase}${a.phase_reason ? ` (${a.phase_reason})` : ''}`;
}

function positive(label: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${label} must be a positive number`);
    return n;
  };
}

/** Adds `agents harnesses` and `agents limits` to the `agents` command. */
export function addHarnessCommands(cmd: Command, d: FoldersCommandDeps): void {
  cmd
    .command('harnesses')
    .description('the harnesses an agent can run (--harness of create), with their emoji, engines and memory')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      d.run(
        'harnesses',
        async (c, json) => {
          const { harnesses } = await c.harnesses.list({});
          d.print(json, { harnesses }, formatHarnesses(harnesses));
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('limits')
    .description(
      "show or change an agent's memory (MiB), CPUs and process limit (a running agent is recreated and restarted)",
    )
    .argument('<agent>', 'id, slug or name')
    .option('--memory <mib>', 'memory limit in MiB (at least what its harness needs)', positive('--memory'))
    .option('--cpus <n>', 'CPU limit', positive('--cpus'))
    .option('--pids-limit <n>', 'most processes and threads', positive('--pids-limit'))
    .option('--json', 'print JSON')
    .action((ref: string, o: { memory?: number; cpus?: number; pidsLimit?: number; json?: boolean }) =>
      d.run(
        'limits',
        async (c, json) => {
          const a = await d.findAgent(c, ref);
          if (o.memory === undefined && o.cpus === undefined && o.pidsLimit === undefined)
            return d.print(json, a, formatLimits(a));
          await c.agents.limits({
            id: a.id,
            ...(o.memory !== undefined ? { memory_mib: Math.round(o.memory) } : {}),
            ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
            ...(o.pidsLimit !== undefined ? { pids_limit: Math.round(o.pidsLimit) } : {}),
          });
          const after = await d.settle(c, a.id);
          d.print(json, after, formatLimits(after));
          return after.phase === 'failed' ? 1 : 0;
        },
        Boolean(o.json),
      )(),
    );
}
