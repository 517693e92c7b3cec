// `agentdesk agents list|harnesses|create|start|stop|restart|logs|archive|restore|purge|chat|policy|folders|limits`: non-interactive agents.
import crypto from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Agent, FolderGrant } from '../../contract/agents';
import type { Client } from '../../contract/client';
import type { EgressMode } from '../../contract/egress';
import { AppError } from '../../contract/errors';
import { modelHealth, providerOfModel } from '../../contract/provider-usage';
import type { ModelHealth } from '../../contract/provider-usage';
import { addPolicyCommand, formatEgress, parseAllowOption, parseEgressMode } from './agents-egress';
import { addFoldersCommand, collectFolder } from './agent-folders';
import { addLimitsCommand, limitsInput, withLimitOptions } from './agents-limits';
import { addHarnessCommands } from './agents-harness';
import { table } from './providers-format';
import type { RunnerIo } from './command-runner';
import { commandGroup } from './command-runner';

/** The CLI's io plus what `purge` needs to ask for confirmation. */
export interface AgentsIo extends RunnerIo {
  /** True when stdin and stdout are a terminal (a question can be asked). */
  interactive(): boolean;
  /** Asks a yes/no question on the terminal; `true` for y/yes. */
  confirm(question: string): Promise<boolean>;
}

/** How long ago `at` (UTC ms) was, e.g. `5 min`, `3 h`, `2 d`. */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/**
 * What is wrong with the model of each live agent, as the Agents page flags it (contract/provider-usage.ts
 * `modelHealth`): no longer served (provider removed, or its fetched list no longer names the model) or
 * its provider failing. @returns agent id → its health, only the agents with a problem; empty when the
 * providers cannot be read (the list still prints).
 */
export async function modelNotes(c: Client, agents: readonly Agent[]): Promise<Map<string, ModelHealth>> {
  const out = new Map<string, ModelHealth>();
  const live = agents.filter((a) => a.phase !== 'archived');
  if (live.length === 0) return out;
  let providers: Awaited<ReturnType<Client['providers']['list']>>;
  try {
    providers = await c.providers.list({});
  } catch {
    return out;
  }
  const used = providers.filter(
    (p) => p.models_fetched_at !== null && live.some((a) => providerOfModel(a.model) === p.id),
  );
  const listed = new Map<string, string[]>();
  await Promise.all(
    used.map(async (p) => {
      const r = await c.providers.models({ id: p.id }).catch(() => null);
      if (r && r.fetched_at !== null)
        listed.set(
          p.id,
          r.models.map((m) => m.id),
        );
    }),
  );
  for (const a of live) {
    const h = modelHealth(a, providers, listed);
    if (h.state !== 'ok') out.set(a.id, h);
  }
  return out;
}

/** The message of a model note, `null` when there is none. */
const noteOf = (h: ModelHealth | undefined): string | null => (h && h.state !== 'ok' ? h.message : null);

/**
 * The agents as an aligned table (archived last); RUNTIME names a named engine as `docker@<engine>`
 * (and its cluster member), PHASE says when its engine is unreachable; NOTE holds the phase's reason and the agent's model
 * note from `notes` (see {@link modelNotes}).
 */
export function formatAgents(
  agents: Agent[],
  now = Date.now(),
  notes: ReadonlyMap<string, ModelHealth> = new Map(),
): string {
  if (agents.length === 0)
    return 'No agents yet. Create one with `agentdesk agents create --name NAME --model MODEL`.';
  const rows = [...agents]
    .sort((a, b) => Number(a.phase === 'archived') - Number(b.phase === 'archived'))
    .map((a) => [
      `${a.emoji} ${a.name}`,
      a.slug,
      a.model,
      a.engine === 'local' ? a.runtime : `${a.runtime}@${a.engine}${a.member ? `/${a.member}` : ''}`,
      a.engine_state === 'unreachable' ? `${a.phase} (unreachable)` : a.phase,
      a.phase === 'running' && a.running_since
        ? ago(a.running_since, now)
        : a.archived_at
          ? `${ago(a.archived_at, now)} ago`
          : '',
      [a.phase_reason, noteOf(notes.get(a.id))].filter(Boolean).join('; '),
    ]);
  return table(['AGENT', 'SLUG', 'MODEL', 'RUNTIME', 'PHASE', 'UPTIME', 'NOTE'], rows);
}

