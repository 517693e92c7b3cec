// The trace pane of one agent (beside the agents list): its events live, grouped by turn.
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { tracePaneStore } from '../../stores/traces';
import { TraceView } from './TraceView';

/** Shows `agent`'s trace: loads the newest page when opened and follows `traces.event` while mounted. */
export function TracePane({ agent }: { agent: Agent; onClose?: () => void }): ReactElement {
  useEffect(() => tracePaneStore.getState().follow(), []);
  useEffect(() => {
    void tracePaneStore.getState().open(agent.id);
  }, [agent.id]);
  return (
    <div className="trace-pane" data-testid="trace-pane" data-agent={agent.id}>
      <TraceView store={tracePaneStore} />
    </div>
  );
}
