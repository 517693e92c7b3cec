// A provider's server not answering behind LiteLLM: the message that names it, and a debounced re-probe of it.

/**
 * Whether a LiteLLM error text says the provider's server could not be reached (rather than that it
 * answered with an error). LiteLLM wraps the HTTP client's failure: httpx "All connection attempts
 * failed" / "Connection refused", aiohttp "Cannot connect to host", the OpenAI SDK "Connection error.".
 * `APIConnectionError` alone is not enough: LiteLLM also uses it for answers it could not parse.
 */
export function isConnectionFailure(text: string): boolean {
  return /connection error\.|all connection attempts failed|cannot connect to host|connection refused|connecterror|failed to establish a new connection|name or service not known|nodename nor servname|timed out connecting|connect timeout/i.test(
    text,
  );
}

/** The parts of a provider the message names: its display name and base URL. */
export interface UpstreamRef {
  name: string;
  base_url: string;
}

/**
 * `host:port` of a base URL, without scheme, path or credentials (`http://u:p@h:1/v1` → `h:1`); the
 * scheme's default port when none is written. `null` for a URL that does not parse.
 */
export function hostPortOf(baseUrl: string): string | null {
  try {
    const u = new URL(baseUrl);
    const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
    return port ? `${u.hostname}:${port}` : u.hostname;
  } catch {
    return null;
  }
}

/** "llama.cpp at 127.0.0.1:8080 is not answering …": what an agent's chat error says instead of LiteLLM's text. */
export function notAnsweringMessage(p: UpstreamRef): string {
  const where = hostPortOf(p.base_url);
  return `${p.name}${where ? ` at ${where}` : ''} is not answering: start it or check it on the Providers page.`;
}

/**
 * Re-probes providers whose server the gateway found not answering: at most one probe per provider per
 * `debounceMs` (default 3 000), so a burst of failing calls costs one probe; never two at once.
 */
export class UpstreamDownWatch {
  private readonly last = new Map<string, number>();
  private readonly running = new Set<string>();

  constructor(
    private readonly find: (providerId: string) => UpstreamRef | undefined,
    private readonly reprobe: (providerId: string) => Promise<unknown>,
    private readonly debounceMs = 3000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records that calls to `providerId` failed to connect: schedules a re-probe (debounced) and returns
   * the message that names the server, or `null` for a provider that is not configured.
   */
  failed(providerId: string): string | null {
    const p = this.find(providerId);
    if (!p) return null;
    const t = this.now();
    const prev = this.last.get(providerId);
    if (!this.running.has(providerId) && (prev === undefined || t - prev >= this.debounceMs)) {
      this.last.set(providerId, t);
      this.running.add(providerId);
      void this.reprobe(providerId)
        .catch(() => undefined)
        .finally(() => this.running.delete(providerId));
    }
    return notAnsweringMessage(p);
  }
}
