// The "New agent" dialog: the create form, then the deploy's live progress until running or failed.
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { openChatOf } from '../chat';
import { agentsStore, deployView, splitCreateErrors, useAgents } from '../../stores/agents';
import { llmStore, useLlm } from '../../stores/llm';
import { CREATE_FORM_ID, CreateAgentForm } from './CreateAgentForm';
import { DeployProgress } from './DeployProgress';
import { useSettings } from '../../stores/settings';
import { useSystem } from '../../stores/system';
import { loadEngineMembers, useEngineList } from '../../stores/engines';

/** The deploy view of the agent just created (live from the store). */
function DeployStage({ id, onClose }: { id: string; onClose: () => void }): ReactElement {
  const agent = useAgents((s) => s.agents.find((a) => a.id === id));
  const progress = useAgents((s) => s.progress[id]);
  const lastDeployPhase = useAgents((s) => s.lastDeployPhase[id]);
  const retrying = useAgents((s) => s.busy[id] === 'start');
  if (!agent)
    return (
      <Dialog title="Agent removed" onClose={onClose} testId="deploy-dialog">
        <p>The agent is no longer there (it was purged).</p>
      </Dialog>
    );
  const view = deployView(agent, progress, lastDeployPhase);
  const title =
    view.outcome === 'running'
      ? `${agent.name} is running`
      : view.outcome === 'failed'
        ? `${agent.name} failed to deploy`
        : `Deploying ${agent.name}`;
  const openChat = (): void => {
    openChatOf(agent.id);
    onClose();
  };
  return (
    <Dialog
      title={
        <>
          <span aria-hidden="true">{agent.emoji}</span> {title}
        </>
      }
      description={
        view.outcome === 'deploying'
          ? 'You can close this window: the deploy goes on, and the list shows its phase.'
          : undefined
      }
      onClose={onClose}
      wide
      testId="deploy-dialog"
      footer={
        view.outcome === 'running' ? (
          <>
            <button type="button" className="button" onClick={onClose} data-testid="deploy-done">
              Done
            </button>
            <button
              type="button"
              className="button button--primary"
              onClick={openChat}
              data-autofocus=""
              data-testid="deploy-open-chat"
            >
              Open chat
            </button>
          </>
        ) : (
          <button type="button" className="button" onClick={onClose} data-testid="deploy-close">
            Close
          </button>
        )
      }
    >
      <DeployProgress
        agent={agent}
        view={view}
        retrying={retrying}
        onRetry={() => void agentsStore.getState().start(agent.id)}
      />
    </Dialog>
  );
}

/**
 * "New agent": the form (harnesses, provider names and the served models are loaded and followed
 * while it is open), then, once `agents.create` answers, the deploy's progress in the same place.
 * Escape or × closes it at any time except during the submit itself; a deploy goes on in the background.
 */
export function CreateAgentDialog({ onClose }: { onClose: () => void }): ReactElement {
  const [created, setCreated] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const harnesses = useAgents((s) => s.harnesses);
  const providerNames = useAgents((s) => s.providerNames);
  const agents = useAgents((s) => s.agents);
  const status = useLlm((s) => s.status);
  const defaultRuntime = useSettings((s) => s.saved?.container_runtime);
  const health = useSystem((s) => s.health);
  const { engines } = useEngineList();

  useEffect(() => {
    void agentsStore.getState().loadCreateOptions();
    const llm = llmStore.getState();
    const off = llm.follow();
    void llm.load();
    return off;
  }, []);

  if (created) return <DeployStage id={created} onClose={onClose} />;

  const noModels = (status?.litellm.models.length ?? 0) === 0;
  return (
    <Dialog
      title="New agent"
      description="It runs in its own container and reaches its models only through the gateway."
      onClose={onClose}
      wide
      dismissible={!submitting}
      testId="create-agent-dialog"
      footer={
        <DialogActions
          onCancel={onClose}
          cancelDisabled={submitting}
          form={CREATE_FORM_ID}
          label="Create agent"
          busy={submitting}
          busyLabel="Creating…"
          disabled={submitting || noModels}
          ariaBusy={submitting}
          testId="create-agent-submit"
        />
      }
    >
      <CreateAgentForm
        harnesses={harnesses}
        status={status}
        providerNames={providerNames}
        agents={agents}
        defaultRuntime={defaultRuntime ?? 'docker'}
        runtimeHealth={health?.components ?? []}
        engines={engines}
        loadMembers={loadEngineMembers}
        onBusy={setSubmitting}
        onSubmit={async (input) => {
          const r = await agentsStore.getState().create(input);
          if (r.ok) {
            setCreated(r.agent.id);
            return null;
          }
          return splitCreateErrors(r.error);
        }}
      />
    </Dialog>
  );
}
