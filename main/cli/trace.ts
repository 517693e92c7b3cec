// `agentdesk trace AGENT [--follow] [--kind …] [--since …] [--json]`: an agent's trace events, one line each, live with --follow.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Client } from '../../contract/client';
import { allowEntryFor } from '../../contract/egress';
import { TraceKind, TRACE_PAGE_MAX } from '../../contract/traces';
import type { TraceEvent, TraceQueryInput } from '../../contract/traces';
import { resolveDataDir } from '../platform/paths';
import { findAgent } from './agents';
import { oneLine as errorLine, withClientOf } from './command-runner';
import type { RunnerIo } from './command-runner';
import { NotRunningError } from './http-client';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses `--since`: a duration back from `now` (`30s`, `10m`, `2h`, `1d`) or an ISO 8601 time
 * (`2026-01-02`, `2026-01-02T03:04:05Z`; without an offset, local time as `Date.parse` reads it).
 * @returns UTC ms.
 * @throws InvalidArgumentError naming the value and the accepted forms.
 */
export function parseSince(value: string, now: number = Date.now()): number {
  const v = value.trim();
  const d = /^(\d+)\s*([smhd])$/i.exec(v);
  if (d) return now - Number(d[1]) * UNIT_MS[d[2]!.toLowerCase() as keyof typeof UNIT_MS];
  const t = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(t))
    throw new InvalidArgumentError(
      `"${value}" is neither a duration nor a time: use a number with s, m, h or d (10m, 2h, 1d) or an ISO time (2026-01-02T03:04:05Z)`,
    );
  if (t > now) throw new InvalidArgumentError(`"${value}" is in the future`);
  return t;
}

/**
 * Parses `--kind` values (repeatable, comma-separated) into trace kinds, added to `previous`.
 * @throws InvalidArgumentError naming the unknown kind and listing the valid ones (from the contract).
 */
export function parseKinds(value: string, previous: TraceKind[] = []): TraceKind[] {
  const out = [...previous];
  for (const raw of value.split(',')) {
    const k = raw.trim();
    if (!k) continue;
    const parsed = TraceKind.safeParse(k);
    if (!parsed.success)
      throw new InvalidArgumentError(`"${k}" is not a trace kind; valid: ${TraceKind.options.join(', ')}`);
    if (!out.includes(parsed.data)) out.push(parsed.data);
  }
  return out;
}

