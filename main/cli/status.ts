// `agentdesk status`: the health of each component, through the running core's HTTP transport.
import type { HealthReport } from '../../contract/health';
import { connect, NotRunningError } from './http-client';

/** Renders a health report as aligned text lines (name, state, detail; then the fix when not ok). */
export function formatHealth(report: HealthReport): string {
  const lines: string[] = [];
  for (const c of report.components) {
    lines.push(`${c.name.padEnd(9)} ${c.state.padEnd(8)} ${c.detail}`);
    if (c.state !== 'ok' && c.fix) lines.push(`${''.padEnd(18)} fix: ${c.fix}`);
  }
  return lines.join('\n');
}

/** Where a command writes text (process.stdout, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Prints the health report of the core serving `home`, after the UI's URL (with its token) in text form.
 * `--json` prints `{"components":[{name,state,detail,fix}]}` (ComponentHealth of contract/health.ts).
 * @returns the process exit code: 0 when reported, 2 when no core answers (message on stderr).
 */
export async function statusCommand(
  opts: { home: string; json: boolean },
  out: TextSink = process.stdout,
  err: TextSink = process.stderr,
): Promise<number> {
  try {
    const { client, control } = await connect(opts.home);
    const report = await client.system.health({ refresh: true });
    // The text form starts with where the UI is (with its token: only the owner can read control.json).
    out.write(
      opts.json
        ? JSON.stringify({ components: report.components }) + '\n'
        : `${'ui'.padEnd(9)} ${'open'.padEnd(8)} ${control.url}/#token=${control.token}\n${formatHealth(report)}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof NotRunningError) {
      err.write(`${e.message}\n`);
      return 2;
    }
    err.write(`agentdesk status: ${(e as Error).message}\n`);
    return 1;
  }
}
