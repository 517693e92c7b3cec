// Named engines as a product feature: add, list, remove, probe; each one a health component `engine:<id>`.
import type { Engine, EngineAddInput, EngineMember } from '../../../contract/engines';
import { EngineAddInput as AddSchema } from '../../../contract/engines';
import { AppError } from '../../../contract/errors';
import type { ComponentHealth, ComponentName } from '../../../contract/health';
import type { Logger } from '../../platform/logging';
import type { EngineRecord, EngineTarget } from '../runtimes/engine-target';
import { runtimeKey } from '../runtimes/engine-target';
import type { Runtimes } from '../runtimes/runtimes';
import { certFingerprint } from './engine-repository';
import type { EngineRepository } from './engine-repository';

/**
 * Makes this core's client certificate trusted by an Incus remote with a trust token (`incus remote add`
 * semantics): checks the remote's certificate against the token's fingerprint and returns the PEMs to
 * keep. @throws Error naming why the remote refused or could not be reached.
 */
export type IncusEnrol = (input: {
  url: string;
  token: string;
  name: string;
}) => Promise<{ serverCertPem: string; clientCertPem: string; clientKeyPem: string }>;

/** An enrolment for builds without the Incus remote client: refused, saying so. */
export const NO_INCUS_ENROL: IncusEnrol = () =>
  Promise.reject(new Error('Incus remotes over HTTPS are not available in this build of Agent Desk'));

/** Provider key shapes an engine's fields may never hold (an engine carries no provider key). */
const PROVIDER_KEY_SHAPE = /(sk-[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,}|xai-[A-Za-z0-9]{20,})/;

/** What the engine service needs. */
export interface EngineServiceDeps {
  repo: EngineRepository;
  runtimes: Runtimes;
  /** How many agents are recorded on an engine (archived included). */
  agentsOn: (engine: string) => number;
  /** Health components of the engines are registered here; a change is checked at once. */
  health: {
    setProbe(name: ComponentName, probe: (() => ComponentHealth) | null): void;
    recheck(): Promise<unknown>;
  };
  /** What a probe found (the agent service's runtime follower: its agents `unreachable`, reconciled when back). */
  reachable: (key: string, up: boolean, error?: string) => void;
  /** Whether text holds a secret the core knows (a provider key read from the keychain). */
  holdsSecret: (text: string) => boolean;
  enrolIncus?: IncusEnrol;
  /** Interval of the engines' probes, ms (default 2000; with the ping deadline an outage shows within 5 s); 0 = only on demand. */
  probeIntervalMs?: number;
  /** Deadline of one probe, ms (default 1500). */
  probeTimeoutMs?: number;
  /** The engines changed (added, removed, health): for the UIs. */
  onChange?: () => void;
  log: Logger;
}

/**
 * The named engines: stored by {@link EngineRepository}, driven by the runtimes the core's factory
 * builds, probed every {@link EngineServiceDeps.probeIntervalMs} (a health component `engine:<id>` each,
 * with its fix). A probe that fails marks the engine's agents `unreachable` (never a phase change); the
 * next that succeeds has them reconciled.
 */
export class EngineService {
  private readonly health = new Map<string, ComponentHealth>();
  private timer: NodeJS.Timeout | null = null;
  private readonly inflight = new Map<string, Promise<ComponentHealth>>();
  /** Set by {@link shutdown}: probes record nothing more. */
  private stopped = false;

  constructor(private readonly d: EngineServiceDeps) {}

  /** Registers the runtimes and health components of the stored engines, and starts probing. No I/O on the engines. */
  load(): void {
    for (const p of this.d.repo.problems())
      this.d.log.error({ engine: p.id, err: p.error }, 'engine left out: its files cannot be read');
    for (const rec of this.d.repo.list()) this.register(rec);
    // Probed at once in the background, so their health is known before the first interval ends.
    if (this.d.repo.briefs().length) void this.probeAll();
    const every = this.d.probeIntervalMs ?? 2000;
    if (every > 0 && !this.timer) {
      this.timer = setInterval(() => void this.probeAll(), every);
      this.timer.unref();
    }
  }

  /** Stops probing. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A probe in flight ends within its timeout and then records nothing (the database may be closed next).
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** The name of an engine as shown (`This machine` for `local`; the id when unknown). */
  nameOf(id: string): string {
    if (id === 'local') return 'This machine';
    return this.d.repo.briefs().find((e) => e.id === id)?.name ?? id;
  }

  /** Id, name and kind of every named engine (what `agents.create` accepts). */
  brief(): { id: string; name: string; kind: EngineTarget['kind'] }[] {
    return this.d.repo.briefs();
  }

  /** Every named engine, oldest first, as the UI shows it (no PEM text). */
  list(): Engine[] {
    return this.d.repo.list().map((r) => this.view(r));
  }

