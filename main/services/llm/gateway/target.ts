// Where the gateway forwards requests: one ready LiteLLM, with its key and keep-alive connections.
import type { Dispatcher } from 'undici';

/** Where requests go: one ready LiteLLM. The gateway counts its in-flight requests (for draining). */
export interface GatewayTarget {
  host: string;
  port: number;
  /** LiteLLM's master key (random per start); sent as `Authorization: Bearer`. */
  masterKey: string;
  /** Keep-alive connections to this target (upstream.ts `upstreamPool`). */
  dispatcher: Dispatcher;
  /** Requests currently forwarded to this target; maintained by the gateway. */
  inflight: number;
}
