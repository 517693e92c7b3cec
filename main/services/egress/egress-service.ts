// Egress per agent: stores policies, attaches containers (address, DNS), keeps the host firewall and resolver in step, traces refusals.
import type { AgentPhase } from '../../../contract/agents';
import type { AgentEgress, AgentPolicyInput, EgressMode } from '../../../contract/egress';
import type { TraceEventOf } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import type {
  ContainerRuntime,
  EgressAttachment,
  EgressNetwork,
  RemoteEgressAgent,
  RuntimeKind,
} from '../runtimes/container-runtime';
import type { Db } from '../storage/database';
import { LOCAL_ENGINE } from '../runtimes/engine-target';
import type { Runtimes } from '../runtimes/runtimes';
import { mapPool } from '../../platform/pool';
import { pickAddress } from './egress-addresses';
import { AgentAllowlist, nextPolicy } from './egress-allowlist';
import { chooseEnforcement } from './egress-enforcement';
import type { EgressStatus, EnforcementState } from './egress-enforcement';
import { EgressFirewall } from './egress-firewall';
import { agentTag, routedIfaceName, ruleComment } from './egress-names';
import { RefusalFolder, classify, remoteRefusal } from './egress-refusals';
import { EgressRepository } from './egress-repository';
import { EgressResolver, upstreamsFrom } from './egress-resolver';
import { agentRulesInput, baseInputOf, bridgeMoved, protectedRangesOf } from './egress-inputs';
import type { AgentRulesInput } from './egress-rules';
import { Iptables, IptablesCommandError, LocalIptables } from './iptables';
import type { Enforcement, IptablesExecutor } from './iptables';
import { parseRefusal } from './kernel-log';
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
  /** The engine it runs on; absent = `local`. Local agents: iptables and the resolver; remote ones: the engine's egress proxy (decision 023). */
  engine?: string;
  container: string;
  phase: AgentPhase;
}

/** What the egress service needs. */
export interface EgressServiceDeps {
  db: Db;
  /** This core's label value (a hash of its data dir), written in the comments of its rules. */
  instanceId: string;
  /** The core's runtimes: the local engines' for the firewall, the remote ones' for their egress proxies (applyRemoteEgress). */
  runtimes: Runtimes;
  /** The agents of this core (the agent repository). */
  agents: () => EgressAgent[];
  /** The gateway's port on the host (Docker agents may open it on the bridge address). */
  gatewayPort: () => number;
  /** Where `egress` trace events go (the trace recorder). Must not throw. */
  record: (e: TraceEventOf<'egress'>) => void;
  log: Logger;
  /**
   * `AGENTDESK_EGRESS=off` turns enforcement off (agents then run on the engine's network unfiltered);
   * `root`/`helper` force one way (egress-enforcement.ts).
   */
  env: Readonly<NodeJS.ProcessEnv>;
  kmsgPath?: string;
  /**
   * Starts the egress helper container and a session to it, for a core that is not root (Docker);
   * rejects with why not. Absent = no helper.
   */
  helper?: () => Promise<IptablesExecutor>;
  /** The helper container's name, shown in {@link EgressService.status}. */
  helperName?: string;
  /** How often the base rules are checked (ms, default 30 000; 0 = never). */
  checkIntervalMs?: number;
}

/**
 * Phases whose agents are attached again at start and when an engine comes back (their containers are
 * at rest; an agent in the middle of an operation is attached by that operation).
 */
const RECONCILED: ReadonlySet<AgentPhase> = new Set<AgentPhase>(['running', 'stopped', 'failed', 'archived']);

/** Calls to an engine in flight at once while many agents are attached (container look-ups, attachments). */
const ENGINE_CALLS = 8;

