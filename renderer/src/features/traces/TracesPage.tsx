// Traces page: every agent's trace, or one agent's, live, grouped by turn, filtered and exportable.
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { AgentFilter } from '../../components/AgentFilter';
import { PageHeader } from '../../components/PageHeader';
import { agentsStore, useAgents } from '../../stores/agents';
import { tracesStore, useTraces } from '../../stores/traces';
import { TraceView } from './TraceView';

/**
 * The Traces page. The agent picker lists live agents (from the agents store); "All agents" merges
 * them. `tracesStore.getState().open(id)` before navigating to `#/traces` preselects an agent.
 */
export function TracesPage(): ReactElement {
  const agents = useAgents((s) => s.agents);
  const agentId = useTraces((s) => s.agentId);
  useEffect(() => {
    const offAgents = agentsStore.getState().follow();
    void agentsStore.getState().load();
    const offTraces = tracesStore.getState().follow();
    void tracesStore.getState().open(tracesStore.getState().agentId);
    return () => {
      offAgents();
      offTraces();
    };
  }, []);
  const agentsLoaded = useAgents((s) => s.loaded);
  useEffect(() => {
    if (agentsLoaded) tracesStore.getState().keepAgents(agents.map((a) => a.id));
  }, [agents, agentsLoaded]);
  const live = agents.filter((a) => a.phase !== 'archived');
  return (
    <>
      <PageHeader
        title="Traces"
        description="Every turn of every agent: messages, model calls, tool calls, results, errors and phase changes, live."
      />
      <section className="card" data-testid="traces-card">
        <label className="trace-agent-picker">
          <span className="small muted">Agent</span>
          <AgentFilter
            agents={live}
            value={agentId}
            onChange={(id) => void tracesStore.getState().open(id)}
            testId="trace-agent"
          />
        </label>
        <TraceView store={tracesStore} agents={agents} />
      </section>
    </>
  );
}
