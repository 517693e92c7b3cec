// One long-lived `GET /events` stream shared by every subscriber, reconnected with backoff, mapped to RuntimeEvent.
import http from 'node:http';
import { LABELS } from '../container-runtime';
import type { Endpoint } from '../../../platform/socket-http';
import type { RuntimeEvent } from '../container-runtime';

/** Backoff between reconnects: 0.5 s doubling to 10 s; reset once a stream is up. */
export const EVENTS_BACKOFF_MS = { first: 500, max: 10_000 } as const;

/** Attributes Docker puts next to the labels in `Actor.Attributes` (Engine API "System events"). */
const ENGINE_ATTRIBUTES = new Set(['name', 'image', 'exitCode', 'oldName', 'signal', 'execID', 'container']);

/** One message of `GET /events` (Engine API v1.41, `EventMessage`). */
export interface DockerEventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/**
 * Maps a Docker container event to a RuntimeEvent, or null for actions the app ignores.
 * `start` → start; `die` (every exit, with `exitCode`), `stop` and `kill` with SIGKILL → stop; `oom` →
 * oom (the kernel killed one of its processes, which need not be its main one: it may run on);
 * `create`; `destroy` → remove; `rename` (name = the new name). A `kill` with another signal is
 * dropped: the process may handle it and keep running; its exit arrives as `die`.
 */