/**
 * Finds an agent by id, slug or name (case-insensitive); live agents win over archived ones.
 * @throws AppError NOT_FOUND listing the valid names.
 */
export async function findAgent(c: Client, ref: string): Promise<Agent> {
  const { agents } = await c.agents.list({});
  const low = ref.toLowerCase();
  const matches = agents.filter((a) => a.id === ref || a.slug === low || a.name.toLowerCase() === low);
  const found = matches.find((a) => a.phase !== 'archived') ?? matches[0];
  if (!found)
    throw new AppError(
      'NOT_FOUND',
      `No agent "${ref}"; agents: ${agents.map((a) => a.slug).join(', ') || 'none (create one first)'}`,
    );
  return found;
}

/**
 * The served model `given` names: itself when served (`<provider-id>/<model-id>`), else the one served
 * model whose `<model-id>` it is (`gpt-4o` → `openai/gpt-4o`).
 * @throws AppError INVALID_INPUT when no served model matches (listing them) or several providers serve
 *   that id (listing the full ids to choose from).
 */
export function resolveServedModel(given: string, served: readonly string[]): string {
  if (served.includes(given)) return given;
  const short = served.filter((m) => m.slice(m.indexOf('/') + 1) === given);
  if (short.length === 1) return short[0]!;
  if (short.length > 1)
    throw new AppError(
      'INVALID_INPUT',
      `--model: "${given}" is served by more than one provider; give one of: ${short.join(', ')}`,
    );
  throw new AppError(
    'INVALID_INPUT',
    `--model: "${given}" is not served; served models: ${served.join(', ')} (the part after the provider is enough when only one provider serves it)`,
  );
}

/** Where `agents chat` writes: the reply to `out` as it streams, tool activity and errors to `err`. */
export interface ChatStreamIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

/**
 * Sends `text` to `agent` and streams the turn: text deltas to `io.out` as they arrive (`agents.turn`
 * events), each tool call and result as one line on `io.err`. When the client delivers no events (a
 * transport without them), the reply is printed whole when the turn ends.
 * @returns the turn's result; a turn error is in `error` (the caller sets the exit code).
 * @throws AppError from `agents.chat` (agent not running: CONFLICT naming its phase; runtime down: UNAVAILABLE).
 */
export async function chatAndStream(
  c: Client,
  agent: Agent,
  text: string,
  io: ChatStreamIo,
  threadId: string = crypto.randomUUID(),
): Promise<{ thread_id: string; turn_id: string; reply: string | null; error: string | null }> {
  let streamed = false;
  let endsWithNewline = true;
  let off: () => void = () => {};
  try {
    off = c.on('agents.turn', (e) => {
      if (e.agent_id !== agent.id || e.thread_id !== threadId) return;
      const d = e.data;
      if (e.event === 'text' && typeof d.delta === 'string' && d.delta) {
        streamed = true;
        endsWithNewline = d.delta.endsWith('\n');
        io.out.write(d.delta);
      } else if (e.event === 'tool_call') {
        const args = typeof d.arguments === 'string' ? d.arguments : JSON.stringify(d.arguments);
        io.err.write(`[tool] ${String(d.name)} ${args}\n`);
      } else if (e.event === 'tool_result') {
        io.err.write(`[tool] ${String(d.name)} exit ${String(d.exit_code)}, ${String(d.size)} bytes\n`);
      }
    });
  } catch {
    off = () => {}; // this transport has no events: the reply is printed at the end
  }
  try {
    const r = await c.agents.chat({ id: agent.id, text, thread_id: threadId });
    if (streamed && !endsWithNewline) io.out.write('\n');
    if (!streamed && r.reply !== null) io.out.write(`${r.reply}\n`);
    return r;
  } finally {
    off();
  }
}

