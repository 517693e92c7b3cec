// An agent's harness killed by the kernel for lack of memory: how it is told (the limit, what the harness needs, the fix).
import type { ContainerRuntime } from '../runtimes/container-runtime';
import type { HarnessManifest } from '../harnesses/manifest';
import type { AgentRow } from './agent-repository';

/** What the user sees: the fact, then what to do. */
export interface OomReport {
  message: string;
  fix: string;
}

/**
 * The memory limit to suggest after an OOM kill at `current` MiB: the harness's default when that is
 * more, else double the limit (rounded up to 256 MiB), at most 65 536.
 */
export function suggestedMemory(current: number, m: Pick<HarnessManifest, 'memory'>): number {
  const doubled = Math.ceil((current * 2) / 256) * 256;
  return Math.min(65_536, Math.max(m.memory.default_mib, doubled));
}

/** The report of an OOM kill of `row`'s harness `m`, `when` = "during the turn", "while starting" … */
export function oomReport(
  row: Pick<AgentRow, 'id' | 'memory_mib'>,
  m: Pick<HarnessManifest, 'label' | 'memory'>,
  when: string,
): OomReport {
  const next = suggestedMemory(row.memory_mib, m);
  return {
    message: `The kernel killed ${m.label} (or a process it ran) for lack of memory ${when}: the agent's limit is ${row.memory_mib} MiB, and ${m.label} needs at least ${m.memory.min_mib} MiB`,
    fix: `Raise its memory limit to ${next} MiB or more: \`agentdesk agents limits ${row.id} --memory ${next}\``,
  };
}

/**
 * The OOM report for `row` when the engine says a process of its container was killed for lack of memory
 * in its current or last run, else null (also when the engine cannot tell or cannot be asked).
 */
export async function oomMessage(
  rt: Pick<ContainerRuntime, 'oomKills'>,
  row: Pick<AgentRow, 'id' | 'memory_mib' | 'container'>,
  m: Pick<HarnessManifest, 'label' | 'memory'>,
  when: string,
): Promise<OomReport | null> {
  let kills: number | null;
  try {
    kills = await rt.oomKills(row.container);
  } catch {
    return null;
  }
  return kills ? oomReport(row, m, when) : null;
}
