// Decides how egress is enforced on this host: here as root, through the helper container (Docker), or not at all, and says why.
import type { ComponentHealth } from '../../../contract/health';
import type { IptablesExecutor } from './iptables';

/**
 * How egress policies are enforced now: `root` (this process changes the host firewall), `helper` (the
 * helper container does, for a core that is not root but can use Docker), `off` (turned off with
 * `AGENTDESK_EGRESS=off`), `unavailable` (cannot be: agents are not deployed), `starting` (being decided;
 * the helper image may be building).
 */
export type EnforcementState = 'root' | 'helper' | 'off' | 'unavailable' | 'starting';

/** The outcome: an executor when enforced, else why not and what to do. */
export interface EnforcementChoice {
  state: EnforcementState;
  executor: IptablesExecutor | null;
  /** One line; empty when enforced. */
  reason: string;
  /** One line telling the user what to do; empty when enforced. */
  fix: string;
}

/** What {@link chooseEnforcement} needs. */
export interface EnforcementOptions {
  /** `AGENTDESK_EGRESS`: unset or `auto` (root, else the helper), `root`, `helper`, `off`. */
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** The executor that runs iptables here, and whether it can (null) or why not. */
  local: () => { executor: IptablesExecutor; probe: () => Promise<string | null> };
  /**
   * Starts the helper container and a session to it (Docker); rejects with why not. Null when this core
   * has no Docker runtime.
   */
  helper: (() => Promise<IptablesExecutor>) | null;
}

const OFF_FIX = 'Unset AGENTDESK_EGRESS to enforce egress policies';
const UNPRIVILEGED_FIX =
  'Add your user to the `docker` group (then log in again) so Agent Desk can run its egress helper container (Incus alone cannot host it), or run Agent Desk as root (`sudo agentdesk serve`), or set AGENTDESK_EGRESS=off to run agents without egress control (see docs/security/egress.md)';

/**
 * Picks the enforcement (docs/decisions/009-egress.md, "Without root"): `AGENTDESK_EGRESS=off` turns it
 * off; on Linux, iptables usable by this process (root) wins; otherwise the helper container when Docker
 * answers; otherwise none, with the reasons of both attempts. `AGENTDESK_EGRESS=root|helper` forces one.
 * Never throws.
 */
export async function chooseEnforcement(o: EnforcementOptions): Promise<EnforcementChoice> {
  const wanted = o.env.AGENTDESK_EGRESS?.trim() || 'auto';
  const none = (reason: string, fix: string): EnforcementChoice => ({
    state: 'unavailable',
    executor: null,
    reason,
    fix,
  });
  if (wanted === 'off')
    return {
      state: 'off',
      executor: null,
      reason:
        'egress control is turned off (AGENTDESK_EGRESS=off): agents reach anything their engine lets them',
      fix: OFF_FIX,
    };
  if (!['auto', 'root', 'helper'].includes(wanted))
    return none(
      `AGENTDESK_EGRESS=${wanted} is not valid`,
      'Set AGENTDESK_EGRESS to off, root or helper, or leave it unset (root when possible, else the helper container)',
    );
  if (o.platform !== 'linux')
    return none(
      `egress control needs a Linux host (this is ${o.platform})`,
      'Set AGENTDESK_EGRESS=off to run agents without egress control',
    );
  let localWhy = 'not tried (AGENTDESK_EGRESS=helper)';
  if (wanted !== 'helper') {
    const local = o.local();
    const why = await local.probe();
    if (!why) return { state: 'root', executor: local.executor, reason: '', fix: '' };
    localWhy = why;
    if (wanted === 'root')
      return none(why, 'Run Agent Desk as root on Linux with iptables, or unset AGENTDESK_EGRESS');
  }
  if (!o.helper)
    return none(
      `${localWhy}; and no Docker runtime is configured for the egress helper container`,
      UNPRIVILEGED_FIX,
    );
  try {
    return { state: 'helper', executor: await o.helper(), reason: '', fix: '' };
  } catch (err) {
    return none(
      `${localWhy}; and the egress helper container could not be used: ${(err as Error).message}`,
      UNPRIVILEGED_FIX,
    );
  }
}

/** What `EgressService.status` answers. */
export interface EgressStatus {
  enforced: boolean;
  /** How: `root`, `helper` (container), or why not: `off`, `unavailable`, `starting`. */
  enforcement: EnforcementState;
  /** Why it is not enforced (empty when it is); when enforced, a note such as an unreadable kernel log. */
  reason: string;
  /** What to do about it (empty when nothing). */
  fix: string;
  /** `helper`: the helper container's name. */
  container: string | null;
}

/**
 * The `egress` component of the health report: `ok` when enforced (as root, or through the helper
 * container, named), `starting` while being prepared, `missing` when off or impossible, with the fix.
 */
export function egressHealth(s: EgressStatus): ComponentHealth {
  const name = 'egress' as const;
  if (s.enforcement === 'root' || s.enforcement === 'helper') {
    const how =
      s.enforcement === 'root'
        ? 'Enforced by Agent Desk itself (root): host firewall rules'
        : `Enforced through the egress helper container ${s.container ?? ''} (Docker; Agent Desk is not root)`;
    return { name, state: 'ok', detail: s.reason ? `${how}; ${s.reason}` : how, fix: '' };
  }
  if (s.enforcement === 'starting')
    return {
      name,
      state: 'starting',
      detail: 'Preparing egress enforcement (the helper image may be building)',
      fix: 'Wait a moment: agents are deployed and started once it is ready (`agentdesk status` shows it)',
    };
  return {
    name,
    state: 'missing',
    detail:
      s.enforcement === 'off'
        ? `Not enforced: ${s.reason}`
        : `Not enforced, agents cannot be deployed: ${s.reason}`,
    fix: s.fix,
  };
}