const squeeze = (s: string, max: number) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** What happened, on one line (the same facts as the UI's timeline row). */
export function summaryLine(e: TraceEvent): string {
  switch (e.kind) {
    case 'message_in':
      return `${e.payload.from}: ${squeeze(e.payload.text, 160)}`;
    case 'message_out':
    case 'reasoning':
      return squeeze(e.payload.text, 160);
    case 'llm_call': {
      const parts = [e.model ?? e.payload.path, `HTTP ${e.payload.status}`];
      if (e.tokens_in !== null || e.tokens_out !== null)
        parts.push(`${e.tokens_in ?? 0} in / ${e.tokens_out ?? 0} out tokens`);
      if (e.cost_usd !== null) parts.push(`$${e.cost_usd.toFixed(6)}`);
      if (e.duration_ms !== null) parts.push(`${e.duration_ms} ms`);
      if (e.error) parts.push(`error: ${squeeze(e.error, 80)}`);
      return parts.join(', ');
    }
    case 'tool_call': {
      const args =
        typeof e.payload.arguments === 'string' ? e.payload.arguments : JSON.stringify(e.payload.arguments);
      return `${e.payload.name} ${squeeze(args, 140)}`;
    }
    case 'tool_result':
      return `${e.payload.name} exit ${e.payload.exit_code ?? '?'}, ${e.payload.size} bytes${e.payload.truncated ? ' (cut)' : ''}: ${squeeze(e.payload.output, 100)}`;
    case 'error':
      return squeeze(e.payload.message, 200);
    case 'lifecycle':
      return `${e.payload.from_phase ?? '-'} -> ${e.payload.to_phase}${e.payload.reason ? ` (${squeeze(e.payload.reason, 100)})` : ''}`;
    case 'egress': {
      const entry = allowEntryFor(e.payload);
      return `${squeeze(e.error ?? 'refused', 160)}${e.payload.count > 1 ? ` x${e.payload.count}` : ''}${entry ? ` (allow it: agents policy AGENT --allow ${entry})` : ''}`;
    }
  }
}

const KIND_WIDTH = Math.max(...TraceKind.options.map((k) => k.length));

/**
 * One event as the CLI prints it: `<UTC ISO time>  <kind padded>  <summary>`, or with `json` its
 * envelope v1 on one line (JSONL). No trailing newline.
 */
export function formatEvent(e: TraceEvent, json: boolean): string {
  if (json) return JSON.stringify(e);
  return `${new Date(e.created_at).toISOString()}  ${e.kind.padEnd(KIND_WIDTH)}  ${summaryLine(e)}`;
}

/** What `agentdesk trace` was asked for. */
export interface TraceOptions {
  kinds: TraceKind[];
  /** UTC ms; `null` = no lower bound. */
  since: number | null;
  /** Most events printed from the history (the newest ones); `null` = all. */
  limit: number | null;
  follow: boolean;
  json: boolean;
}

/**
 * Prints the agent's events (oldest first, after paging `traces.list` newest first), then with
 * `follow` every new `traces.event` of the agent and kinds until `stop` resolves. Live events that
 * arrive while the history loads are printed once, after it.
 * @throws AppError from the core; Error when `follow` is asked of a client that delivers no events.
 */
export async function printTrace(
  c: Client,
  agentId: string,
  o: TraceOptions,
  out: { write(text: string): unknown },
  stop: Promise<void>,
): Promise<void> {
  const printed = new Set<string>();
  let buffered: TraceEvent[] | null = [];
  const print = (e: TraceEvent) => {
    if (printed.has(e.id)) return;
    printed.add(e.id);
    out.write(`${formatEvent(e, o.json)}\n`);
  };
  let off = () => {};
  if (o.follow)
    off = c.on('traces.event', (e) => {
      if (e.agent_id !== agentId || (o.kinds.length && !o.kinds.includes(e.kind))) return;
      if (o.since !== null && e.created_at < o.since) return;
      if (buffered) buffered.push(e);
      else print(e);
    });
  try {
    const history: TraceEvent[] = [];
    let cursor: string | null = null;
    do {
      const want = o.limit === null ? TRACE_PAGE_MAX : Math.min(TRACE_PAGE_MAX, o.limit - history.length);
      const q: TraceQueryInput = {
        agent_id: agentId,
        order: 'desc',
        limit: want,
        ...(o.kinds.length ? { kinds: o.kinds } : {}),
        ...(o.since !== null ? { since: o.since } : {}),
        ...(cursor ? { cursor } : {}),
      };
      const page = await c.traces.list(q);
      history.push(...page.events);
      cursor = page.next_cursor;
    } while (cursor && (o.limit === null || history.length < o.limit));
    for (const e of history.reverse()) print(e);
    const live = buffered.sort((a, b) => a.created_at - b.created_at);
    buffered = null;
    for (const e of live) print(e);
    if (o.follow) await stop;
  } finally {
    off();
  }
}

/** Resolves at the first SIGINT or SIGTERM (Ctrl-C), then stops listening for them. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1`);
  return n;
}

/**
 * Builds `agentdesk trace`. Exit codes: 0, 1 (the core refused or the agent is unknown: the message
 * lists the agents), 2 (a core runs for the data dir but does not answer). `stop` ends `--follow`
 * (Ctrl-C by default).
 */
export function traceCommand(
  io: RunnerIo,
  globalHome: () => string | undefined,
  stop: () => Promise<void> = untilInterrupted,
): Command {
  const cmd = new Command('trace')
    .description("print an agent's trace events (time, kind, summary), and follow new ones with --follow")
    .argument('<agent>', 'id, slug or name')
    .option('--follow', 'keep printing new events until Ctrl-C')
    .addOption(
      new Option(
        '--kind <kinds>',
        `only these kinds (repeat or comma-separate): ${TraceKind.options.join(', ')}`,
      )
        .argParser(parseKinds)
        .default([] as TraceKind[], 'all'),
    )
    .option('--since <when>', 'only events since a duration ago (10m, 2h, 1d) or an ISO time', (v) =>
      parseSince(v),
    )
    .option(
      '--limit <n>',
      'print at most the newest n events of the history (default 200 without --since)',
      positiveInt,
    )
    .option('--json', 'print one envelope v1 per line (JSONL)')
    .option('--home <dir>', 'data directory')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .action(
      async (
        ref: string,
        opts: {
          follow?: boolean;
          kind: TraceKind[];
          since?: number;
          limit?: number;
          json?: boolean;
          home?: string;
        },
      ) => {
        try {
          const home = resolveDataDir(opts.home ?? globalHome());
          await withClientOf(io, home, async (c) => {
            const agent = await findAgent(c, ref);
            const since = opts.since ?? null;
            await printTrace(
              c,
              agent.id,
              {
                kinds: opts.kind,
                since,
                limit: opts.limit ?? (since === null ? 200 : null),
                follow: Boolean(opts.follow),
                json: Boolean(opts.json),
              },
              io.out,
              opts.follow ? stop() : Promise.resolve(),
            );
          });
          io.setExitCode(0);
        } catch (e) {
          io.err.write(`agentdesk trace: ${errorLine(e)}\n`);
          io.setExitCode(e instanceof NotRunningError ? 2 : 1);
        }
      },
    );
  return cmd;
}
