// The gateway's port: the one agents' endpoints name is kept; a squatter on it is reported, never silently replaced.
import fs from 'node:fs';
import type { Logger } from '../../../platform/logging';
import { listenerOf } from '../../../platform/socket-owner';
import type { Gateway } from './gateway';

/** What {@link GatewayPortKeeper} needs. Times in ms. */
export interface GatewayPortOptions {
  gateway: Pick<Gateway, 'start' | 'stop' | 'port'>;
  /** Where the port is remembered between runs (`<data>/litellm/gateway.json`, `{"port": N}`). */
  file: string;
  /** A port given by the caller (tests, `0` = any free one); it is never replaced. */
  explicitPort?: number;
  /** Whether anything may still call the port of last time (agents exist); default true. */
  dependents?: () => boolean;
  /** How often a port held by another process is tried again (default 3 000). */
  retryMs?: number;
  log: Logger;
  /** Called when the error or the port changes (the status is emitted again). */
  onChange: () => void;
}

/**
 * Starts the gateway on its port and keeps it there. Agents' endpoints name the port (their env files;
 * Incus proxy devices, which forward `127.0.0.1:4000` inside the container to `127.0.0.1:<port>` here), so
 * the port of last time is never replaced while agents exist: a process holding it would receive their
 * requests and virtual keys. Instead {@link error} names that process and {@link fix} says what to do,
 * {@link refusal} keeps agents from starting, and the port is tried again every few seconds, so freeing
 * it is all the user has to do (docs/security/gateway.md, "The gateway's port"). With no agent, a taken
 * port is replaced by a free one (logged).
 */
export class GatewayPortKeeper {
  /** Why the gateway does not listen, or `null`. */
  error: string | null = null;
  /** What the user can do about {@link error}. */
  fix: string | null = null;
  /** The port of last time while another process holds it, else `null`. */
  taken: number | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly o: GatewayPortOptions) {}

  /** The port remembered from the last run, or 0 (none, or unreadable). */
  static persisted(file: string): number {
    try {
      const p = (JSON.parse(fs.readFileSync(file, 'utf8')) as { port?: unknown }).port;
      return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : 0;
    } catch {
      return 0;
    }
  }

  /**
   * Listens on the explicit port, else on the port of last time, else on a free one (see the class
   * comment for a taken port). Never throws: problems are kept in {@link error}.
   */
  async start(): Promise<void> {
    const explicit = this.o.explicitPort;
    const port = explicit ?? GatewayPortKeeper.persisted(this.o.file);
    let err = await this.listenOn(port);
    // A core that just quit may hold it for a moment longer: two more tries before calling it taken.
    for (let i = 0; i < 2 && err?.code === 'EADDRINUSE'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      err = await this.listenOn(port);
    }
    if (!err) return this.persist();
    const taken = err.code === 'EADDRINUSE' && port > 0;
    if (taken && explicit === undefined && !(this.o.dependents?.() ?? true)) {
      this.o.log.warn(
        { port },
        'the gateway port of last time is taken and no agent uses it: taking a free one',
      );
      err = await this.listenOn(0);
      if (!err) return this.persist();
    }
    this.o.log.error({ err, port }, 'gateway could not listen');
    if (!taken) {
      this.error = err.message;
      this.fix = 'Restart Agent Desk; see its log';
      return;
    }
    this.taken = port;
    this.describe(port);
    this.retry = setInterval(() => void this.retryTaken(), this.o.retryMs ?? 3000);
    this.retry.unref();
  }

  /**
   * Why agents may not start now (the gateway does not listen on its port), or `null`.
   * @param closed the service is shutting down.
   */
  refusal(closed: boolean): string | null {
    if (this.error) return `The gateway is not listening: ${this.error}`;
    if (closed || this.o.gateway.port === 0) return 'The gateway is not listening.';
    return null;
  }

  /** Stops retrying. */
  close(): void {
    this.closed = true;
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
  }

  private async listenOn(port: number): Promise<NodeJS.ErrnoException | null> {
    try {
      await this.o.gateway.start(port);
      return null;
    } catch (err) {
      return err as NodeJS.ErrnoException;
    }
  }

  private describe(port: number): void {
    const owner = listenerOf(port);
    const who = owner
      ? `process ${owner.pid} (${owner.command})`
      : 'another process (not visible to this user: it may belong to another user)';
    this.error =
      `Port ${port} on 127.0.0.1 is used by ${who}. Agents are configured to call the gateway on that port, ` +
      'so it does not move: agents are kept stopped until it is free.';
    this.fix = owner
      ? `Stop process ${owner.pid} (\`kill ${owner.pid}\`) or make it use another port; Agent Desk takes port ${port} back within seconds`
      : `Find what listens on port ${port} (\`ss -ltnp 'sport = :${port}'\` as root) and stop it; Agent Desk takes the port back within seconds`;
  }

  private async retryTaken(): Promise<void> {
    const port = this.taken;
    if (port === null || this.closed) return;
    const failed = await this.listenOn(port);
    if (this.closed) {
      if (!failed) await this.o.gateway.stop(0); // shut down meanwhile
      return;
    }
    if (failed) {
      const before = this.error;
      this.describe(port); // the squatter may have changed
      if (before !== this.error) this.o.onChange();
      return;
    }
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
    this.taken = null;
    this.error = this.fix = null;
    this.persist();
    this.o.log.info({ port }, 'the gateway port is free again: listening');
    this.o.onChange();
  }

  private persist(): void {
    if (this.o.gateway.port)
      fs.writeFileSync(this.o.file, JSON.stringify({ port: this.o.gateway.port }), { mode: 0o600 });
  }
}
