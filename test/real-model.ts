// The real local model for tests: llama.cpp's llama-server started by scripts/real-model.sh (its URL, whether it answers, its model id).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The port `scripts/real-model.sh start` uses by default (and `.ci/run` starts it on). */
export const REAL_MODEL_PORT = 18080;

/**
 * The OpenAI-compatible base URL of the real model server: `AGENTDESK_REAL_MODEL_URL` (what
 * `scripts/real-model.sh start` prints), else `http://127.0.0.1:18080/v1`.
 */
export function realModelUrl(): string {
  return (process.env.AGENTDESK_REAL_MODEL_URL ?? `http://127.0.0.1:${REAL_MODEL_PORT}/v1`).replace(
    /\/+$/,
    '',
  );
}

/** The server's port, from {@link realModelUrl}. */
export function realModelPort(): number {
  return Number(new URL(realModelUrl()).port || 80);
}

/** The model id llama-server answers with (`--alias` in scripts/real-model.sh). */
export const REAL_MODEL_ID = 'qwen2.5-coder-0.5b-instruct';

/** True when llama-server answers `GET /health` at {@link realModelUrl} within 3 s (checked with curl, synchronously). */
export function realModelAvailable(url = realModelUrl()): boolean {
  try {
    execFileSync('curl', ['-fsS', '--max-time', '3', `${new URL(url).origin}/health`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `scripts/real-model.sh <args>` (e.g. `start --port 8080`, `stop --port 8080`) and returns its
 * stdout. Starting is idempotent and offline once installed.
 * @throws Error with the script's stderr when it fails.
 */
export function realModelScript(...args: string[]): string {
  const script = path.resolve(__dirname, '..', 'scripts', 'real-model.sh');
  return execFileSync('bash', [script, ...args], { encoding: 'utf8', timeout: 20 * 60_000 });
}
