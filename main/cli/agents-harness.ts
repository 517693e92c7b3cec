// `agentdesk agents harnesses`: what an agent can run, with emoji, engines and memory.
import type { Command } from 'commander';
import type { Harness } from '../../contract/agents';
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

/** Adds `agents harnesses` to the `agents` command. */
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
}
