// Egress per agent: stores policies, attaches containers (address, DNS), keeps the host firewall and resolver in step, traces refusals.
import type { AgentPhase } from '../../../contract/agents';
import type { AgentEgress, AgentPolicyInput, EgressMode } from '../../../contract/egress';
import type { TraceEventOf } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import type {
  ContainerRuntime,
  EgressAttachment,
  EgressNetwork,
  RuntimeKind,
} from '../runtimes/container-runtime';
import type { Db } from '../storage/database';
import { pickAddress } from './egress-addresses';
import { AgentAllowlist, nextPolicy } from './egress-allowlist';
import { EgressFirewall } from './egress-firewall';
import { agentTag, routedIfaceName, ruleComment } from './egress-names';
import { RefusalFolder, classify } from './egress-refusals';
import { EgressRepository } from './egress-repository';
import { EgressResolver, upstreamsFrom } from './egress-resolver';
import { agentRulesInput, baseInputOf, bridgeMoved, protectedRangesOf } from './egress-inputs';
import type { AgentRulesInput } from './egress-rules';
import { Iptables } from './iptables';
import { KernelLogFollower } from './kernel-log';
import type { RefusedPacket } from './kernel-log';

/** Thrown by {@link EgressService.attach} when the policy cannot be enforced on this host; `fix` says what to do. */
export class EgressUnavailableError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'EgressUnavailableError';
  }
}

/** An agent of this core as the egress service needs it. */
export interface EgressAgent {
  id: string;
  runtime: RuntimeKind;
  container: string;
  phase: AgentPhase;
}

/** What the egress service needs. */
export interface EgressServiceDeps {
  db: Db;
  /** This core's label value (a hash of its data dir), written in the comments of its rules. */
  instanceId: string;
  runtimes: Partial<Record<RuntimeKind, ContainerRuntime>>;
  /** The agents of this core (the agent repository). */
  agents: () => EgressAgent[];
  /** The gateway's port on the host (Docker agents may open it on the bridge address). */
  gatewayPort: () => number;
  /** Where `egress` trace events go (the trace recorder). Must not throw. */
  record: (e: TraceEventOf<'egress'>) => void;
  log: Logger;
  /** `AGENTDESK_EGRESS=off` turns enforcement off (agents then run on the engine's network unfiltered). */
  env?: NodeJS.ProcessEnv;
  iptables?: Iptables;
  kmsgPath?: string;
  /** How often the base rules are checked (ms, default 30 000; 0 = never). */
  checkIntervalMs?: number;
}

/**
 * Phases whose agents are attached again at start and when an engine comes back (their containers are
 * at rest; an agent in the middle of an operation is attached by that operation).
 */
const RECONCILED: ReadonlySet<AgentPhase> = new Set<AgentPhase>(['running', 'stopped', 'failed', 'archived']);

const FIX =
  'Run Agent Desk as root (the documented setup: `sudo agentdesk serve`) on Linux with iptables, or set AGENTDESK_EGRESS=off to run agents without egress control (see docs/security/egress.md)';

/**
 * The egress policy of every agent (docs/decisions/009-egress.md): `none` (gateway only), `allowlist`,
 * `open`, enforced on the host outside the containers by iptables rules keyed on each agent's fixed
 * address (Docker) or routed NIC (Incus), plus a resolver that answers only allowed names. Refusals
 * (kernel log of the rules' LOG target, and refused lookups) become `egress` trace events. Rules outlive
 * the core (agents left running stay contained); they are checked every 30 s and when an engine comes
 * back, re-applied at start, removed at purge.
 */
export class EgressService {
  private readonly repo: EgressRepository;
  private readonly ipt: Iptables;
  private readonly firewall: EgressFirewall;
  private readonly resolver: EgressResolver;
  private readonly folder: RefusalFolder;
  private readonly kmsg: KernelLogFollower;
  private readonly env: NodeJS.ProcessEnv;
  private enforced = false;
  private off = false;
  private reason = 'not started';
  private readonly policies = new Map<string, AgentAllowlist>();
  /** Agents attached since start: engine and address. */
  private readonly bound = new Map<string, { kind: RuntimeKind; address: string }>();
  private readonly networks = new Map<RuntimeKind, EgressNetwork>();
  private readonly byTag = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  /** The base input last made sure of (ensureBase is ~30 iptables calls; a health look is 5). */
  private baseKey: string | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private checking: Promise<void> = Promise.resolve();
  /** Settles once {@link init} has decided whether egress is enforced (null before init is called). */
  private decided: Promise<void> | null = null;

