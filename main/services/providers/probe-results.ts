// Probe results made without sending a request: no key to send, or no route to the internet.
import type { ProbeOutcome } from '../../../contract/providers';
import type { ProbeResult } from './model-probe';
import { UNREACHABLE_PREFIX } from './provider-dto';

/** The status detail of a provider skipped because there is no route to the internet. */
export function offlineDetail(): string {
  return `${UNREACHABLE_PREFIX}this computer is offline (no network route). It is tested again when the network is back.`;
}

/** A probe that was not sent because the machine is offline (kind `network`). */
export function unreachable(url: string, message: string): ProbeResult {
  const outcome: ProbeOutcome = {
    ok: false,
    kind: 'network',
    message: message.slice(UNREACHABLE_PREFIX.length),
    url,
    http_status: null,
    latency_ms: 0,
    model_count: null,
  };
  return { outcome, models: [] };
}

/** A probe that was not sent because no key can be read (kind `no_key`). */
export function noKey(url: string, message: string): ProbeResult {
  const outcome: ProbeOutcome = {
    ok: false,
    kind: 'no_key',
    message,
    url,
    http_status: null,
    latency_ms: 0,
    model_count: null,
  };
  return { outcome, models: [] };
}
