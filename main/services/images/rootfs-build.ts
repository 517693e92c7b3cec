// Runs scripts/images/build-base-rootfs.sh as a child process and turns its output into progress and errors.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';
import { LineSplitter, RingBuffer } from '../../platform/output-lines';
import { killProcessGroup, spawnGroupLeader } from '../../platform/spawn';
import { parseProgressLine } from './image-manifest';

/** The build script's file name inside the recipe folder. */
export const BUILD_SCRIPT = 'build-base-rootfs.sh';
/** Deadline of a build (ms): debootstrap over a slow mirror; measured 3–6 min here. */
const BUILD_TIMEOUT_MS = 45 * 60_000;
/** Variables passed to the script; nothing else of the core's environment (which may hold provider keys). */
const PASSED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'TMPDIR',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'npm_config_registry',
  'npm_config_cache',
  'AGENTDESK_DEBIAN_MIRROR',
];

/**
 * A refusal before or during the image build that the user can act on. `hint` says what to do;
 * it is also in `details.hint` so it crosses the transport.
 */
export class ImageError extends AppError {
  readonly hint: string;

  constructor(
    code: 'UNAVAILABLE' | 'INTERNAL' | 'INVALID_INPUT',
    message: string,
    hint: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { ...details, hint });
    this.hint = hint;
  }
}

/** What {@link buildRootfs} needs. */
export interface RootfsBuildOptions {
  /** Folder holding build-base-rootfs.sh and agentdesk-init. */
  scriptsDir: string;
  /** Receives rootfs.tar, metadata.tar.gz, manifest.json. */
  outDir: string;
  /** Download cache shared by builds (Debian packages, the Node package). */
  downloadsDir: string;
  /** Each `[image]` step: fraction of the build done (0–1) and what it is doing. */
  onStep: (fraction: number, message: string) => void;
  /** Every other output line (debootstrap's), for the log. */
  onLine?: (line: string) => void;
  /** The core's environment: PATH (for debootstrap) and the few variables passed on to the script. */
  env: Readonly<NodeJS.ProcessEnv>;
}

/** Where an executable named `name` is found on `envPath` (a `PATH`; plus the sbin folders root uses), or null. */
export function findExecutable(name: string, envPath: string): string | null {
  const dirs = [...envPath.split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * Checks what a build needs before starting it: root, debootstrap, the recipe.
 * @throws ImageError UNAVAILABLE with a hint (run as root / `apt-get install debootstrap` / reinstall).
 */
export function checkBuildPrerequisites(
  scriptsDir: string,
  outDir: string,
  env: Readonly<NodeJS.ProcessEnv>,
): void {
  const script = path.join(scriptsDir, BUILD_SCRIPT);
  if (!fs.existsSync(script) || !fs.existsSync(path.join(scriptsDir, 'agentdesk-init')))
    throw new ImageError(
      'UNAVAILABLE',
      `The base image recipe is missing: ${script} and agentdesk-init are expected in ${scriptsDir}`,
      'Reinstall Agent Desk, or set AGENTDESK_IMAGE_RECIPE_DIR to the folder holding scripts/images',
    );
  if (process.getuid?.() !== 0)
    throw new ImageError(
      'UNAVAILABLE',
      'Building the base image needs root (debootstrap and chroot), and Agent Desk is not running as root',
      `Build it once as root: sudo ${script} ${outDir} — then build again here (the finished rootfs is reused), or import an exported image`,
    );
  if (!findExecutable('debootstrap', env.PATH ?? ''))
    throw new ImageError(
      'UNAVAILABLE',
      'Building the base image needs debootstrap, which is not installed',
      'Install the Debian package: sudo apt-get install debootstrap',
    );
}

/**
 * Runs the build script (`bash build-base-rootfs.sh outDir`) in its own process group, reporting
 * its `[image]` steps. Resolves when it exits 0.
 * @throws ImageError — UNAVAILABLE (prerequisites, see {@link checkBuildPrerequisites}), INTERNAL when
 *   the script fails (message = its last `error:` line; `details.log` = its last output lines) or
 *   exceeds 45 min (its process group is killed).
 */
export async function buildRootfs(opts: RootfsBuildOptions): Promise<void> {
  const { env } = opts;
  checkBuildPrerequisites(opts.scriptsDir, opts.outDir, env);
  const childEnv: NodeJS.ProcessEnv = { LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' };
  for (const k of PASSED_ENV) if (env[k] !== undefined) childEnv[k] = env[k];
  // debootstrap and chroot live in sbin, which a desktop session's PATH may lack.
  const dirs = (childEnv.PATH ?? '/usr/bin:/bin').split(':');
  for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!dirs.includes(d)) dirs.push(d);
  childEnv.PATH = dirs.join(':');
  childEnv.AGENTDESK_IMAGE_DOWNLOADS = opts.downloadsDir;
  const script = path.join(opts.scriptsDir, BUILD_SCRIPT);
  const child = await spawnGroupLeader('bash', [script, opts.outDir], { env: childEnv }).catch(
    (err: Error) => {
      throw new ImageError(
        'INTERNAL',
        `Cannot start ${script}: ${err.message}`,
        'Check that bash is installed',
      );
    },
  );
  const tail = new RingBuffer<string>(40);
  const onOutput = (line: string): void => {
    tail.push(line);
    opts.onLine?.(line);
  };
  const out = new LineSplitter((line) => {
    const step = parseProgressLine(line);
    if (step) opts.onStep(step.fraction, step.message);
    else onOutput(line);
  });
  const err = new LineSplitter(onOutput);
  child.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => err.push(c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) killProcessGroup(child.pid, 'SIGKILL');
  }, BUILD_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c: number | null, s: NodeJS.Signals | null) => resolve([c, s])),
  );
  clearTimeout(timer);
  out.end();
  err.end();
  if (code === 0) {
    opts.onStep(1, 'Rootfs built');
    return;
  }
  const lines = tail.toArray();
  const reason = [...lines]
    .reverse()
    .find((l) => l.includes('error:'))
    ?.replace(/^.*?error:\s*/, '');
  const why = timedOut
    ? 'it did not finish within 45 min'
    : (reason ??
      (signal ? `it was killed by ${signal}` : `it exited with code ${code}: ${lines.at(-1) ?? ''}`));
  throw new ImageError(
    'INTERNAL',
    `Building the base image failed: ${why}`,
    `See the build log lines in details.log; rerun by hand to debug: sudo ${script} ${opts.outDir}`,
    { log: lines },
  );
}