  constructor(private readonly d: EgressServiceDeps) {
    this.env = d.env ?? process.env;
    this.repo = new EgressRepository(d.db);
    this.ipt = d.iptables ?? new Iptables(this.env);
    this.firewall = new EgressFirewall(this.ipt, d.log);
    this.resolver = new EgressResolver(
      {
        agentBySource: (address) => this.agentBySource(address),
        decide: (id, name) => this.policy(id).decide(name),
        answered: (id, name, addresses) => this.learned(id, name, addresses),
        refused: (id, name) =>
          this.folder.add({
            agentId: id,
            protocol: 'dns',
            address: null,
            port: null,
            host: name,
            mode: this.policy(id).mode,
            rule: 'not_allowed',
          }),
      },
      () => upstreamsFrom(this.env),
      d.log,
    );
    this.folder = new RefusalFolder(
      (e) => d.record(e),
      (agentId, count) =>
        d.log.warn({ agent: agentId, count }, 'egress refusals not traced (more than 60 a minute)'),
    );
    this.kmsg = new KernelLogFollower((p) => this.onRefusedPacket(p), d.kmsgPath);
  }

  /**
   * Decides whether egress can be enforced here (Linux, iptables usable by this process, not turned
   * off), follows the kernel log, applies every agent's rules again and starts the periodic check.
   * Never throws: what fails is logged and {@link status} says why.
   */
  async init(): Promise<void> {
    let decided = (): void => undefined;
    this.decided = new Promise((r) => (decided = r));
    try {
      await this.decide();
    } finally {
      decided();
    }
    if (!this.enforced) return;
    const kmsg = this.kmsg.start();
    if (kmsg) this.d.log.warn(kmsg);
    for (const a of this.d.agents()) this.byTag.set(agentTag(a.id), a.id);
    await this.reconcile().catch((err: Error) =>
      this.d.log.error({ err: err.message }, 'egress rules could not be applied'),
    );
    const every = this.d.checkIntervalMs ?? 30_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.check(), every);
      this.timer.unref();
    }
    for (const [kind, rt] of Object.entries(this.d.runtimes) as [RuntimeKind, ContainerRuntime][])
      this.unsubscribe.push(
        rt.events(
          () => undefined,
          (connected) => {
            if (connected) void this.check(kind);
          },
        ),
      );
  }

  /** Sets `off`, or `enforced`, or the reason it cannot be (see {@link init}). Never throws. */
  private async decide(): Promise<void> {
    if (this.env.AGENTDESK_EGRESS === 'off') {
      this.off = true;
      this.reason =
        'egress control is turned off (AGENTDESK_EGRESS=off): agents reach anything their engine lets them';
      this.d.log.warn(this.reason);
      return;
    }
    const why =
      process.platform === 'linux'
        ? await this.ipt.probe()
        : `egress control needs a Linux host (this is ${process.platform})`;
    if (why) {
      this.reason = why;
      this.d.log.warn({ reason: why }, 'egress cannot be enforced: agents cannot be deployed');
      return;
    }
    this.enforced = true;
    this.reason = '';
  }

  /** Whether policies are enforced now, and if not why (one line). */
  status(): { enforced: boolean; reason: string } {
    return { enforced: this.enforced, reason: this.reason };
  }

  /** The agent's policy as the contract shows it. */
  view(agentId: string): AgentEgress {
    const row = this.repo.get(agentId);
    return {
      mode: row?.mode ?? 'none',
      allow: row?.allow ?? [],
      enforced: this.enforced,
      address: row?.address ?? null,
    };
  }

  /** Records a new agent's policy: `mode` defaults to `allowlist` when entries are given, else `none`. */
  create(agentId: string, mode: EgressMode | undefined, allow: string[]): void {
    this.repo.setPolicy(agentId, mode ?? (allow.length ? 'allowlist' : 'none'), [...new Set(allow)]);
    this.policies.delete(agentId);
    this.byTag.set(agentTag(agentId), agentId);
  }

  /**
   * Changes the agent's mode and entries; an attached agent gets the new rules at once (its container is
   * not touched). @throws AppError INVALID_INPUT for an entry to remove that is not listed, or too many.
   */
  async update(agentId: string, input: Omit<AgentPolicyInput, 'id'>): Promise<AgentEgress> {
    const row = this.repo.get(agentId);
    const { mode, allow } = nextPolicy({ mode: row?.mode ?? 'none', allow: row?.allow ?? [] }, input);
    this.repo.setPolicy(agentId, mode, allow);
    const next = new AgentAllowlist(mode, allow);
    const before = this.policies.get(agentId);
    if (before) next.carryOver(before);
    this.policies.set(agentId, next);
    if (this.enforced && this.bound.has(agentId))
      await this.firewall.updateAgentChains(this.rulesInput(agentId));
    this.d.log.info({ agent: agentId, mode, entries: allow.length }, 'egress policy changed');
    return this.view(agentId);
  }

  /**
   * Attaches the agent before its container is created (`existing` false) or started (`existing` true):
   * picks its address, opens its DNS path, applies its rules; an existing container is given the
   * address and DNS path it lacks. @returns the attachment for the container spec, or null when egress
   * control is turned off. @throws EgressUnavailableError when it cannot be enforced here; engine errors.
   */
  async attach(
    agentId: string,
    kind: RuntimeKind,
    container: string,
    existing: boolean,
  ): Promise<EgressAttachment | null> {
    // A deploy that starts while the core is still deciding (right after start) waits for the decision
    // instead of failing with "not started".
    if (this.decided) await this.decided;
    if (this.off) return null;
    if (!this.enforced)
      throw new EgressUnavailableError(`The agent's egress policy cannot be enforced: ${this.reason}`, FIX);
    const rt = this.runtime(kind);
    const network = await rt.egressNetwork();
    const moved = bridgeMoved(this.networks.get(kind), network);
    this.networks.set(kind, network);
    await this.ensureBase();
    const held = await rt.egressAddressesInUse();
    for (const [id, address] of this.repo.addresses()) if (!held.has(address)) held.set(address, id);
    const address = pickAddress(
      agentId,
      this.repo.get(agentId)?.address ?? null,
      network,
      held,
      new Set([agentId, container]),
    );
    if (!this.repo.get(agentId)) this.create(agentId, undefined, []);
    this.repo.setAddress(agentId, address);
    this.byTag.set(agentTag(agentId), agentId);
    const att: EgressAttachment =
      network.kind === 'bridge'
        ? { address, dnsServer: network.gateway }
        : {
            address,
            hostInterface: routedIfaceName(agentTag(agentId)),
            dnsHostPort: await this.resolver.listenAgent(agentId),
          };
    if (network.kind === 'bridge') await this.resolver.listenShared(network.gateway);
    this.bound.set(agentId, { kind, address });
    await this.firewall.applyAgent(this.rulesInput(agentId));
    if (existing) await rt.attachEgress(container, att);
    if (moved) await this.reapply(kind, agentId);
    return att;
  }

  /** Removes the agent's rules, resolver port and policy (purge). Never throws for rules already gone. */
  async release(agentId: string): Promise<void> {
    this.bound.delete(agentId);
    this.policies.delete(agentId);
    this.resolver.closeAgent(agentId);
    if (this.enforced)
      await this.firewall
        .removeAgent(ruleComment(this.d.instanceId, agentId), agentTag(agentId))
        .catch((err: Error) =>
          this.d.log.warn({ agent: agentId, err: err.message }, 'egress rules could not be removed'),
        );
    this.byTag.delete(agentTag(agentId));
    this.repo.delete(agentId);
  }

  /** Stops the check, the kernel log, the resolver; rules stay (agents left running stay contained). */
  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.kmsg.close();
    this.folder.close();
    this.resolver.close();
  }

  private runtime(kind: RuntimeKind): ContainerRuntime {
    const rt = this.d.runtimes[kind];
    if (!rt) throw new Error(`The ${kind} runtime is not available in this app`);
    return rt;
  }

  private policy(agentId: string): AgentAllowlist {
    let p = this.policies.get(agentId);
    if (!p) {
      const row = this.repo.get(agentId);
      p = new AgentAllowlist(row?.mode ?? 'none', row?.allow ?? []);
      this.policies.set(agentId, p);
    }
    return p;
  }

  private agentBySource(address: string): string | null {
    for (const [id, b] of this.bound) if (b.kind === 'docker' && b.address === address) return id;
    return null;
  }

  private async learned(
    agentId: string,
    name: string,
    addresses: { address: string; ttl: number }[],
  ): Promise<void> {
    if (this.policy(agentId).learn(name, addresses) && this.enforced && this.bound.has(agentId))
      await this.firewall.updateAgentChains(this.rulesInput(agentId));
  }

  private onRefusedPacket(p: RefusedPacket): void {
    const agentId = this.byTag.get(p.tag);
    if (!agentId) return; // another core's agent
    const policy = this.policy(agentId);
    this.folder.add({
      agentId,
      protocol: p.protocol,
      address: p.dst,
      port: p.protocol === 'tcp' || p.protocol === 'udp' ? p.port : null,
      host: policy.nameOf(p.dst),
      mode: policy.mode,
      rule: classify(p, protectedRangesOf(this.networks.values())),
    });
  }

  private rulesInput(agentId: string): AgentRulesInput {
    const b = this.bound.get(agentId);
    const network = b && this.networks.get(b.kind);
    if (!b || !network) throw new Error(`agent ${agentId} is not attached`);
    const policy = this.policy(agentId);
    return agentRulesInput({
      agentId,
      instanceId: this.d.instanceId,
      address: b.address,
      network,
      mode: policy.mode,
      destinations: policy.destinations(),
      gatewayPort: this.d.gatewayPort(),
      resolverPort: this.resolver.sharedPort(),
      protectedRanges: protectedRangesOf(this.networks.values()),
    });
  }

  /** Makes the base rules right for the known networks, unless they were made for them and look intact. */
  private async ensureBase(force = false): Promise<void> {
    const input = baseInputOf(this.networks);
    const key = JSON.stringify(input);
    if (!force && key === this.baseKey && (await this.firewall.health()) === 'ok') return;
    await this.firewall.ensureBase(input);
    this.baseKey = key;
  }

  /** Applies the rules of every bound agent of `kind` again (but `except`). */
  private async reapply(kind: RuntimeKind, except?: string): Promise<void> {
    for (const [id, b] of this.bound)
      if (b.kind === kind && id !== except)
        await this.firewall
          .applyAgent(this.rulesInput(id))
          .catch((err: Error) =>
            this.d.log.error({ agent: id, err: err.message }, 'egress rules could not be applied'),
          );
  }

  /**
   * Attaches every agent of this core whose container exists (rules, address, DNS path), removes rules
   * this core left for agents it no longer has. Per agent, failures are logged and skipped.
   */
  private async reconcile(only?: RuntimeKind): Promise<void> {
    const agents = this.d.agents();
    const ids = new Set(agents.map((a) => a.id));
    for (const a of agents) {
      if (!RECONCILED.has(a.phase) || (only && a.runtime !== only)) continue;
      const rt = this.d.runtimes[a.runtime];
      try {
        if (!rt || !(await rt.inspect(a.container))) continue;
        await this.attach(a.id, a.runtime, a.container, true);
      } catch (err) {
        this.d.log.warn({ agent: a.id, err: (err as Error).message }, 'egress: agent not attached');
      }
    }
    const prefix = `agentdesk ${this.d.instanceId} `;
    for (const comment of await this.firewall.commentsWithPrefix(prefix)) {
      const id = comment.slice(prefix.length);
      if (!ids.has(id)) await this.firewall.removeAgent(comment, agentTag(id)).catch(() => undefined);
    }
  }

  /** The periodic (and engine-back) check: repairs moved jumps, re-applies everything after a flush or a new bridge. */
  private check(kind?: RuntimeKind): Promise<void> {
    this.checking = this.checking.then(async () => {
      if (!this.enforced) return;
      try {
        const health = await this.firewall.health();
        if (health !== 'ok') {
          this.d.log.warn({ health }, 'egress: host firewall changed outside Agent Desk; repairing');
          await this.ensureBase(true);
        }
        if (health === 'missing' || kind) return await this.reconcile(kind);
        for (const [id, policy] of this.policies)
          if (policy.expire() && this.bound.has(id))
            await this.firewall.updateAgentChains(this.rulesInput(id));
        const docker = this.d.runtimes.docker;
        if (docker && [...this.bound.values()].some((b) => b.kind === 'docker')) {
          const network = await docker.egressNetwork();
          if (bridgeMoved(this.networks.get('docker'), network)) {
            this.networks.set('docker', network);
            await this.ensureBase(true);
            await this.reapply('docker');
          }
        }
      } catch (err) {
        this.d.log.warn({ err: (err as Error).message }, 'egress check failed');
      }
    });
    return this.checking;
  }
}
