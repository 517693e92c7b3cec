// The agent's Network pane: its egress mode and allowlist, edited and saved with `agents.policy` (no redeploy).
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { EgressMode } from '../../../../contract/egress';
import type { ShownError } from '../../stores/errors';
import { useAgents } from '../../stores/agents';
import { EgressEditor } from './EgressEditor';
import type { AgentPaneProps } from './panes';

/**
 * Shows the agent's policy as the core has it (live from the store), lets the user edit a draft and
 * saves the difference (`egress`, entries to `allow` and to `remove`). Says when the policy is not
 * enforced on this host, and the agent's address on its engine's network.
 */
export function EgressPane({ agent }: AgentPaneProps): ReactElement {
  const setPolicy = useAgents((s) => s.setPolicy);
  const current = agent.egress;
  const [mode, setMode] = useState<EgressMode>(current.mode);
  const [allow, setAllow] = useState<string[]>(current.allow);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const [saved, setSaved] = useState(false);
  const key = `${current.mode} ${current.allow.join(',')}`;
  // The core's policy changed (saved here, "allow this host" in the trace, the CLI): start again from it.
  useEffect(() => {
    setMode(current.mode);
    setAllow(current.allow);
  }, [key, agent.id]);

  const added = allow.filter((a) => !current.allow.includes(a));
  const removed = current.allow.filter((a) => !allow.includes(a));
  const dirty = mode !== current.mode || added.length > 0 || removed.length > 0;
  const emptyAllowlist = mode === 'allowlist' && allow.length === 0;

  async function save(): Promise<void> {
    setBusy(true);
    setSaved(false);
    const err = await setPolicy(agent.id, {
      ...(mode !== current.mode ? { egress: mode } : {}),
      ...(added.length ? { allow: added } : {}),
      ...(removed.length ? { remove: removed } : {}),
    });
    setBusy(false);
    setError(err);
    setSaved(err === null);
  }

  return (
    <div className="egress-pane" data-testid="egress-pane">
      {current.enforcement === 'proxy' ? (
        <p className="muted small" data-testid="egress-enforcement">
          Enforced on its engine by Agent Desk’s egress proxy: TCP through the proxy only (HTTP_PROXY and
          HTTPS_PROXY are set), and Open reaches public addresses only (name LAN addresses in the allowlist).
        </p>
      ) : current.enforcement === 'off' ? (
        <p className="inline-error" role="alert" data-testid="egress-not-enforced">
          Not enforced: egress control is turned off (AGENTDESK_EGRESS=off), so this policy is recorded but
          not applied.
        </p>
      ) : !current.enforced ? (
        <p className="inline-error" role="alert" data-testid="egress-not-enforced">
          Not enforced on this host: Agent Desk cannot change its firewall (it needs root, or Docker for its
          egress helper container; System says what is missing), so this policy is recorded but not applied.
        </p>
      ) : (
        <p className="muted small" data-testid="egress-enforcement">
          {current.enforcement === 'helper'
            ? 'Enforced on this host by the egress helper container (Agent Desk is not running as root).'
            : 'Enforced on this host by Agent Desk (running as root).'}
        </p>
      )}
      <EgressEditor
        id="egress-pane"
        mode={mode}
        allow={allow}
        onMode={(m) => {
          setMode(m);
          setSaved(false);
        }}
        onAllow={(a) => {
          setAllow(a);
          setSaved(false);
        }}
        disabled={busy}
        allowError={emptyAllowlist ? 'Add at least one host, or choose None' : undefined}
      />
      <div className="egress-pane__footer">
        <button
          type="button"
          className="button button--primary"
          disabled={!dirty || busy || emptyAllowlist}
          onClick={() => void save()}
          data-testid="egress-save"
        >
          {busy ? 'Saving…' : 'Save'}
        </button>
        {dirty && !busy ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setMode(current.mode);
              setAllow(current.allow);
            }}
            data-testid="egress-revert"
          >
            Revert
          </button>
        ) : null}
        {saved && !dirty ? (
          <span className="muted small" role="status" data-testid="egress-saved">
            Saved{agent.phase === 'running' ? ': applied to the running agent' : ''}
          </span>
        ) : null}
      </div>
      {error ? (
        <p className="inline-error" role="alert" data-testid="egress-error">
          <code>{error.code}</code> {error.message}
        </p>
      ) : null}
      {current.address ? (
        <p className="muted small">
          Address on its {agent.runtime} network: <code data-testid="egress-address">{current.address}</code>
        </p>
      ) : null}
    </div>
  );
}
