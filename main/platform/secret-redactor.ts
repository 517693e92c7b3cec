// Remembers secret values seen by the core (keys read from the keychain, tokens) and scrubs them from text.

/** Replacement written where a secret was. */
export const REDACTED = '[REDACTED]';

/**
 * A process-wide registry of secret strings. Logging passes every line through {@link scrub},
 * so a secret that reaches a log message by accident (an error from a library, a URL) is replaced.
 * Secrets shorter than 8 characters are ignored: too short to scrub without damaging ordinary text.
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

  /** Returns `text` with every registered secret replaced by {@link REDACTED}. */
  scrub(text: string): string {
    if (this.secrets.size === 0) return text;
    if (!this.pattern) {
      const alternatives = [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.pattern, REDACTED);
  }
}

/** The redactor shared by the whole process (logging and every service that reads secrets). */
export const secretRedactor = new SecretRedactor();
