// Test helper: the real `agentdesk serve` in a child process (built from the sources with Vite), to be killed with SIGKILL.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/**
 * Bundles `main/headless.ts` (the `agentdesk` command) and the trace worker from the current sources
 * into `node_modules/.cache/agentdesk/faults-core-<random>/` (where packages still resolve), as
 * electron-vite does for the app: Vite handles `import.meta.glob` of the migrations. About 1 s.
 * @returns the bundle's `headless.js` and a function removing the folder.
 */
export async function buildChildCore(): Promise<{ entry: string; remove: () => void }> {
  const outDir = path.join(
    root,
    'node_modules',
    '.cache',
    'agentdesk',
    `faults-core-${crypto.randomBytes(4).toString('hex')}`,
  );
  const { build } = await import('vite');
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      minify: false,
      target: 'node20',
      rollupOptions: {
        input: {
          headless: path.join(root, 'main', 'headless.ts'),
          'trace-worker': path.join(root, 'main', 'services', 'traces', 'trace-worker.ts'),
        },
        external: ['rolldown', 'electron'],
        output: { format: 'cjs', entryFileNames: '[name].js' },
      },
    },
  });
  return {
    entry: path.join(outDir, 'headless.js'),
    remove: () => fs.rmSync(outDir, { recursive: true, force: true }),
  };
}

/** A core serving `home` in a child process. */
export interface ChildCore {
  pid: number;
  /** Calls `POST /api/<group>/<method>`; resolves to the envelope, rejects when the connection drops. */
  call: (group: string, method: string, input: unknown) => Promise<unknown>;
  /** Resolves with the signal (or exit code) when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it printed, for failure messages. */
  output: () => string;
  /** SIGKILL if still running. */
  kill: () => void;
}

/**
 * Spawns `node <entry> serve --port 0 --home <home>` with `env` added (e.g. the fault hook's
 * `NODE_ENV=test AGENTDESK_FAULT_KILL_AT=…`) and resolves once it prints its URL. `wrap` turns the
 * command line into another (e.g. test/unprivileged-user.ts `wrap`: run it as another user).
 * @throws Error with its output when it exits first or prints no URL within 60 s.
 */
export async function startChildCore(
  entry: string,
  home: string,
  env: NodeJS.ProcessEnv,
  wrap: (argv: string[]) => string[] = (argv) => argv,
): Promise<ChildCore> {
  const [command, ...args] = wrap([process.execPath, entry, 'serve', '--port', '0', '--home', home]);
  const child: ChildProcess = spawn(command!, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const t0 = Date.now();
  let m: RegExpExecArray | null = null;
  while (!(m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() - t0 > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`agentdesk serve did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const [, origin, token] = m;
  return {
    pid: child.pid!,
    call: async (group, method, input) => {
      const res = await fetch(`${origin}/api/${group}/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      return await res.json();
    },
    exited,
    output: () => out,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Pids of live processes whose command line mentions `needle` (e.g. a data dir: the LiteLLM a killed
 * core leaves behind has `--config <home>/litellm/…`). Linux /proc only.
 */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}