/** Waits until the agent leaves the transient phases; returns it. */
async function settle(c: Client, id: string): Promise<Agent> {
  const transient = new Set([
    'creating',
    'provisioning',
    'starting',
    'verifying',
    'stopping',
    'restoring',
    'archiving',
    'purging',
  ]);
  for (;;) {
    const a = await c.agents.get({ id });
    if (!transient.has(a.phase)) return a;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Parses `--temperature`: a number from 0 to 2. */
function temperatureOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 2)
    throw new InvalidArgumentError('--temperature must be a number from 0 to 2');
  return n;
}

function positiveNumber(label: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${label} must be a positive number`);
    return n;
  };
}

/** Builds the `agents` command tree (see {@link commandRunner} for exit codes). */
export function agentsCommand(io: AgentsIo, globalHome: () => string | undefined): Command {
  const { cmd, run, print } = commandGroup(
    io,
    'agents',
    'create, start, stop, chat with, archive, restore and purge agents',
    globalHome,
  );
  const done = (json: boolean, a: Agent) => {
    print(
      json,
      a,
      `${a.emoji} ${a.name} (${a.slug}): ${a.phase}${a.phase_reason ? ` — ${a.phase_reason}` : ''}`,
    );
    if (!json) io.out.write(`  ${formatEgress(a)}\n`);
    if (!json && a.phase === 'failed' && a.failed_log.length)
      io.err.write(`last log lines:\n${a.failed_log.map((l) => `  ${l}`).join('\n')}\n`);
    return a.phase === 'failed' ? 1 : 0;
  };

  cmd
    .command('list')
    .description('list agents (archived ones last)')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      run(
        'list',
        async (c, json) => {
          const { agents } = await c.agents.list({});
          const notes = await modelNotes(c, agents);
          print(
            json,
            { agents, model_health: Object.fromEntries(notes) },
            formatAgents(agents, Date.now(), notes),
          );
        },
        Boolean(o.json),
      )(),
    );

  withLimitOptions(cmd.command('create'))
    .description('create an agent and deploy it (waits until it runs or fails)')
    .requiredOption('--name <name>', 'display name (its slug names the container)')
    .requiredOption(
      '--model <model>',
      'a served model, <provider-id>/<model-id>, or just <model-id> when one provider serves it (see `agentdesk agents models`)',
    )
    .option('--emoji <emoji>', 'one emoji (default: the harness’s)')
    .option(
      '--harness <id>',
      'what runs the agent: builtin, or another of `agentdesk agents harnesses`',
      'builtin',
    )
    .option('--runtime <kind>', 'docker or incus (default: the setting, or one the harness runs on)')
    .option('--engine <id>', 'where it runs: local (default) or a named engine (`agentdesk engines list`)')
    .option(
      '--member <name>',
      'an Incus cluster engine: the member to place it on (`agentdesk engines members <id>`); default: the engine’s, else Incus places it',
    )
    .option('--memory <mib>', 'memory limit in MiB (default: the harness’s)', positiveNumber('--memory'))
    .option('--cpus <n>', 'CPU limit', positiveNumber('--cpus'))
    .option(
      '--egress <mode>',
      'what it may reach besides its gateway: none (default), allowlist (the --allow entries), open',
      parseEgressMode,
    )
    .option(
      '--allow <host[:port]>',
      'allowlist entry (repeatable): name, *.domain, IPv4 or CIDR; no port = every port',
      parseAllowOption,
    )
    .option(
      '--folder <path[:ro|rw]>',
      'share a host folder, seen at /shared/<name> (read-only unless :rw); repeatable',
      collectFolder,
    )
    .option(
      '--pids-limit <n>',
      'most processes and threads in its container (default 512)',
      positiveNumber('--pids-limit'),
    )
    .option('--system-prompt <text>', 'the agent’s own system prompt (default: the built-in one)')
    .option('--temperature <n>', 'sampling temperature, 0–2 (default: the model’s)', temperatureOption)
    .option('--no-tools', 'offer the model no tools (a plain chat)')
    .option('--no-wait', 'return once the agent is recorded')
    .option('--json', 'print JSON')
    .action(
      (o: {
        name: string;
        model: string;
        emoji?: string;
        harness: string;
        runtime?: 'docker' | 'incus';
        engine?: string;
        member?: string;
        memory?: number;
        cpus?: number;
        egress?: EgressMode;
        allow?: string[];
        folder?: FolderGrant[];
        pidsLimit?: number;
        budgetDay?: number;
        budgetMonth?: number;
        rpm?: number;
        systemPrompt?: string;
        temperature?: number;
        tools: boolean;
        wait: boolean;
        json?: boolean;
      }) =>
        run(
          'create',
          async (c, json) => {
            const served = (await c.llm.status({})).litellm.models;
            const model = served.length ? resolveServedModel(o.model, served) : o.model;
            const a = await c.agents.create({
              name: o.name,
              model,
              harness: o.harness,
              ...(o.emoji ? { emoji: o.emoji } : {}),
              ...(o.runtime ? { runtime: o.runtime } : {}),
              ...(o.engine ? { engine: o.engine } : {}),
              ...(o.member ? { member: o.member } : {}),
              ...(o.memory ? { memory_mib: Math.round(o.memory) } : {}),
              ...(o.cpus ? { cpus: o.cpus } : {}),
              ...(o.egress ? { egress: o.egress } : {}),
              ...(o.allow?.length ? { allow: o.allow } : {}),
              ...(o.folder?.length ? { folders: o.folder } : {}),
              ...(o.pidsLimit ? { pids_limit: Math.round(o.pidsLimit) } : {}),
              ...limitsInput(o),
              ...(o.systemPrompt !== undefined ? { system_prompt: o.systemPrompt } : {}),
              ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
              tools: o.tools,
            });
            return done(json, o.wait ? await settle(c, a.id) : a);
          },
          Boolean(o.json),
        )(),
    );

  cmd
    .command('models')
    .description('the models an agent can use (served by LiteLLM now)')
    .action(() =>
      run('models', async (c) => {
        const { models } = (await c.llm.status({})).litellm;
        print(
          false,
          null,
          models.length ? models.join('\n') : 'No model is served yet: add a provider first.',
        );
      })(),
    );

  const simple = (name: 'start' | 'stop' | 'restart' | 'archive' | 'restore', description: string) =>
    cmd
      .command(name)
      .description(description)
      .argument('<agent>', 'id, slug or name')
      .option('--json', 'print JSON')
      .action((ref: string, o: { json?: boolean }) =>
        run(
          name,
          async (c, json) => {
            const a = await findAgent(c, ref);
            await c.agents[name]({ id: a.id });
            return done(json, await settle(c, a.id));
          },
          Boolean(o.json),
        )(),
      );
  simple('start', 'start a stopped agent (a failed one is deployed again)');
  simple('stop', 'stop an agent');
  simple('restart', 'stop then start an agent');
  simple('archive', 'stop, rename and set aside an agent; its key is revoked, its files kept');
  simple('restore', 'bring an archived agent back with a new key (a taken name gets -2, -3 …)');
  addFoldersCommand(cmd, { run, print, findAgent, settle });
  addHarnessCommands(cmd, { run, print, findAgent, settle });

  cmd
    .command('configure')
    .description('set an agent’s system prompt, temperature and tools on/off (a running agent restarts)')
    .argument('<agent>', 'id, slug or name')
    .option('--system-prompt <text>', 'its own system prompt ("" = the built-in one)')
    .option('--temperature <n>', 'sampling temperature 0–2, or "default" for the model’s')
    .option('--tools <on|off>', 'whether the model is offered tools')
    .option('--json', 'print JSON')
    .action(
      (ref: string, o: { systemPrompt?: string; temperature?: string; tools?: string; json?: boolean }) =>
        run(
          'configure',
          async (c, json) => {
            if (o.tools !== undefined && o.tools !== 'on' && o.tools !== 'off')
              throw new AppError('INVALID_INPUT', `--tools: "${o.tools}" is not valid; use on or off`);
            const temperature =
              o.temperature === undefined
                ? undefined
                : o.temperature === 'default'
                  ? null
                  : Number(o.temperature);
            if (temperature !== undefined && temperature !== null && !(temperature >= 0 && temperature <= 2))
              throw new AppError(
                'INVALID_INPUT',
                `--temperature: "${o.temperature}" is not valid; use a number from 0 to 2, or default`,
              );
            const a = await findAgent(c, ref);
            await c.agents.configure({
              id: a.id,
              ...(o.systemPrompt !== undefined ? { system_prompt: o.systemPrompt } : {}),
              ...(temperature !== undefined ? { temperature } : {}),
              ...(o.tools !== undefined ? { tools: o.tools === 'on' } : {}),
            });
            return done(json, await settle(c, a.id));
          },
          Boolean(o.json),
        )(),
    );

  cmd
    .command('logs')
    .description('the last lines its container wrote')
    .argument('<agent>', 'id, slug or name')
    .option('--tail <n>', 'lines', positiveNumber('--tail'), 200)
    .action((ref: string, o: { tail: number }) =>
      run('logs', async (c) => {
        const a = await findAgent(c, ref);
        const { lines } = await c.agents.logs({ id: a.id, tail: Math.round(o.tail) });
        print(false, null, lines.join('\n'));
      })(),
    );

  cmd
    .command('chat')
    .description('send a message to a running agent and stream its reply to stdout (tool calls on stderr)')
    .argument('<agent>', 'id, slug or name')
    .argument('<text...>', 'the message (words are joined with spaces)')
    .option('--thread <id>', 'continue this thread (default: a new one; its id is printed on stderr)')
    .option('--json', 'print the result as JSON when the turn ends instead of streaming')
    .action((ref: string, words: string[], o: { thread?: string; json?: boolean }) =>
      run(
        'chat',
        async (c, json) => {
          const a = await findAgent(c, ref);
          const quiet = { write: () => true };
          const r = await chatAndStream(
            c,
            a,
            words.join(' '),
            json ? { out: quiet, err: quiet } : io,
            o.thread,
          );
          if (json) print(true, r, '');
          else io.err.write(`[thread ${r.thread_id}]\n`);
          if (r.error !== null) {
            if (!json) io.err.write(`error: ${r.error}\n`);
            return 1;
          }
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('purge')
    .description('remove an agent for good: container, files, traces, key and record')
    .argument('<agent>', 'id, slug or name')
    .option('--yes', 'do not ask (required when not on a terminal)')
    .option('--json', 'print JSON')
    .action((ref: string, o: { yes?: boolean; json?: boolean }) =>
      run(
        'purge',
        async (c, json) => {
          const a = await findAgent(c, ref);
          if (!o.yes) {
            if (!io.interactive())
              throw new AppError(
                'INVALID_INPUT',
                `purging ${a.slug} deletes its files for good: add --yes to confirm`,
              );
            if (
              !(await io.confirm(
                `Purge ${a.emoji} ${a.name} (${a.slug}) with its container, files and traces?`,
              ))
            ) {
              io.err.write('not purged\n');
              return 1;
            }
          }
          const r = await c.agents.purge({ id: a.id });
          print(json, r, `purged ${a.slug}`);
        },
        Boolean(o.json),
      )(),
    );

  addPolicyCommand(cmd, io, run, findAgent);
  addLimitsCommand(cmd, io, run, findAgent, settle);

  return cmd;
}