/** Stands in until {@link EgressService.init} has chosen how rules are applied. */
const NOT_CHOSEN: IptablesExecutor = {
  kind: 'root',
  query: () => Promise.reject(new IptablesCommandError('egress enforcement is not chosen yet', null)),
  restore: () => Promise.reject(new IptablesCommandError('egress enforcement is not chosen yet', null)),
  followKernelLog: () => Promise.resolve('egress enforcement is not chosen yet'),
  close: () => undefined,
};

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
  private executor: IptablesExecutor = NOT_CHOSEN;
  private firewall: EgressFirewall;
  private readonly resolver: EgressResolver;
  private readonly folder: RefusalFolder;
  private readonly env: Readonly<NodeJS.ProcessEnv>;
  private enforced = false;
  private state: EnforcementState = 'starting';
  private reason = 'egress enforcement is being prepared';
  private fix = '';
  private started: Promise<void> | null = null;
  private readonly policies = new Map<string, AgentAllowlist>();
  /** Agents attached since start: engine and address. */
  private readonly bound = new Map<string, { kind: RuntimeKind; address: string }>();
  private readonly networks = new Map<RuntimeKind, EgressNetwork>();
  private readonly byTag = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  /** The base input last made sure of (ensureBase reads three tables, and writes what lacks; a health look runs about 5 commands). */
  private baseKey: string | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private checking: Promise<void> = Promise.resolve();
  /**
   * Engines whose agents were attached while it answered, and which has not been lost since: hearing
   * it connected again then brings nothing new (its first connection, right after start, is one).
   */
  private readonly fresh = new Set<RuntimeKind>();

  constructor(private readonly d: EgressServiceDeps) {
    this.env = d.env;
    this.repo = new EgressRepository(d.db);
    this.firewall = new EgressFirewall(new Iptables(NOT_CHOSEN), d.log);
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
  }

  /**
   * Decides how egress is enforced here (egress-enforcement.ts: root, else the helper container, else
   * not; `AGENTDESK_EGRESS=off` turns it off), follows the kernel log, applies every agent's rules again
   * and starts the periodic check. A second call returns the first one's promise. Never throws: what
   * fails is logged and {@link status} says why.
   */
  init(): Promise<void> {
    this.started ??= this.initNow();
    return this.started;
  }

  private async initNow(): Promise<void> {
    this.initRemote();
    const tried: { local: LocalIptables | null } = { local: null };
    const choice = await chooseEnforcement({
      env: this.env,
      platform: process.platform,
      local: () => {
        const local = new LocalIptables(this.env, this.d.kmsgPath);
        tried.local = local;
        return { executor: local, probe: () => local.probe() };
      },
      helper: this.d.helper ?? null,
    });
    this.state = choice.state;
    this.reason = choice.reason;
    this.fix = choice.fix;
    if (!choice.executor) {
      if (choice.state === 'off') this.d.log.warn(this.reason);
      else this.d.log.warn({ reason: this.reason }, 'egress cannot be enforced: agents cannot be deployed');
      return;
    }
    this.executor = choice.executor;
    this.firewall = new EgressFirewall(new Iptables(choice.executor), this.d.log);
    // The probe has just read the tables the first look at the rules needs (root only).
    const probed = choice.executor === tried.local ? tried.local.probedTables() : null;
    if (probed) this.firewall.seed(probed.tables, probed.ageMs);
    this.enforced = true;
    this.d.log.info({ enforcement: choice.state }, 'egress enforced');
    const kmsg = await this.executor.followKernelLog((message) => {
      const p = parseRefusal(message);
      if (p) this.onRefusedPacket(p);
    });
    if (kmsg) {
      this.reason = kmsg;
      this.d.log.warn(kmsg);
    }
    for (const a of this.d.agents()) this.byTag.set(agentTag(a.id), a.id);
    await this.reconcile().catch((err: Error) =>
      this.d.log.error({ err: err.message }, 'egress rules could not be applied'),
    );
    const every = this.d.checkIntervalMs ?? 30_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.check(), every);
      this.timer.unref();
    }
    for (const [kind, rt] of Object.entries(this.d.runtimes.local()) as [RuntimeKind, ContainerRuntime][])
      this.unsubscribe.push(
        rt.events(
          () => undefined,
          (connected) => {
            if (!connected) this.fresh.delete(kind);
            else if (!this.fresh.has(kind)) void this.check(kind);
          },
        ),
      );
  }

  /** Whether policies are enforced now and how, and if not why and what to do. */
  status(): EgressStatus {
    return {
      enforced: this.enforced,
      enforcement: this.state,
      reason: this.reason,
      fix: this.fix,
      container: this.d.helperName && this.state === 'helper' ? this.d.helperName : null,
    };
  }

  /** How rules reach the host firewall, when they do. */
  get enforcement(): Enforcement | null {
    return this.enforced ? this.executor.kind : null;
  }

  /** The agent's policy as the contract shows it. */
  view(agentId: string): AgentEgress {
    const row = this.repo.get(agentId);
    if (this.remoteEngineOf(agentId))
      return {
        mode: row?.mode ?? 'none',
        allow: row?.allow ?? [],
        enforced: true,
        enforcement: 'proxy',
        address: null,
      };
    return {
      mode: row?.mode ?? 'none',
      allow: row?.allow ?? [],
      enforced: this.enforced,
      enforcement: this.state,
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
    const engine = this.remoteEngineOf(agentId);
    if (engine) await this.applyRemote(engine);
    this.d.log.info({ agent: agentId, mode, entries: allow.length }, 'egress policy changed');
    return this.view(agentId);
  }

  /**
   * Attaches the agent before its container is created (`existing` false) or started (`existing` true):
   * picks its address, opens its DNS path, applies its rules; an existing container is given the
   * address and DNS path it lacks. @returns the attachment for the container spec, or null when egress
   * control is turned off. Waits for {@link init} when it runs (the helper image may be building).
   * @throws EgressUnavailableError when it cannot be enforced here; engine errors.
   */
  async attach(
    agentId: string,
    kind: RuntimeKind,
    container: string,
    existing: boolean,
  ): Promise<EgressAttachment | null> {
    if (this.started) await this.started;
    return this.attachNow(agentId, kind, container, existing);
  }

  /**
   * Whether {@link attach} gives agents an attachment (false: egress control turned off). Waits for
   * {@link init} when it runs.
   */
  async active(): Promise<boolean> {
    if (this.started) await this.started;
    return this.state !== 'off';
  }

  /** {@link attach} without waiting for init (init's own reconciliation calls it). */
  private async attachNow(
    agentId: string,
    kind: RuntimeKind,
    container: string,
    existing: boolean,
  ): Promise<EgressAttachment | null> {
    if (this.state === 'off') return null;
    if (!this.enforced)
      throw new EgressUnavailableError(
        `The agent's egress policy cannot be enforced: ${this.reason}`,
        this.fix,
      );
    const rt = this.runtime(kind);
    const network = await rt.egressNetwork();
    const moved = bridgeMoved(this.networks.get(kind), network);
    this.networks.set(kind, network);
    const held = await this.addressesHeld(rt);
    const att = await this.bind(agentId, kind, container, network, held);
    // The base checked (and made when needed) and the agent's rules applied from one read per table.
    const base = baseInputOf(this.networks);
    const key = JSON.stringify(base);
    await this.firewall.attachAgent(this.rulesInput(agentId), base, key === this.baseKey);
    this.baseKey = key;
    if (existing) await rt.attachEgress(container, att);
    if (moved) await this.reapply(kind, agentId);
    return att;
  }

  /** Addresses held on the engine's agent network, and those the agents of this core are given: address → holder. */
  private async addressesHeld(rt: ContainerRuntime): Promise<Map<string, string>> {
    const held = await rt.egressAddressesInUse();
    for (const [id, address] of this.repo.addresses()) if (!held.has(address)) held.set(address, id);
    return held;
  }

  /**
   * Gives the agent its address (kept when it has one no one else holds, added to `held`), its DNS path
   * and a place among the attached agents; its rules are applied by the caller.
   */
  private async bind(
    agentId: string,
    kind: RuntimeKind,
    container: string,
    network: EgressNetwork,
    held: Map<string, string>,
  ): Promise<EgressAttachment> {
    const address = pickAddress(
      agentId,
      this.repo.get(agentId)?.address ?? null,
      network,
      held,
      new Set([agentId, container]),
    );
    held.set(address, agentId);
    if (!this.repo.get(agentId)) this.create(agentId, undefined, []);
    this.repo.setAddress(agentId, address);
    this.byTag.set(agentTag(agentId), agentId);
    const att: EgressAttachment =
      network.kind === 'bridge'
        ? { address, dnsServer: network.gateway }
        : {
            address,
            hostInterface: routedIfaceName(agentTag(agentId)),
            dnsHostPort: await this.resolver.listenAgent(agentId, network.hostAddress ?? undefined),
            ...(network.hostAddress ? { hostAddress: network.hostAddress } : {}),
          };
    if (network.kind === 'bridge') await this.resolver.listenShared(network.gateway);
    this.bound.set(agentId, { kind, address });
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
    const engine = this.remoteEngineOf(agentId);
    if (engine)
      await this.applyRemote(engine, agentId).catch((err: Error) =>
        this.d.log.warn({ agent: agentId, engine, err: err.message }, 'remote egress table not updated'),
      );
  }

  /**
   * Before a remote agent's container is created or started: gives its engine's egress proxy the
   * policies of this core's agents there, this one's included (docs/decisions/023-remote-egress.md).
   * Does nothing for an engine without a proxy. @throws engine errors (the proxy cannot be made or told).
   */
  async attachRemote(agentId: string, engine: string): Promise<void> {
    if (!this.repo.get(agentId)) this.create(agentId, undefined, []);
    await this.applyRemote(engine);
  }

  /** The named engine of a remote agent whose engine has an egress proxy, else null. */
  private remoteEngineOf(agentId: string): string | null {
    const a = this.d.agents().find((x) => x.id === agentId);
    if (!a || (a.engine ?? LOCAL_ENGINE) === LOCAL_ENGINE) return null;
    return this.d.runtimes.get(a.runtime, a.engine)?.applyRemoteEgress ? a.engine! : null;
  }

  /** The remote agents of `engine` as its proxy's table lists them (`except`: one being purged). */
  private remoteAgents(engine: string, except?: string): RemoteEgressAgent[] {
    return this.d
      .agents()
      .filter((a) => a.engine === engine && a.id !== except && a.phase !== 'purging')
      .map((a) => {
        const row = this.repo.get(a.id);
        return { container: a.container, agentId: a.id, mode: row?.mode ?? 'none', allow: row?.allow ?? [] };
      });
  }

  /** Writes the table of `engine`'s proxy (see attachRemote). */
  private async applyRemote(engine: string, except?: string): Promise<void> {
    const rt = this.d.runtimes.all().find((e) => e.engine === engine)?.rt;
    if (!rt?.applyRemoteEgress) return;
    await rt.applyRemoteEgress(this.remoteAgents(engine, except));
  }

  /**
   * Remote engines with an egress proxy: follows each one's refusals into `egress` trace events, and
   * gives it its table again whenever its engine connects (start, after an outage: the proxy is made
   * again if it went), also for engines added later. Failures are logged; the proxy keeps its last table.
   */
  private initRemote(): void {
    const watch = (engine: string, rt: ContainerRuntime) => {
      if (engine === LOCAL_ENGINE || !rt.applyRemoteEgress || !rt.followRemoteEgress) return;
      const unfollow = rt.followRemoteEgress((line) => this.onRemoteRefusal(engine, line));
      const unwatch = rt.events(
        () => undefined,
        (connected) => {
          if (connected && this.remoteAgents(engine).length)
            void this.applyRemote(engine).catch((err: Error) =>
              this.d.log.warn({ engine, err: err.message }, 'remote egress table not written'),
            );
        },
      );
      this.unsubscribe.push(unfollow, unwatch);
    };
    for (const e of this.d.runtimes.all()) watch(e.engine, e.rt);
    this.unsubscribe.push(
      this.d.runtimes.onChange((c) => {
        if (c.op === 'add') watch(c.entry.engine, c.entry.rt);
      }),
    );
  }

  /** One line of a remote proxy's output (see remoteRefusal): a refusal of one of this core's agents on `engine` becomes an `egress` event. */
  private onRemoteRefusal(engine: string, line: string): void {
    const r = remoteRefusal(
      line,
      (id) => this.d.agents().some((a) => a.id === id && a.engine === engine),
      (id) => this.repo.get(id)?.mode ?? 'none',
    );
    if (r) this.folder.add(r);
  }

  /** Stops the check, the kernel log, the resolver; rules stay (agents left running stay contained). */
  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.executor.close();
    this.folder.close();
    this.resolver.close();
  }

  private runtime(kind: RuntimeKind): ContainerRuntime {
    const rt = this.d.runtimes.get(kind);
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
      agentResolverPort: this.resolver.agentPort(agentId),
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
   * this core left for agents it no longer has. Per engine, the agents are attached together: its
   * containers, network, base rules and addresses in use read once, every agent's rules written in a
   * few transactions (egress-firewall.ts `applyAgents`), then the containers given what they lack,
   * {@link ENGINE_CALLS} at a time. Per agent, failures are logged and skipped.
   */
  private async reconcile(only?: RuntimeKind): Promise<void> {
    const agents = this.d.agents();
    const ids = new Set(agents.map((a) => a.id));
    for (const [kind, rt] of Object.entries(this.d.runtimes.local()) as [RuntimeKind, ContainerRuntime][]) {
      if (only && kind !== only) continue;
      const mine = agents.filter(
        (a) => a.runtime === kind && (a.engine ?? LOCAL_ENGINE) === LOCAL_ENGINE && RECONCILED.has(a.phase),
      );
      try {
        if (mine.length) await this.attachAll(kind, rt, mine);
        this.fresh.add(kind);
      } catch (err) {
        this.d.log.warn(
          { runtime: kind, agents: mine.length, err: (err as Error).message },
          'egress: agents not attached',
        );
      }
    }
    const prefix = `agentdesk ${this.d.instanceId} `;
    for (const comment of await this.firewall.commentsWithPrefix(prefix)) {
      const id = comment.slice(prefix.length);
      if (!ids.has(id)) await this.firewall.removeAgent(comment, agentTag(id)).catch(() => undefined);
    }
  }

  /**
   * {@link attachNow} for the existing containers of many agents of one engine (see {@link reconcile}).
   * @throws engine errors when its containers or network cannot be read (then none is attached).
   */
  private async attachAll(kind: RuntimeKind, rt: ContainerRuntime, agents: EgressAgent[]): Promise<void> {
    const names = await rt.containerNames();
    const present = agents.filter((a) => names.has(a.container));
    if (present.length === 0) return;
    const network = await rt.egressNetwork();
    const moved = bridgeMoved(this.networks.get(kind), network);
    this.networks.set(kind, network);
    await this.ensureBase();
    const held = await this.addressesHeld(rt);
    const attached: { agent: EgressAgent; att: EgressAttachment }[] = [];
    for (const a of present)
      try {
        attached.push({ agent: a, att: await this.bind(a.id, kind, a.container, network, held) });
      } catch (err) {
        this.d.log.warn({ agent: a.id, err: (err as Error).message }, 'egress: agent not attached');
      }
    const failed = await this.firewall.applyAgents(attached.map((x) => this.rulesInput(x.agent.id)));
    for (const [id, err] of failed)
      this.d.log.warn({ agent: id, err: err.message }, 'egress: agent not attached');
    await mapPool(
      attached.filter((x) => !failed.has(x.agent.id)),
      ENGINE_CALLS,
      ({ agent, att }) =>
        rt
          .attachEgress(agent.container, att)
          .catch((err: Error) =>
            this.d.log.warn({ agent: agent.id, err: err.message }, 'egress: agent not attached'),
          ),
    );
    if (moved) {
      const done = new Set(attached.map((x) => x.agent.id));
      for (const [id, b] of this.bound)
        if (b.kind === kind && !done.has(id))
          await this.firewall
            .applyAgent(this.rulesInput(id))
            .catch((err: Error) =>
              this.d.log.error({ agent: id, err: err.message }, 'egress rules could not be applied'),
            );
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
        const docker = this.d.runtimes.get('docker');
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
