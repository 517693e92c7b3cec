// A harness's image from npm packages: npm install on the host into the image cache, then a Docker build FROM the local base image.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { AppError } from '../../../contract/errors';
import { withDirLock } from '../../platform/locks';
import type { Logger } from '../../platform/logging';
import { run, SpawnError } from '../../platform/spawn';
import { BASE_IMAGE_REF } from '../images/image-manifest';
import type { Harness, NpmImageRecipe } from './harness';
import type { HarnessManifest } from './manifest';

/**
 * The recipe of a CLI harness image: the CLI's native binary from npm (`image/package.json`, its lock,
 * `image/Dockerfile`), `binary` its path in the build folder, the harness version both the image version
 * and the build argument `versionArg`; `size` what npm downloads.
 */
export function npmCliImage(
  version: string,
  binary: string,
  versionArg: string,
  size: string,
): NpmImageRecipe {
  return {
    version,
    files: ['image/package.json', 'image/package-lock.json', 'image/Dockerfile'],
    context: [binary],
    buildArgs: { [versionArg]: version },
    size,
  };
}

/** The image label naming the recipe an image was built from ({@link NpmImageBuilder.recipeHash}). */
export function recipeLabel(id: string): string {
  return `agentdesk.${id}.recipe`;
}

/** Recipe files not copied into the Docker context (npm reads them; the Dockerfile does not). */
const NPM_ONLY = new Set(['package.json', 'package-lock.json']);

/** Constructor dependencies of {@link NpmImageBuilder}. */
export interface NpmImageDeps {
  /** Docker client (the Docker runtime's endpoint). */
  docker: () => Dockerode;
  /** The harness: its id and label, its folder, its recipe and its image ref. */
  harness: Pick<Harness, 'dir'> & {
    manifest: Pick<HarnessManifest, 'id' | 'label' | 'image'>;
    image: NpmImageRecipe;
  };
  /** The image cache: the build folder is `<cacheDir>/<id>-<version>/`, npm's cache `<cacheDir>/npm-cache/`. */
  cacheDir: string;
  /** Makes sure the base image is in Docker (builds it when missing). */
  ensureBase: (onProgress: (fraction: number | null, message: string) => void) => Promise<void>;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** The npm command (default `npm`, from PATH). */
  npm?: string;
  /** The tag to build (default the manifest's `image`); tests pass their own. */
  ref?: string;
  /** Downloads forbidden (`AGENTDESK_OFFLINE=1`): `npm ci --offline` from the cache. */
  offline?: boolean;
}

/**
 * Builds a harness's image locally, once at a time (joined by concurrent callers in this process, and
 * serialised across processes by the lock folder `<cacheDir>/.<id>-build.lock`):
 * 1. the base image (`deps.ensureBase`);
 * 2. `npm ci --ignore-scripts` of the pinned lock file into the build folder, with npm's cache in the
 *    image cache (`--prefer-offline`: a saved cache builds with no network; `AGENTDESK_OFFLINE=1` forbids
 *    the network); skipped when the folder already holds this lock file's install;
 * 3. `docker build` (Docker Engine API `POST /build`, classic builder) of the recipe's Dockerfile FROM
 *    {@link BASE_IMAGE_REF}, with no network.
 * Progress goes to `onProgress` (fraction 0–1). Errors: AppError UNAVAILABLE (no npm, npm failed: its
 * last lines and what to do), INTERNAL (the Docker build failed: its last lines); engine errors pass.
 */
export class NpmImageBuilder {
  private building: Promise<void> | null = null;

  constructor(private readonly d: NpmImageDeps) {}

  /** The tag this builder makes. */
  get ref(): string {
    return this.d.ref ?? this.d.harness.manifest.image;
  }

  /** Builds the image (see the class doc); a call during a build joins it. */
  build(onProgress: (fraction: number | null, message: string) => void = () => {}): Promise<void> {
    this.building ??= this.locked(() => this.buildNow(onProgress)).finally(() => {
      this.building = null;
    });
    return this.building;
  }

