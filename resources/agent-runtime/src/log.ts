// One-line logs (stdout for turns and tools, stderr for errors) with every key-shaped string masked.

/** Strings that look like API keys (`sk-…`, `sk-agentdesk-…`, `sk-ant-…`): 16+ key characters after `sk-`. */
const KEY_SHAPE = /\bsk-[A-Za-z0-9_-]{16,}/g;

const secrets = new Set<string>();

/** Registers a secret (the virtual key) that {@link redact} replaces wherever it appears. */
export function addSecret(secret: string): void {
  if (secret.length >= 8) secrets.add(secret);
}

/** `text` with the registered secrets replaced by `[redacted]` (for tool output: other text is the agent's work). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

/** `text` with registered secrets and key-shaped strings replaced by `[redacted]` (for logs and errors). */
export function redact(text: string): string {
  return redactSecrets(text).replace(KEY_SHAPE, '[redacted]');
}

/** The message of any thrown value, with its cause chain (`fetch failed: connect ECONNREFUSED …`). */
export function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let msg = err.message;
  for (let c: unknown = err.cause; c instanceof Error; c = c.cause)
    if (!msg.includes(c.message)) msg += `: ${c.message}`;
  return msg;
}

function fmt(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

function line(event: string, fields: Record<string, unknown>): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${fmt(v)}`);
  return redact(`${new Date().toISOString()} ${event} ${parts.join(' ')}`.trimEnd()) + '\n';
}

/** Writes one line `<UTC ISO time> <event> k=v …` to stdout (values quoted when they hold spaces). */
export function logInfo(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(line(event, fields));
}

/** Writes one line `<UTC ISO time> <event> k=v …` to stderr. */
export function logError(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(line(event, fields));
}
