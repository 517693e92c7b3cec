// Who may call the gateway: Host → virtual key → owner state → rate and budget → model scope.
import type http from 'node:http';
import net from 'node:net';
import { gatewayErrors } from './errors';
import type { GatewayError } from './errors';
import { RequestWindows } from './request-window';
import { inScope } from '../virtual-keys';
import type { VirtualKeyRecord } from '../virtual-keys';

/** The part of the virtual key table the gateway needs. */
export interface KeyStore {
  /** The record of a presented key (revoked ones included), or `null`. */
  lookup(key: string): VirtualKeyRecord | null;
  /** Adds spending (USD) and stamps the last use; later lookups count it at once. */
  recordUse(id: string, usd: number): void;
  /** Writes out spending kept in memory (called at shutdown). */
  flush?(): void;
  /**
   * Why the keys of `owner` are suspended (e.g. `The agent "x" is stopped`), or `null` when they are not:
   * the agent's phase, as the agent service sets it (virtual-keys.ts `suspend`). Without it, never.
   */
  suspension?(owner: string): string | null;
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (OpenAI SDKs) or `x-api-key: <key>`
 * (Anthropic SDKs). `null` when neither is there.
 */
export function presentedKey(headers: http.IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  const x = headers['x-api-key'];
  return typeof x === 'string' && x ? x.trim() : null;
}

/**
 * The `Host` values that name the gateway: each listening address with its port (IPv6 in brackets),
 * `127.0.0.1`/`localhost` with its port, and those two with each of `aliasPorts` (the port agents see
 * inside an Incus container, forwarded to ours by its proxy device). Anything else — above all a DNS
 * name that resolves to us, a web page rebinding its name to 127.0.0.1 — is refused, as by the control
 * API (main/transport/http/guards.ts).
 */
export function gatewayHosts(
  addresses: readonly string[],
  port: number,
  aliasPorts: readonly number[],
): Set<string> {
  const hosts = new Set<string>();
  for (const a of addresses) hosts.add(net.isIPv6(a) ? `[${a}]:${port}` : `${a}:${port}`);
  for (const p of [port, ...aliasPorts])
    for (const name of ['127.0.0.1', 'localhost']) hosts.add(`${name}:${p}`);
  return hosts;
}

/**
 * Applies the per-key rules. Requests per minute are counted in memory (sliding window of 60 s, per
 * key id); the budget compares the key's spending (as its lookup reports it, amounts not yet written
 * included) to its limit before each request.
 */
export class GatewayPolicy {
  private readonly windows = new RequestWindows();

  constructor(private readonly keys: KeyStore) {}

  /** The key record of a request, or the 401/403 to answer. */
  authenticate(headers: http.IncomingHttpHeaders): { key: VirtualKeyRecord } | { error: GatewayError } {
    const presented = presentedKey(headers);
    if (!presented) return { error: gatewayErrors.noKey() };
    const key = this.keys.lookup(presented);
    if (!key) return { error: gatewayErrors.unknownKey() };
    if (key.revokedAt !== null) return { error: gatewayErrors.revokedKey() };
    const refusal = this.keys.suspension?.(key.owner) ?? null;
    if (refusal) return { error: gatewayErrors.ownerRefused(refusal) };
    return { key };
  }

  /** Checks budget and rate, and counts the request when admitted; the 429 to answer otherwise. */
  admit(key: VirtualKeyRecord, now = Date.now()): GatewayError | null {
    if (key.budgetUsd !== null && key.spentUsd >= key.budgetUsd)
      return gatewayErrors.budget(key.budgetUsd, key.spentUsd);
    if (key.rpm === null) return null;
    const retry = this.windows.admit(key.id, now, key.rpm);
    return retry === null ? null : gatewayErrors.rate(key.rpm, retry);
  }

  /** The 403 to answer when `model` is outside the key's scope, else `null`. */
  scope(key: VirtualKeyRecord, model: string): GatewayError | null {
    return inScope(key.models, model) ? null : gatewayErrors.outOfScope(model, key.models);
  }

  /** Records spending after a call. */
  spent(key: VirtualKeyRecord, usd: number | null): void {
    this.keys.recordUse(key.id, usd ?? 0);
  }
}
