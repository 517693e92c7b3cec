// Discovery: local model servers on their usual ports (probed in parallel) and provider keys in the environment.
import type { DiscoveredKey, DiscoveredServer, Discovery } from '../../../contract/providers';
import type { SecretRedactor } from '../../platform/secret-redactor';
import { CATALOG } from './catalog';
import type { CatalogRecord } from './catalog';
import { probeModels } from './model-probe';

/** Deadline of one local probe, in ms: a local server answers /models in a few ms; the whole scan stays < 1.5 s. */
export const DISCOVERY_PROBE_TIMEOUT_MS = 800;

/** An existing provider, as discovery needs it to mark cards already added. */
export interface KnownProvider {
  id: string;
  type: string;
  base_url: string;
}

/**
 * Ports to probe per local type: the catalog's usual ports, overridden by `AGENTDESK_DISCOVERY_PORTS`
 * (`type=port,…`, e.g. `ollama=21434,vllm=28000`) — for tests and servers moved off their usual port.
 * @returns `[entry, base URL]` pairs on 127.0.0.1.
 */
export function discoveryTargets(env: Readonly<NodeJS.ProcessEnv>): [CatalogRecord, string][] {
  const overrides = new Map<string, number>();
  for (const part of (env.AGENTDESK_DISCOVERY_PORTS ?? '').split(',')) {
    const m = /^\s*([a-z0-9-]+)\s*=\s*(\d{1,5})\s*$/.exec(part);
    if (m) overrides.set(m[1]!, Number(m[2]));
  }
  return CATALOG.filter((e) => e.kind === 'local').map((e) => {
    const url = new URL(e.base_url);
    const port = overrides.get(e.type);
    if (port !== undefined) url.port = String(port);
    return [e, url.toString().replace(/\/+$/, '')];
  });
}

function sameUrl(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\/+$/, '').replace('://localhost', '://127.0.0.1').toLowerCase();
  return norm(a) === norm(b);
}

function last4(value: string): string | null {
  return value.length >= 12 ? value.slice(-4) : null;
}

/**
 * Scans for what the user could add, saving nothing:
 * - every local server type on its usual port on 127.0.0.1, all in parallel, each with a
 *   {@link DISCOVERY_PROBE_TIMEOUT_MS} deadline; only servers that answer with a model list are reported;
 * - the usual key variables of each cloud type in the core's environment (`OPENAI_API_KEY`, …): the
 *   first one set per type is reported by name with its last 4 characters (the value stays in the
 *   core; it is registered with the redactor).
 * @param known existing providers, to fill `added_as`.
 */
export async function discover(opts: {
  known: KnownProvider[];
  redactor: SecretRedactor;
  /** The core's environment (cloud key variables, `AGENTDESK_DISCOVERY_PORTS`). */
  env: Readonly<NodeJS.ProcessEnv>;
  timeoutMs?: number;
}): Promise<Discovery> {
  const { env } = opts;
  const started = performance.now();
  const scannedAt = Date.now();
  const targets = discoveryTargets(env);
  const results = await Promise.all(
    targets.map(async ([entry, baseUrl]): Promise<DiscoveredServer | null> => {
      const r = await probeModels({
        baseUrl,
        target: entry,
        key: null,
        timeoutMs: opts.timeoutMs ?? DISCOVERY_PROBE_TIMEOUT_MS,
      });
      // Only an answer that parses as a model list counts: any other program may use these ports.
      if (!r.outcome.ok) return null;
      return {
        type: entry.type,
        label: entry.label,
        base_url: baseUrl,
        model_count: r.models.length,
        models: r.models.slice(0, 20).map((m) => m.id),
        latency_ms: r.outcome.latency_ms,
        added_as: opts.known.find((p) => p.type === entry.type && sameUrl(p.base_url, baseUrl))?.id ?? null,
      };
    }),
  );
  const keys: DiscoveredKey[] = [];
  for (const entry of CATALOG) {
    const envVar = entry.env_vars.find((v) => env[v]?.trim());
    if (!envVar) continue;
    const value = env[envVar]!.trim();
    opts.redactor.add(value);
    keys.push({
      type: entry.type,
      label: entry.label,
      env_var: envVar,
      last4: last4(value),
      added_as: opts.known.find((p) => p.type === entry.type)?.id ?? null,
    });
  }
  return {
    servers: results.filter((s): s is DiscoveredServer => s !== null),
    keys,
    probed: targets.map(([e, url]) => url + e.models_path),
    duration_ms: Math.round(performance.now() - started),
    scanned_at: scannedAt,
  };
}
