// Reconciliation at start: the DB's agents against the containers a runtime reports, repaired both ways.
import type { Logger } from '../../platform/logging';
import type { ContainerInfo, ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import { LABELS } from '../runtimes/container-runtime';
import { LOCAL_ENGINE } from '../runtimes/engine-target';
import type { AgentPhase } from '../../../contract/agents';
import type { AgentRepository, AgentRow } from './agent-repository';
import { mapPool } from '../../platform/pool';
import type { PhaseWriter } from './agent-phases';
import { TRANSIENT_PHASES } from './agent-repository';
import { endpointText, publishedPort } from './runtime-client';

/** Engine calls in flight at once while the agents are reconciled. */
const ENGINE_CALLS = 8;

/** The port every runtime protocol harness listens on in its container (resources/agent-runtime/PROTOCOL.md). */
const RUNTIME_PORT = 8100;

/**
 * Phases of operations whose steps can be run again: reconciliation leaves these agents alone and the
 * agent service finishes the operation after it (archive, restore, purge).
 */
export const RESUMED_PHASES: readonly AgentPhase[] = ['archiving', 'restoring', 'purging'];

/** What reconciliation needs. */
export interface ReconcileDeps {
  kind: RuntimeKind;
  /** The engine `rt` drives: `local` (default) or a named engine's id. Only its agents are reconciled. */
  engine?: string;
  rt: ContainerRuntime;
  /** Only containers with this {@link LABELS.instance} are this core's (another data dir may share the engine). */
  instanceId: string;
  repo: AgentRepository;
  /** `liveAgentKeys`: unrevoked keys whose owner is shaped like an agent id (a UUID). */
  keys: { liveAgentKeys(): { id: string; owner: string }[]; revoke(id: string): boolean };
  log: Logger;
  phases: PhaseWriter;
  /** Why a container found stopped was stopped (default: Agent Desk was not running). */
  stoppedReason?: string;
  /** Agents left alone (an operation in progress owns them); default none. */
  skip?: (id: string) => boolean;
}

/** What reconciliation changed, for logs and tests. */
export interface ReconcileReport {
  failedDeploys: string[];
  markedStopped: string[];
  markedRunning: string[];
  markedFailed: string[];
  orphanContainers: string[];
  revokedKeys: string[];
}

/**
 * Repairs what a crash or an outside hand left: a deploy left half-way (never ran) →
 * `failed` with its container removed and key revoked; `stopping` → stopped; `running` whose container
 * is gone → `failed`, stopped → `stopped`; `stopped` whose container runs → `running` with its port;
 * containers labelled with an agent id no record has → removed; live keys of agents that are gone or
 * hold another key → revoked. Agents on other runtimes are left alone, and so are agents in
 * {@link RESUMED_PHASES} (their operation is finished afterwards).
 */
export async function reconcileAgents(d: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    failedDeploys: [],
    markedStopped: [],
    markedRunning: [],
    markedFailed: [],
    orphanContainers: [],
    revokedKeys: [],
  };
  const revokeOwner = (owner: string) => {
    for (const k of d.keys.liveAgentKeys())
      if (k.owner === owner && d.keys.revoke(k.id)) report.revokedKeys.push(k.id);
  };
  const containers = await d.rt.list({ [LABELS.managed]: '1', [LABELS.instance]: d.instanceId });
  const byName = new Map<string, ContainerInfo>(containers.map((c) => [c.name, c]));
  const rows = d.repo.list();
  const known = new Set(rows.map((r) => r.id));
  const ownContainer = (row: AgentRow): ContainerInfo | null => {
    const c = byName.get(row.container);
    return c && c.labels[LABELS.agentId] === row.id ? c : null;
  };
  const engine = d.engine ?? LOCAL_ENGINE;
  const onThis = (r: Pick<AgentRow, 'runtime' | 'engine'>) =>
    r.runtime === d.kind && (r.engine ?? LOCAL_ENGINE) === engine;
  const todo = rows.filter(
    (r) => onThis(r) && r.phase !== 'archived' && !RESUMED_PHASES.includes(r.phase) && !d.skip?.(r.id),
  );
  // The runtime endpoints of running containers, looked up together (each is an engine call).
  const running = todo.filter((r) => ownContainer(r)?.state === 'running');
  const endpoints = new Map(
    await mapPool(running, ENGINE_CALLS, async (r) => {
      const ep = await d.rt.endpoint(r.container, RUNTIME_PORT).catch(() => null);
      return [r.id, ep] as const;
    }),
  );

  for (const row of todo) {
    const ours = ownContainer(row);
    const everRan = d.repo.transitions(row.id).some((t) => t.to_phase === 'running');
    if (TRANSIENT_PHASES.includes(row.phase) && row.phase !== 'stopping' && !everRan) {
      if (ours) await d.rt.remove(row.container);
      revokeOwner(row.id);
      d.phases.set(
        row.id,
        'failed',
        `Agent Desk stopped while the agent was ${row.phase}; start it to deploy again`,
        {
          key_id: null,
          runtime_port: null,
          runtime_endpoint: null,
        },
      );
      report.failedDeploys.push(row.id);
      continue;
    }
    if (!ours) {
      if (row.phase === 'failed' || row.phase === 'purging') continue;
      revokeOwner(row.id);
      d.phases.set(row.id, 'failed', 'Its container is gone; start the agent to deploy it again', {
        key_id: null,
        runtime_port: null,
        runtime_endpoint: null,
        running_since: null,
      });
      report.markedFailed.push(row.id);
      continue;
    }
    const ep = ours.state === 'running' ? (endpoints.get(row.id) ?? null) : null;
    const port = publishedPort(ep);
    const endpoint = ep ? endpointText(ep) : null;
    if (ours.state === 'running' && row.phase !== 'running' && row.phase !== 'failed') {
      d.phases.set(row.id, 'running', null, {
        runtime_port: port,
        runtime_endpoint: endpoint,
        running_since: ours.startedAt ?? Date.now(),
      });
      report.markedRunning.push(row.id);
    } else if (
      ours.state !== 'running' &&
      (row.phase === 'running' || TRANSIENT_PHASES.includes(row.phase))
    ) {
      d.phases.set(row.id, 'stopped', d.stoppedReason ?? 'Stopped while Agent Desk was not running', {
        runtime_port: null,
        runtime_endpoint: null,
        running_since: null,
      });
      report.markedStopped.push(row.id);
    } else if (ours.state === 'running' && row.phase === 'running' && endpoint !== row.runtime_endpoint) {
      d.phases.set(row.id, 'running', row.phase_reason, { runtime_port: port, runtime_endpoint: endpoint });
    }
  }

  for (const c of containers) {
    const id = c.labels[LABELS.agentId];
    if (id && !known.has(id)) {
      d.log.warn({ container: c.name, agent: id }, 'removing a container whose agent no longer exists');
      await d.rt.remove(c.name);
      report.orphanContainers.push(c.name);
    }
  }

  const current = new Map(d.repo.list().map((r) => [r.id, r]));
  for (const k of d.keys.liveAgentKeys()) {
    const row = current.get(k.owner);
    if (row && (!onThis(row) || d.skip?.(row.id))) continue;
    if (!row || row.key_id !== k.id || row.phase === 'archived') {
      d.keys.revoke(k.id);
      report.revokedKeys.push(k.id);
    }
  }
  if (Object.values(report).some((l) => (l as string[]).length > 0))
    d.log.info({ runtime: d.kind, engine, ...report }, 'agents reconciled');
  return report;
}