export function toRuntimeEvent(msg: DockerEventMessage): RuntimeEvent | null {
  if (msg.Type !== 'container' || !msg.Action) return null;
  const attrs = msg.Actor?.Attributes ?? {};
  let action: RuntimeEvent['action'];
  switch (msg.Action) {
    case 'start':
    case 'create':
    case 'rename':
      action = msg.Action;
      break;
    case 'destroy':
      action = 'remove';
      break;
    case 'die':
    case 'stop':
      action = 'stop';
      break;
    case 'oom':
      action = 'oom';
      break;
    case 'kill':
      if (attrs.signal !== '9' && attrs.signal !== 'SIGKILL') return null;
      action = 'stop';
      break;
    default:
      return null;
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (!ENGINE_ATTRIBUTES.has(k)) labels[k] = v;
  const at = msg.timeNano ? Math.floor(msg.timeNano / 1e6) : (msg.time ?? 0) * 1000;
  const event: RuntimeEvent = {
    kind: 'docker',
    action,
    name: (attrs.name ?? '').replace(/^\//, ''),
    labels,
    at: at || Date.now(),
  };
  if (msg.Action === 'die' && attrs.exitCode !== undefined && /^-?\d+$/.test(attrs.exitCode)) {
    event.exitCode = Number(attrs.exitCode);
  }
  return event;
}

/** The query of one `GET /events`: Engine API `filters` and `since` (UTC seconds). */
export interface EventsQuery {
  filters: Record<string, string[]>;
  since?: number;
}

/** Opens one `GET /events` and resolves its body once the engine answered 200; aborting `signal` closes it. */
export type OpenEvents = (query: EventsQuery, signal: AbortSignal) => Promise<NodeJS.ReadableStream>;

/** Most bytes of a refusal's body kept for its message. */
const REFUSAL_BODY_MAX = 4096;

/**
 * `GET /events` straight over node:http to a local engine's socket or tcp:// address (one connection of
 * its own, `Host: localhost`), so that following events at start does not load dockerode: with its
 * BuildKit (gRPC, protobuf) dependencies that costs about 100 ms of the core's start (bench/startup.mjs).
 * @returns the body stream of a 200 answer.
 * @throws Error `GET /events answered HTTP <status>: <engine message>` for any other status; the
 *   request's own error (ECONNREFUSED, ENOENT, AbortError).
 */
export function openLocalEvents(
  endpoint: Endpoint,
  query: EventsQuery,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const params = new URLSearchParams({ filters: JSON.stringify(query.filters) });
  if (query.since) params.set('since', String(query.since));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...endpoint,
        path: `/events?${params.toString()}`,
        method: 'GET',
        headers: { Host: 'localhost' },
        agent: false,
        signal,
      },
      (res) => {
        if (res.statusCode === 200) {
          resolve(res);
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < REFUSAL_BODY_MAX) body += c;
        });
        res.on('error', reject);
        res.on('end', () => {
          let message = body.slice(0, REFUSAL_BODY_MAX).trim();
          try {
            message = (JSON.parse(message) as { message?: string }).message ?? message;
          } catch {
            /* not JSON: the text itself */
          }
          reject(new Error(`GET /events answered HTTP ${res.statusCode}: ${message.slice(0, 300)}`));
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface Subscriber {
  onEvent: (e: RuntimeEvent) => void;
  onState?: (connected: boolean, error?: string) => void;
}

/** Minimal logger: the runtime's optional `log`. */
export interface EventsLog {
  warn(msg: string): void;
}

/**
 * The shared event stream. Starts with the first subscriber and stops with the last. After a break it
 * reconnects with `since` = the last event seen (or the moment it broke), so events that happened
 * while it was down are replayed; replayed duplicates are dropped.
 */
export class DockerEventStream {
  private readonly subs = new Set<Subscriber>();
  private abort: AbortController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs: number = EVENTS_BACKOFF_MS.first;
  private connected = false;
  private lastNano = 0;
  private brokeAtS = 0;
  private readonly recent: string[] = [];
  /** `oom` events per container name: how many, and the UTC ms of the last. Forgotten at its next start. */
  private readonly ooms = new Map<string, { count: number; at: number }>();

  /** @param open opens one `GET /events` (openLocalEvents, or dockerode's `getEvents` for a remote engine). */
  constructor(
    private readonly open: OpenEvents,
    private readonly log?: EventsLog,
  ) {}

  /** Adds a subscriber; returns its unsubscribe. A subscriber joining a live stream hears `onState(true)`. */
  subscribe(sub: Subscriber): () => void {
    this.subs.add(sub);
    if (this.subs.size === 1) this.connect();
    else if (this.connected) sub.onState?.(true);
    return () => {
      if (!this.subs.delete(sub)) return;
      if (this.subs.size === 0) this.stop();
    };
  }

  /**
   * `oom` events seen for container `name` since `sinceMs` (UTC ms), while this stream ran (the core
   * follows it from its start); 0 when none.
   */
  oomEvents(name: string, sinceMs: number): number {
    const seen = this.ooms.get(name);
    return seen && seen.at >= sinceMs - 1000 ? seen.count : 0;
  }

  /** Drops every subscriber and closes the stream. */
  close(): void {
    this.subs.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.abort = null;
    this.connected = false;
    this.backoffMs = EVENTS_BACKOFF_MS.first;
    this.lastNano = 0;
    this.brokeAtS = 0;
    this.recent.length = 0;
  }

  private connect(): void {
    this.timer = null;
    const ac = new AbortController();
    this.abort = ac;
    const since = this.lastNano ? Math.floor(this.lastNano / 1e9) : this.brokeAtS;
    let opened: Promise<NodeJS.ReadableStream>;
    try {
      opened = this.open(
        { filters: { type: ['container'], label: [LABELS.agentId] }, ...(since ? { since } : {}) },
        ac.signal,
      );
    } catch (err) {
      this.broken(ac, (err as Error).message);
      return;
    }
    opened
      .then((stream) => {
        if (this.abort !== ac) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          return;
        }
        this.backoffMs = EVENTS_BACKOFF_MS.first;
        this.setState(true);
        let partial = '';
        stream.on('data', (chunk: Buffer | string) => {
          const lines = (partial + chunk.toString()).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) this.handleLine(line);
        });
        stream.on('error', (err: Error) => this.broken(ac, err.message));
        stream.on('end', () => this.broken(ac, 'the Docker event stream ended'));
        stream.on('close', () => this.broken(ac, 'the Docker event stream closed'));
      })
      .catch((err: unknown) => this.broken(ac, (err as Error).message ?? String(err)));
  }

  private handleLine(line: string): void {
    let msg: DockerEventMessage;
    try {
      msg = JSON.parse(line) as DockerEventMessage;
    } catch {
      this.log?.warn(`docker events: skipped a line that is not JSON: ${line.slice(0, 120)}`);
      return;
    }
    const nano = msg.timeNano ?? (msg.time ?? 0) * 1e9;
    const key = `${nano}|${msg.Action}|${msg.Actor?.ID}`;
    if (nano < this.lastNano || this.recent.includes(key)) return; // replayed after a reconnect
    this.lastNano = nano;
    this.recent.push(key);
    if (this.recent.length > 64) this.recent.shift();
    const event = toRuntimeEvent(msg);
    if (!event) return;
    if (event.action === 'oom') {
      const seen = this.ooms.get(event.name);
      this.ooms.set(event.name, { count: (seen?.count ?? 0) + 1, at: event.at });
      if (this.ooms.size > 10_000) this.ooms.clear();
    } else if (event.action === 'start' || event.action === 'remove') this.ooms.delete(event.name);
    for (const s of [...this.subs]) {
      try {
        s.onEvent(event);
      } catch (err) {
        this.log?.warn(`docker events: a subscriber threw: ${(err as Error).message}`);
      }
    }
  }

  private broken(ac: AbortController, reason: string): void {
    if (this.abort !== ac) return; // stale stream, or stopped on purpose
    ac.abort();
    this.abort = null;
    if (this.connected || !this.brokeAtS) this.brokeAtS = Math.floor(Date.now() / 1000) - 1;
    this.setState(false, reason);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, EVENTS_BACKOFF_MS.max);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref?.();
  }

  private setState(connected: boolean, error?: string): void {
    const changed = this.connected !== connected;
    this.connected = connected;
    if (!changed && connected) return;
    for (const s of [...this.subs]) {
      try {
        s.onState?.(connected, error);
      } catch (err) {
        this.log?.warn(`docker events: a state listener threw: ${(err as Error).message}`);
      }
    }
  }
}
