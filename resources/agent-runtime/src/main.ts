// Entry of agent-runtime.cjs: `serve` (default) runs the HTTP server; `verify` checks the inference path and exits.
import { loadConfig, loadVerifyConfig } from './config';
import { ConfigError } from './config-error';
import { addSecret, logError, logInfo, messageOf, redact } from './log';
import { startServer } from './server';
import { verify } from './verify';

const USAGE = 'usage: agent-runtime.cjs [serve|verify]';

async function serve(): Promise<void> {
  const server = await startServer(loadConfig(process.env));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logInfo('stopping', { signal });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logError('stop.failed', { error: messageOf(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function runVerify(): Promise<number> {
  let result;
  try {
    const config = loadVerifyConfig(process.env);
    addSecret(config.apiKey);
    result = await verify(config);
  } catch (err) {
    result = { ok: false as const, error: messageOf(err) };
  }
  process.stdout.write(redact(JSON.stringify(result)) + '\n');
  return result.ok ? 0 : 1;
}

/**
 * Runs the command in `argv[0]`: `serve` (or nothing) starts the server and keeps running until SIGTERM or
 * SIGINT (exit 0); `verify` prints one JSON line and exits 0 (ok) or 1. A bad environment exits 1 with
 * the variable named on stderr; an unknown command exits 2 with the usage.
 */
export async function main(argv: string[]): Promise<void> {
  const cmd = argv[0] ?? 'serve';
  if (cmd === 'verify') {
    process.exitCode = await runVerify();
    return;
  }
  if (cmd !== 'serve') {
    process.stderr.write(`unknown command ${JSON.stringify(cmd)}; ${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await serve();
  } catch (err) {
    const what = err instanceof ConfigError ? 'config' : 'start';
    logError(`${what}.failed`, { error: messageOf(err) });
    process.exit(1);
  }
}

void main(process.argv.slice(2));
