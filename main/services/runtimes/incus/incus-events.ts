// Incus lifecycle events over one websocket (/1.0/events), normalised to RuntimeEvent, reconnected with backoff.
import WebSocket from 'ws';
import type { IncusClient } from './incus-client';
import type { Logger } from '../../../platform/logging';
import { LABELS } from '../container-runtime';
import type { RuntimeEvent } from '../container-runtime';
import { labelsOf } from './incus-config';
import type { IncusInstance } from './incus-config';

/** Incus lifecycle action → app action (Incus docs, "Events": lifecycle event types). Others are dropped. */
const ACTIONS: Record<string, RuntimeEvent['action']> = {
  'instance-started': 'start',
  'instance-stopped': 'stop',
  'instance-shutdown': 'stop',
  'instance-created': 'create',
  'instance-deleted': 'remove',
  'instance-renamed': 'rename',
};

/** Reconnect delays: first retry after 500 ms, doubling up to 30 s; reset once connected. */
const BACKOFF_MS = { first: 500, max: 30_000 };

interface LifecycleMessage {
  type?: string;
  timestamp?: string;
  project?: string;
  metadata?: {
    action?: string;
    source?: string;
    name?: string;
    context?: { old_name?: string };
  };
}

/** What the stream needs from the driver: instance lookups by name and the list of all instances. */
export interface InstanceLookup {
  /** The instance, or null when it does not exist. */
  get(name: string): Promise<IncusInstance | null>;
  all(): Promise<IncusInstance[]>;
}

type Subscriber = {
  onEvent: (e: RuntimeEvent) => void;
  onState?: (connected: boolean, error?: string) => void;
};

/**
 * One long-lived `/1.0/events?type=lifecycle` websocket (`ws+unix://` on the socket, `wss://` to a
 * remote, see {@link IncusClient.websocket}) connection shared by all subscribers,
 * opened with the first and closed with the last. Only instances labelled `agentdesk.agent_id` are
 * reported; labels come from a name → labels cache (filled from the instance list at each connect and
 * by lookups), so a `remove` still carries the labels of the instance that is gone. Events are handled
 * one after the other, in the order Incus sent them. Incus events carry no exit code.
 */
export class IncusEventStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly labels = new Map<string, Record<string, string>>();
  private ws: WebSocket | null = null;
  private retry: NodeJS.Timeout | null = null;
  private delay = BACKOFF_MS.first;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: Pick<IncusClient, 'websocket'>,
    private readonly project: string,
    private readonly lookup: InstanceLookup,
    private readonly log?: Pick<Logger, 'warn' | 'debug'>,
  ) {}

  /** Adds a subscriber (connecting when it is the first); returns its unsubscribe function. */
  subscribe(onEvent: Subscriber['onEvent'], onState?: Subscriber['onState']): () => void {
    const sub: Subscriber = { onEvent, onState };
    this.subscribers.add(sub);
    this.closed = false;
    if (!this.ws && !this.retry) this.connect();
    else if (this.ws?.readyState === WebSocket.OPEN) onState?.(true);
    return () => {
      this.subscribers.delete(sub);
      if (this.subscribers.size === 0) this.close();
    };
  }

  /** Remembers labels the driver just set or read (saves a lookup on the next event). */
  remember(name: string, labels: Record<string, string>): void {
    this.labels.set(name, labels);
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const ws = this.ws;
    this.ws = null;
    ws?.removeAllListeners();
    ws?.on('error', () => undefined);
    ws?.terminate();
  }

  private connect(): void {
    const query = `type=lifecycle&project=${encodeURIComponent(this.project)}`;
    const ws = this.client.websocket(`/1.0/events?${query}`);
    this.ws = ws;
    ws.on('open', () => {
      this.delay = BACKOFF_MS.first;
      this.enqueue(async () => {
        for (const inst of await this.lookup.all()) this.labels.set(inst.name, labelsOf(inst.config));
      });
      for (const s of this.subscribers) s.onState?.(true);
    });
    ws.on('message', (data: WebSocket.RawData) => {
      let msg: LifecycleMessage;
      try {
        msg = JSON.parse(rawText(data)) as LifecycleMessage;
      } catch {
        return;
      }
      this.enqueue(() => this.handle(msg));
    });
    ws.on('error', (err) => this.log?.debug({ err: err.message }, 'incus events: socket error'));
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const why = reason.toString() || `connection closed (${code})`;
      for (const s of this.subscribers) s.onState?.(false, why);
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.subscribers.size === 0) return;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, BACKOFF_MS.max);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed) this.connect();
    }, delay);
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue
      .then(task)
      .catch((err: Error) => this.log?.warn({ err: err.message }, 'incus events: could not handle an event'));
  }

  private async handle(msg: LifecycleMessage): Promise<void> {
    const meta = msg.metadata;
    const action = ACTIONS[meta?.action ?? ''];
    if (msg.type !== 'lifecycle' || !action || !meta) return;
    if (msg.project && msg.project !== this.project) return;
    const name = meta.name ?? meta.source?.split('/').pop() ?? '';
    if (!name) return;
    let labels: Record<string, string> | undefined;
    if (action === 'remove') {
      labels = this.labels.get(name);
      this.labels.delete(name);
    } else {
      const old = action === 'rename' ? meta.context?.old_name : undefined;
      labels = old ? this.labels.get(old) : undefined;
      if (old) this.labels.delete(old);
      if (!labels || action === 'create') {
        const inst = await this.lookup.get(name);
        labels = inst ? labelsOf(inst.config) : this.labels.get(name);
      }
      if (labels) this.labels.set(name, labels);
    }
    if (!labels?.[LABELS.agentId]) return;
    const event: RuntimeEvent = {
      kind: 'incus',
      action,
      name,
      labels,
      at: Date.parse(msg.timestamp ?? '') || Date.now(),
    };
    for (const s of this.subscribers) s.onEvent(event);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
