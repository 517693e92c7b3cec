// Agents page: the live agents table with deploy progress and actions, the trace/tasks pane slot, and the Archived panel.
import { useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { AgentsIcon } from '../../components/Icons';
import { PageHeader } from '../../components/PageHeader';
import { agentsStore, selectArchivedAgents, selectLiveAgents, useAgents } from '../../stores/agents';
import { openChatOf } from '../chat';
import { AgentPaneSlot } from './AgentPaneSlot';
import { AgentsTable } from './AgentsTable';
import { ArchivedPanel } from './ArchivedPanel';
import { CreateAgentDialog } from './CreateAgentDialog';
import { AgentFoldersDialog } from './AgentFoldersDialog';
import { LogsDialog } from './LogsDialog';
import { AgentSettingsDialog } from './AgentSettingsDialog';
import { configureAgent } from '../../stores/agents/configure-action';
import { useAgentsFollowed } from './use-agents-followed';

type Confirm = { kind: 'archive' | 'purge'; agent: Agent } | null;

/**
 * The Agents page. While shown it follows `agents.changed` and `agents.progress`, loads the list once,
 * and loads it again after each reconnect (pushes sent while disconnected are missed).
 */
export function AgentsPage(): ReactElement {
  const agents = useAgents((s) => s.agents);
  const loaded = useAgents((s) => s.loaded);
  const loadError = useAgents((s) => s.loadError);
  const busy = useAgents((s) => s.busy);
  const rowErrors = useAgents((s) => s.rowErrors);
  const selected = useAgents((s) => s.selected);
  const logs = useAgents((s) => s.logs);
  const harnesses = useAgents((s) => s.harnesses);
  const live = useMemo(() => selectLiveAgents({ agents }), [agents]);
  const archived = useMemo(() => selectArchivedAgents({ agents }), [agents]);
  const [creating, setCreating] = useState(false);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [foldersOf, setFoldersOf] = useState<string | null>(null);
  const [settingsOf, setSettingsOf] = useState<Agent | null>(null);

  useAgentsFollowed();

  const store = agentsStore.getState();
  const selectedAgent = selected ? agents.find((a) => a.id === selected.id) : undefined;
  const logsAgent = logs ? agents.find((a) => a.id === logs.id) : undefined;
  const confirmBusy = confirm ? busy[confirm.agent.id] !== undefined : false;

  const runConfirmed = async (): Promise<void> => {
    if (!confirm) return;
    const { kind, agent } = confirm;
    const ok = kind === 'archive' ? await store.archive(agent.id) : await store.purge(agent.id);
    // A failure stays on the row (or archived entry); the dialog closes either way.
    setConfirm(null);
    if (ok && kind === 'purge')
      requestAnimationFrame(() => document.getElementById('archived-title')?.focus());
  };

  return (
    <>
      <PageHeader
        title="Agents"
        description="Each agent runs in its own container and reaches models only through the gateway."
        actions={
          <button
            type="button"
            className="button button--primary"
            onClick={() => setCreating(true)}
            data-testid="new-agent"
          >
            New agent
          </button>
        }
      />
      {loadError && !loadError.unreachable ? (
        <p className="inline-error" role="alert" data-testid="agents-load-error">
          Could not list the agents (<code>{loadError.code}</code>): {loadError.message}
        </p>
      ) : null}
      <section className="card" aria-labelledby="agents-title" data-testid="agent-list">
        <h2 id="agents-title" className="card__title" tabIndex={-1}>
          Agents <span className="count">{live.length}</span>
        </h2>
        {live.length > 0 ? (
          <AgentsTable
            agents={live}
            selected={selected}
            handlers={{
              onStart: (id) => void store.start(id),
              onStop: (id) => void store.stop(id),
              onArchive: (agent) => setConfirm({ kind: 'archive', agent }),
              onLogs: (id) => void store.openLogs(id),
              onFolders: (agent) => setFoldersOf(agent.id),
              onSettings: (agent) => setSettingsOf(agent),
              onPane: (id, pane) => (pane === 'chat' ? openChatOf(id) : store.openPane(id, pane)),
              onDismissError: (id) => store.clearRowError(id),
            }}
          />
        ) : !loaded ? (
          <p className="muted">Loading agents…</p>
        ) : (
          <EmptyState icon={<AgentsIcon />} title="No agents yet">
            <p>
              Create one with <strong>New agent</strong>: pick a name, an emoji, a harness and a model, and
              follow its deploy step by step. Models come from the providers you add on the{' '}
              <a href="#/providers">Providers</a> page.
            </p>
          </EmptyState>
        )}
      </section>
      {selected && selectedAgent ? (
        <AgentPaneSlot agent={selectedAgent} pane={selected.pane} onClose={() => store.closePane()} />
      ) : null}
      <ArchivedPanel
        agents={archived}
        busy={busy}
        errors={rowErrors}
        onRestore={(id) => void store.restore(id)}
        onPurge={(agent) => setConfirm({ kind: 'purge', agent })}
      />
      {creating ? <CreateAgentDialog onClose={() => setCreating(false)} /> : null}
      {foldersOf && agents.find((a) => a.id === foldersOf) ? (
        <AgentFoldersDialog
          agent={agents.find((a) => a.id === foldersOf)!}
          onClose={() => setFoldersOf(null)}
        />
      ) : null}
      {settingsOf ? (
        <AgentSettingsDialog
          agent={settingsOf}
          harness={harnesses.find((h) => h.id === settingsOf.harness)}
          onSave={(input) => configureAgent(input)}
          onClose={() => setSettingsOf(null)}
        />
      ) : null}
      {logs && logsAgent ? (
        <LogsDialog
          agent={logsAgent}
          logs={logs}
          onRefresh={() => void store.openLogs(logs.id)}
          onClose={() => store.closeLogs()}
        />
      ) : null}
      {confirm?.kind === 'archive' ? (
        <ConfirmDialog
          title={
            <>
              Archive <span aria-hidden="true">{confirm.agent.emoji}</span> {confirm.agent.name}?
            </>
          }
          confirmLabel="Archive"
          busy={confirmBusy}
          onConfirm={() => void runConfirmed()}
          onClose={() => setConfirm(null)}
          testId="archive-confirm"
        >
          <p>
            It is stopped, its container renamed and its virtual key revoked. Its files are kept: you can
            restore it from <strong>Archived</strong> with a new key.
          </p>
        </ConfirmDialog>
      ) : null}
      {confirm?.kind === 'purge' ? (
        <ConfirmDialog
          title={
            <>
              Purge <span aria-hidden="true">{confirm.agent.emoji}</span> {confirm.agent.name} for good?
            </>
          }
          confirmLabel="Purge for good"
          danger
          typeToConfirm={confirm.agent.name}
          busy={confirmBusy}
          onConfirm={() => void runConfirmed()}
          onClose={() => setConfirm(null)}
          testId="purge-confirm"
        >
          <p>This removes its container, its files, its traces and its record. It cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
