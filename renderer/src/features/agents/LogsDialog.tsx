// The logs dialog: the last lines an agent's container wrote (`agents.logs`), with Refresh.
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { Dialog } from '../../components/Dialog';
import type { LogsState } from '../../stores/agents';

/** Shows `logs` of `agent`; `onRefresh` loads them again. */
export function LogsDialog({
  agent,
  logs,
  onRefresh,
  onClose,
}: {
  agent: Pick<Agent, 'emoji' | 'name' | 'container'>;
  logs: LogsState;
  onRefresh: () => void;
  onClose: () => void;
}): ReactElement {
  return (
    <Dialog
      title={
        <>
          <span aria-hidden="true">{agent.emoji}</span> Logs of {agent.name}
        </>
      }
      description={
        <>
          The last lines container <code>{agent.container}</code> wrote.
        </>
      }
      onClose={onClose}
      wide
      testId="agent-logs-dialog"
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={onRefresh}
            disabled={logs.loading}
            aria-busy={logs.loading}
            data-testid="agent-logs-refresh"
          >
            Refresh
          </button>
          <button type="button" className="button button--primary" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      {logs.error && !logs.error.unreachable ? (
        <p className="inline-error" role="alert" data-testid="agent-logs-error">
          <code>{logs.error.code}</code> {logs.error.message}
        </p>
      ) : null}
      {logs.loading ? (
        <p className="muted">Reading the logs…</p>
      ) : logs.lines.length > 0 ? (
        <pre
          className="log-lines"
          tabIndex={0}
          aria-label={`Log lines of ${agent.name}`}
          data-testid="agent-logs-lines"
          data-lines={logs.lines.length}
        >
          {logs.lines.join('\n')}
        </pre>
      ) : logs.error ? null : (
        <p className="muted" data-testid="agent-logs-empty">
          The container wrote nothing yet.
        </p>
      )}
    </Dialog>
  );
}