  /**
   * Whether the image is in Docker and was built from this recipe (its label `agentdesk.<id>.recipe` =
   * {@link recipeHash}); an image of an older recipe counts as missing, so an updated recipe is built in
   * (Docker's layer cache keeps that rebuild to the changed layers).
   */
  async present(): Promise<boolean> {
    try {
      const info = await this.d.docker().getImage(this.ref).inspect();
      return info.Config?.Labels?.[recipeLabel(this.id)] === this.recipeHash();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  private get id(): string {
    return this.d.harness.manifest.id;
  }

  private get recipe(): NpmImageRecipe {
    return this.d.harness.image;
  }

  /**
   * SHA-256 (hex) of the base image it builds FROM and of the recipe files (base name, then content) in
   * their order. @throws when one is missing.
   */
  recipeHash(): string {
    const h = crypto.createHash('sha256').update(BASE_IMAGE_REF);
    for (const f of this.recipe.files)
      h.update(path.basename(f)).update(fs.readFileSync(path.join(this.d.harness.dir, f)));
    return h.digest('hex');
  }

  private async buildNow(onProgress: (fraction: number | null, message: string) => void): Promise<void> {
    if (await this.present()) return; // another process built it while we waited for the lock
    onProgress(0, 'Checking the base image');
    await this.d.ensureBase((f, m) => onProgress(0.3 * (f ?? 0), m));
    const dir = path.join(this.d.cacheDir, `${this.id}-${this.recipe.version}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of this.recipe.files)
      fs.copyFileSync(path.join(this.d.harness.dir, f), path.join(dir, path.basename(f)));
    await this.install(dir, onProgress);
    await this.dockerBuild(dir, onProgress);
    onProgress(1, `Built ${this.ref}`);
  }

  /** "OpenClaw 2026.9.6": the harness and its pinned version, for messages. */
  private get what(): string {
    return `${this.d.harness.manifest.label} ${this.recipe.version}`;
  }

  /** `npm ci --ignore-scripts` unless `<dir>/.installed` names the SHA-256 of this package-lock.json. */
  private async install(
    dir: string,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> {
    const lock = fs.readFileSync(path.join(dir, 'package-lock.json'));
    const sum = crypto.createHash('sha256').update(lock).digest('hex');
    const marker = path.join(dir, '.installed');
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === sum) {
      onProgress(0.4, `Using the installed ${this.what}`);
      return;
    }
    onProgress(0.32, `Installing ${this.what} with npm (${this.recipe.size})`);
    const offline = this.d.offline === true;
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
        `Installing ${this.what} with npm failed: ${detail}. Check that npm is installed and the npm registry is reachable, or copy a saved npm cache into ${path.join(this.d.cacheDir, 'npm-cache')}`,
      );
    }
    fs.writeFileSync(marker, `${sum}\n`);
    onProgress(0.45, `Installed ${this.what}`);
  }

  private async dockerBuild(
    dir: string,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> {
    const docker = this.d.docker();
    // An uncompressed tar from the system's tar (hundreds of MB: gzip would cost a minute of CPU for nothing).
    const entries = [
      ...this.recipe.files.map((f) => path.basename(f)).filter((f) => !NPM_ONLY.has(f)),
      ...this.recipe.context,
    ];
    const tar = spawn('tar', ['-C', dir, '-cf', '-', ...entries], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tarError = '';
    tar.stderr.setEncoding('utf8').on('data', (c: string) => (tarError = (tarError + c).slice(-2000)));
    const context = tar.stdout;
    onProgress(0.5, `Building ${this.ref} from ${BASE_IMAGE_REF}`);
    const stream = await docker.buildImage(context, {
      t: this.ref,
      buildargs: { ...this.recipe.buildArgs, BASE_IMAGE: BASE_IMAGE_REF },
      labels: { 'agentdesk.managed': 'true', [recipeLabel(this.id)]: this.recipeHash() },
      rm: true,
      forcerm: true,
      // The RUN steps need no network (everything was installed on the host): none, and no dependency on docker0.
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
            this.d.log.debug({ line, harness: this.id }, 'harness image build');
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
    this.d.log.info({ ref: this.ref, harness: this.id }, 'harness image built');
  }

  /**
   * Runs `work` holding `<cacheDir>/.<id>-build.lock` (mkdir is atomic; the `owner` file names the pid;
   * a lock whose process is gone is taken over). Waits up to 30 min.
   */
  private locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = path.join(this.d.cacheDir, `.${this.id}-build.lock`);
    return withDirLock(lock, work, {
      waitMs: 30 * 60_000,
      timeout: (pid) =>
        new AppError('UNAVAILABLE', `${lock} is held by process ${pid}; remove it if no build runs`),
    });
  }
}