  /**
   * Adds a named engine: validated, an Incus remote enrolled by its token, stored (PEMs in its folder),
   * its runtime built and probed at once.
   * @throws AppError INVALID_INPUT (the field and what is valid; a provider key in any field), CONFLICT
   *   (id taken), UPSTREAM (the Incus remote refused the token).
   */
  async add(raw: EngineAddInput): Promise<Engine> {
    const parsed = AddSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new AppError('INVALID_INPUT', `${i.path.join('.') || 'input'}: ${i.message}`);
    }
    const input = parsed.data;
    const text = JSON.stringify(raw);
    if (PROVIDER_KEY_SHAPE.test(text) || this.d.holdsSecret(text))
      throw new AppError(
        'INVALID_INPUT',
        'An engine never carries a provider key: one of its fields holds one; provider keys belong to providers (`providers.add`)',
      );
    if (this.d.repo.has(input.id))
      throw new AppError('CONFLICT', `An engine with the id "${input.id}" exists; choose another id`);
    let target: EngineTarget;
    if (input.transport === 'ssh') target = { kind: 'docker', transport: 'ssh', ssh: input.ssh };
    else if (input.transport === 'tls')
      target = {
        kind: 'docker',
        transport: 'tls',
        host: input.host,
        port: input.port,
        caPem: input.ca_pem,
        certPem: input.cert_pem,
        keyPem: input.key_pem,
      };
    else {
      const enrol = this.d.enrolIncus ?? NO_INCUS_ENROL;
      let pems: Awaited<ReturnType<IncusEnrol>>;
      try {
        pems = await enrol({ url: input.url.replace(/\/$/, ''), token: input.token, name: input.name });
      } catch (err) {
        throw new AppError(
          'UPSTREAM',
          `The Incus remote at ${input.url} did not trust this core: ${(err as Error).message}`,
        );
      }
      target = {
        kind: 'incus',
        transport: 'https',
        url: input.url.replace(/\/$/, ''),
        ...pems,
        member: input.member ?? null,
      };
    }
    const rec: EngineRecord = { id: input.id, name: input.name, target, createdAt: Date.now() };
    this.d.repo.add(rec);
    this.register(rec);
    await this.probe(rec.id);
    this.d.onChange?.();
    return this.view(rec);
  }

  /**
   * Removes a named engine: refused while any agent (archived included) is recorded on it; what Agent
   * Desk made there (gateway relay, egress proxy, their volume and networks) is removed when the engine
   * answers (else logged: nothing of an agent is left, those are a few idle parts), its runtime closed,
   * its health component dropped, its PEM files deleted.
   * @throws AppError NOT_FOUND, CONFLICT naming the agents.
   */
  async remove(id: string): Promise<{ id: string }> {
    this.d.repo.remove(id);
    this.d.health.setProbe(`engine:${id}`, null);
    this.health.delete(id);
    await this.d.runtimes.remove(id, (outcome) => {
      if ('error' in outcome)
        this.d.log.warn(
          { engine: id, err: outcome.error },
          'engine removed; what Agent Desk made there (relay, egress proxy) could not be removed',
        );
      else if (outcome.kept.length)
        this.d.log.warn({ engine: id, kept: outcome.kept }, 'engine removed; parts still in use were left');
    });
    void this.d.health.recheck();
    this.d.onChange?.();
    return { id };
  }

  /** Probes an engine now. @throws AppError NOT_FOUND */
  async test(id: string): Promise<Engine> {
    const rec = this.d.repo.get(id);
    if (!rec) throw new AppError('NOT_FOUND', `No engine with the id "${id}"; see \`engines.list\``);
    await this.probe(id);
    return this.view(rec);
  }

  /**
   * The cluster members of an engine: an Incus engine's (its runtime's `members()`), empty for a Docker
   * engine or an Incus server that is not a cluster.
   * @throws AppError NOT_FOUND; UNAVAILABLE when the engine cannot be driven or does not answer.
   */
  async members(id: string): Promise<EngineMember[]> {
    const rec = this.d.repo.get(id);
    if (!rec) throw new AppError('NOT_FOUND', `No engine with the id "${id}"; see \`engines.list\``);
    if (rec.target.kind !== 'incus') return [];
    const entry = this.d.runtimes.ofEngine(id);
    if (!entry)
      throw new AppError(
        'UNAVAILABLE',
        `${rec.name}: ${this.d.runtimes.refusal(id) ?? 'its runtime could not be built'}`,
      );
    const list = (
      entry.rt as { members?: () => Promise<{ name: string; status: string; message: string }[]> }
    ).members;
    if (!list) return [];
    try {
      const members = await list.call(entry.rt);
      return members.map((m) => ({
        name: m.name,
        status: m.status,
        online: m.status === 'Online',
        message: m.message,
      }));
    } catch (err) {
      throw new AppError(
        'UNAVAILABLE',
        `${rec.name} (${addressOf(rec.target)}) did not list its members: ${(err as Error).message}`,
      );
    }
  }

  /** Probes every named engine now (the periodic probe). */
  async probeAll(): Promise<void> {
    await Promise.all(this.d.repo.list().map((r) => this.probe(r.id)));
  }

  private register(rec: EngineRecord): void {
    this.d.runtimes.add(rec);
    const name = `engine:${rec.id}` as const;
    this.d.health.setProbe(name, () => this.health.get(rec.id) ?? this.pending(rec));
  }

  /** Pings an engine (one probe at a time per engine) and records its health; a change is told. */
  private probe(id: string): Promise<ComponentHealth> {
    let run = this.inflight.get(id);
    if (!run) {
      run = this.runProbe(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, run);
    }
    return run;
  }

  private async runProbe(id: string): Promise<ComponentHealth> {
    if (this.stopped)
      return this.pending({ id, name: id, target: { kind: 'docker', transport: 'local' }, createdAt: 0 });
    const rec = this.d.repo.get(id);
    if (!rec)
      return this.pending({ id, name: id, target: { kind: 'docker', transport: 'local' }, createdAt: 0 });
    const before = this.health.get(id);
    const entry = this.d.runtimes.ofEngine(id);
    const name = `engine:${id}` as const;
    let h: ComponentHealth;
    let up = false;
    let error: string | undefined;
    if (!entry) {
      const refusal = this.d.runtimes.refusal(id) ?? 'its runtime could not be built';
      h = {
        name,
        state: 'error',
        detail: `${rec.name} (${addressOf(rec.target)}): ${refusal}`,
        fix: 'Use a build of Agent Desk with remote engines, or remove this engine',
      };
    } else {
      const timeoutMs = this.d.probeTimeoutMs ?? 1500;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          entry.rt.ping(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        up = true;
        h = { name, state: 'ok', detail: `${rec.name}: ${addressOf(rec.target)} answers`, fix: '' };
      } catch (err) {
        error = (err as Error).message;
        h = {
          name,
          state: 'missing',
          detail: `${rec.name} (${addressOf(rec.target)}) is not reachable: ${error}`,
          fix: fixOf(rec.target),
        };
      } finally {
        clearTimeout(timer);
      }
      if (!this.stopped) this.d.reachable(runtimeKey(entry.kind, id), up, error);
    }
    if (this.stopped || !this.d.repo.has(id)) return h; // the core is stopping, or the engine was removed meanwhile
    this.health.set(id, h);
    if (!before || before.state !== h.state || before.detail !== h.detail) {
      if (before?.state !== h.state)
        this.d.log[h.state === 'ok' ? 'info' : 'warn'](
          { engine: id, state: h.state, detail: h.detail },
          'engine health',
        );
      void this.d.health.recheck();
      this.d.onChange?.();
    }
    return h;
  }

  private pending(rec: EngineRecord): ComponentHealth {
    return { name: `engine:${rec.id}`, state: 'starting', detail: `${rec.name}: not probed yet`, fix: '' };
  }

  private view(rec: EngineRecord): Engine {
    const t = rec.target;
    const fingerprints: Record<string, string> = {};
    const add = (k: string, pem: string) => {
      const f = certFingerprint(pem);
      if (f) fingerprints[k] = f;
    };
    if (t.transport === 'tls') {
      add('ca', t.caPem);
      add('cert', t.certPem);
    } else if (t.kind === 'incus' && t.transport === 'https') {
      add('server', t.serverCertPem);
      add('client', t.clientCertPem);
    }
    return {
      id: rec.id,
      name: rec.name,
      kind: t.kind,
      transport: t.transport === 'local' ? 'tls' : t.transport,
      address: addressOf(t),
      fingerprints,
      member: t.kind === 'incus' && t.transport === 'https' ? (t.member ?? null) : null,
      agents: this.d.agentsOn(rec.id),
      health: this.health.get(rec.id) ?? this.pending(rec),
      created_at: rec.createdAt,
    };
  }
}

/** Where an engine is, as one line: `ssh://user@host:port`, `tcp://host:port`, `https://host:port`. */
export function addressOf(t: EngineTarget): string {
  if (t.transport === 'ssh') return `ssh://${t.ssh.user}@${t.ssh.host}:${t.ssh.port}`;
  if (t.transport === 'tls') return `tcp://${t.host}:${t.port}`;
  if (t.transport === 'https') return t.url;
  return 'this machine';
}

/** The fix of an engine that does not answer, per transport. */
function fixOf(t: EngineTarget): string {
  const kept = 'its agents are kept as they are and reconciled when it answers';
  if (t.transport === 'ssh')
    return `Check that \`ssh -p ${t.ssh.port} ${t.ssh.user}@${t.ssh.host} docker version\` works from this machine (host up, key in your SSH agent, host key known); ${kept}`;
  if (t.transport === 'tls')
    return `Check that dockerd on ${t.host} listens with TLS on port ${t.port} (--tlsverify) and that this machine reaches it (firewall, VPN); ${kept}`;
  if (t.transport === 'https')
    return `Check that Incus on ${t.url} listens (core.https_address) and that this machine reaches it; ${kept}`;
  return kept;
}
