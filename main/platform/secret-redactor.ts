// Remembers secret values seen by the core (keys read from the keychain, tokens) and scrubs them, and every key of our own shapes, from text.

/** Replacement written where a secret was. */
export const REDACTED = '[REDACTED]';

/**
 * Shapes of keys Agent Desk mints itself, redacted whether or not this process has seen the key: virtual
 * keys (`sk-agentdesk-` + base62, main/services/llm/virtual-keys.ts; keys minted by an earlier run are
 * not in the registry) and LiteLLM master keys (`sk-master-` + base62, llm/litellm/process.ts). A cut key
 * (any non-empty base62 tail) is redacted too, so a prefix left by a truncation never survives.
 */
export const OWN_KEY_SHAPES = ['sk-agentdesk-[0-9A-Za-z]+', 'sk-master-[0-9A-Za-z]+'];

/**
 * A process-wide registry of secret strings. Logging passes every line through {@link scrub},
 * so a secret that reaches a log message by accident (an error from a library, a URL) is replaced.
 * Secrets shorter than 8 characters are ignored: too short to scrub without damaging ordinary text.
 * Keys of {@link OWN_KEY_SHAPES} are always redacted, registered or not.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  /** Registers a secret value (e.g. a provider key just read from the keychain). */
  add(secret: string | null | undefined): void {
    if (!secret || secret.length < 8 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.pattern = null;
  }

  /** Forgets a secret (e.g. a deleted provider key). */
  remove(secret: string): void {
    if (this.secrets.delete(secret)) this.pattern = null;
  }

  /** Number of registered secrets. */
  get size(): number {
    return this.secrets.size;
  }

  /** Returns `text` with every registered secret and every key of our own shapes replaced by {@link REDACTED}. */
  scrub(text: string): string {
    if (!this.pattern) {
      const alternatives = [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.pattern = new RegExp([...alternatives, ...OWN_KEY_SHAPES].join('|'), 'g');
    }
    return text.replace(this.pattern, REDACTED);
  }
}

/** The redactor shared by the whole process (logging and every service that reads secrets). */
export const secretRedactor = new SecretRedactor();
