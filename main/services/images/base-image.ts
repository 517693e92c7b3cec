// The base image agentdesk/agent-base:2: presence per runtime, offline build, import into Docker and Incus, export/import.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import { RUNTIME_KINDS } from '../runtimes/container-runtime';
import type { Runtimes } from '../runtimes/runtimes';
import { readExport, readRootfs, writeExport } from './image-archive';
import type { RootfsFiles } from './image-archive';
import { BASE_IMAGE_REF, BASE_IMAGE_VERSION } from './image-manifest';
import { buildRootfs } from './rootfs-build';

export { BASE_IMAGE_REF, BASE_IMAGE_VERSION } from './image-manifest';
export { ImageError } from './rootfs-build';

/**
 * `docker import --change` lines of the base image: the init is PID 1 (it runs the agent runtime or
 * the container's command), the workspace is the working directory.
 */
export const DOCKER_CHANGES: readonly string[] = [
  'ENTRYPOINT ["/usr/local/bin/agentdesk-init"]',
  'WORKDIR /home/agent/workspace',
  'ENV PATH=/usr/local/bin:/usr/bin:/bin',
];

/** A step of a build or import, for a progress bar. `fraction` 0–1 or null when unknown. */
export interface ImageProgress {
  kind: RuntimeKind | 'rootfs';
  fraction: number | null;
  message: string;
}

/** Where a caller hears the progress of its own build, import or export. */
export interface ImageJobOptions {
  /** Progress of this job only (a build joined by a second caller reports to both callers). */
  onProgress?: (p: ImageProgress) => void;
}

/** Reports one step of the job that runs it. */
type Report = (kind: ImageProgress['kind'], fraction: number | null, message: string) => void;

interface Job {
  kinds: Set<RuntimeKind>;
  joinable: boolean;
  promise: Promise<void>;
  /** The callers' progress callbacks (a joined build adds its caller's). */
  listeners: ((p: ImageProgress) => void)[];
}

/** Constructor dependencies of {@link ImageService}. */
export interface ImageServiceDeps {
  /** The core's runtimes; images are built into the local engines. */
  runtimes: Runtimes;
  /** Folder of the recipe (build-base-rootfs.sh, agentdesk-init). */
  scriptsDir: string;
  /** Build cache: `<cacheDir>/agent-base-<version>/` (the built rootfs) and `<cacheDir>/downloads/`. */
  cacheDir: string;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** The core's environment, passed on to the rootfs build (PATH, proxies, the Debian mirror). */
  env: Readonly<NodeJS.ProcessEnv>;
  /**
   * The reference images are imported as and looked up by; default {@link BASE_IMAGE_REF}. Tests pass
   * a unique one so they never replace or remove the image other tests use. Exports and their
   * manifests always name {@link BASE_IMAGE_REF}.
   */
  ref?: string;
  /** Progress of every job, besides each caller's own `onProgress`. */
  onProgress?: (p: ImageProgress) => void;
}

/** What {@link ImageService.status} answers for one runtime. */
export interface ImageStatus {
  ref: string;
  present: boolean;
  /** True while a build or import into this runtime is running. */
  building: boolean;
}

/**
 * The base image service. Builds the rootfs offline with
 * scripts/images/build-base-rootfs.sh (root + debootstrap; reused from the cache when its manifest
 * matches {@link BASE_IMAGE_VERSION}), imports it into each runtime as {@link BASE_IMAGE_REF}, and
 * moves it between machines as one tar. One build or import runs at a time. The constructor does no I/O.
 * Errors: AppError — INVALID_INPUT (unknown runtime kind, bad export file), UNAVAILABLE (runtime not
 * configured, not root, no debootstrap; `details.hint` says what to do), INTERNAL (build failed);
 * runtime errors (RuntimeUnavailableError …) from the drivers pass through.
 */
export class ImageService {
  /** Queued and running jobs, oldest first. */
  private jobs: Job[] = [];
  private tail: Promise<void> = Promise.resolve();

  private readonly ref: string;

  constructor(private readonly deps: ImageServiceDeps) {
    this.ref = deps.ref ?? BASE_IMAGE_REF;
  }

  /** Folder of the cached rootfs of this version. */
  get rootfsDir(): string {
    return path.join(this.deps.cacheDir, `agent-base-${BASE_IMAGE_VERSION}`);
  }

  /**
   * Whether the image ({@link BASE_IMAGE_REF} unless `deps.ref`) is in the runtime `kind`.
   * @throws AppError INVALID_INPUT / UNAVAILABLE for an unknown or unconfigured kind; driver errors.
   */
  async status(kind: RuntimeKind): Promise<ImageStatus> {
    const runtime = this.runtime(kind);
    const building = this.jobs.some((j) => j.kinds.has(kind));
    return { ref: this.ref, present: await runtime.imagePresent(this.ref), building };
  }

  /**
   * Builds the rootfs (or reuses the cached one) and imports it into each runtime of `kinds`,
   * replacing an image of the same ref. A call while another build runs for the same kinds returns
   * the same promise (and `opts.onProgress` hears that build); for other kinds it runs after it.
   * `opts.onProgress` hears this build's progress only, never another's.
   * @throws see the class doc.
   */
  build(kinds: readonly RuntimeKind[], opts: ImageJobOptions = {}): Promise<void> {
    const bad = this.checkKinds(kinds);
    if (bad) return Promise.reject(bad);
    return this.exclusive(kinds, true, opts, async (report) => {
      const built = await this.ensureRootfs(report);
      await this.importInto(built, kinds, report);
    });
  }

  /**
   * Writes one tar at `file` (manifest.json, rootfs.tar, metadata.tar.gz), building the rootfs first
   * when the cache has none.
   * @throws AppError INVALID_INPUT when `file` exists (file or link), its folder does not, or another
   *   user could change that folder (image-file.ts `createExportFile`); see {@link build}.
   */
  exportTo(file: string, opts: ImageJobOptions = {}): Promise<void> {
    return this.exclusive([], false, opts, async (report) => {
      const built = await this.ensureRootfs(report);
      await writeExport(built, file);
      this.deps.log.info({ file }, 'base image exported');
    });
  }

  /**
   * Imports an export written by {@link exportTo} into each runtime of `kinds`, after checking its
   * manifest (ref and version) and SHA-256 sums. When the cache holds no rootfs it keeps this one.
   * @throws AppError INVALID_INPUT when `file` is a link, a FIFO, a device or not a regular file, naming
   *   what the file holds and what was expected; driver errors.
   */
  importFrom(file: string, kinds: readonly RuntimeKind[], opts: ImageJobOptions = {}): Promise<void> {
    const bad = this.checkKinds(kinds);
    if (bad) return Promise.reject(bad);
    return this.exclusive(kinds, false, opts, async (report) => {
      fs.mkdirSync(this.deps.cacheDir, { recursive: true });
      const tmp = path.join(this.deps.cacheDir, `.import-${crypto.randomBytes(6).toString('hex')}`);
      try {
        report('rootfs', null, `Reading ${path.basename(file)}`);
        const unpacked = await readExport(file, tmp);
        report('rootfs', 1, 'Image file checked');
        let built = unpacked;
        if (!(await readRootfs(this.rootfsDir))) {
          fs.rmSync(this.rootfsDir, { recursive: true, force: true });
          fs.renameSync(tmp, this.rootfsDir);
          built = (await readRootfs(this.rootfsDir))!;
        }
        await this.importInto(built, kinds, report);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }

  /**
   * Sends the image to `runtime`, a named engine's (not one of {@link Runtimes}): the cached rootfs
   * (built first when missing) imported there with progress, replacing an image of the same ref (a
   * remote Incus skips the upload when it holds the same fingerprint). Queued like {@link build}.
   * @throws see the class doc; the runtime's errors.
   */
  sendTo(runtime: ContainerRuntime, label: string, opts: ImageJobOptions = {}): Promise<void> {
    return this.exclusive([], false, opts, async (report) => {
      const built = await this.ensureRootfs(report);
      report(runtime.kind, 0, `Sending ${this.ref} to ${label}`);
      await runtime.importImage(
        this.ref,
        { rootfs: built.rootfs, incusMetadata: built.metadata, dockerChanges: [...DOCKER_CHANGES] },
        (p) => report(runtime.kind, p.fraction, p.message),
      );
      this.deps.log.info(
        { engine: label, kind: runtime.kind, ref: this.ref },
        'base image sent to an engine',
      );
    });
  }

  /**
   * Runs `work` after every job queued before it (one build/import/export at a time). A build whose
   * kinds are covered by a queued or running build joins that one instead (its caller hears its progress).
   */
  private exclusive(
    kinds: readonly RuntimeKind[],
    joinable: boolean,
    opts: ImageJobOptions,
    work: (report: Report) => Promise<void>,
  ): Promise<void> {
    const wanted = new Set(kinds);
    if (joinable) {
      const same = this.jobs.find((j) => j.joinable && [...wanted].every((k) => j.kinds.has(k)));
      if (same) {
        if (opts.onProgress) same.listeners.push(opts.onProgress);
        return same.promise;
      }
    }
    const previous = this.tail;
    const job: Job = {
      kinds: wanted,
      joinable,
      promise: Promise.resolve(),
      listeners: opts.onProgress ? [opts.onProgress] : [],
    };
    const report: Report = (kind, fraction, message) => {
      const p: ImageProgress = { kind, fraction, message };
      this.deps.onProgress?.(p);
      for (const l of job.listeners) l(p);
    };
    job.promise = previous
      .then(() => work(report))
      .finally(() => {
        this.jobs = this.jobs.filter((j) => j !== job);
      });
    this.jobs.push(job);
    this.tail = job.promise.catch(() => undefined);
    return job.promise;
  }

  /** The cached rootfs, built first when missing or of another version. */
  private async ensureRootfs(report: Report): Promise<RootfsFiles> {
    const cached = await readRootfs(this.rootfsDir);
    if (cached) {
      this.deps.log.info(
        { dir: this.rootfsDir, created_at: cached.manifest.created_at },
        'reusing cached rootfs',
      );
      report('rootfs', 1, 'Using the cached rootfs');
      return cached;
    }
    this.deps.log.info({ dir: this.rootfsDir }, 'building base rootfs');
    await buildRootfs({
      scriptsDir: this.deps.scriptsDir,
      outDir: this.rootfsDir,
      downloadsDir: path.join(this.deps.cacheDir, 'downloads'),
      env: this.deps.env,
      onStep: (fraction, message) => report('rootfs', fraction, message),
      onLine: (line) => this.deps.log.debug({ line }, 'image build'),
    });
    const built = await readRootfs(this.rootfsDir);
    if (!built)
      throw new AppError(
        'INTERNAL',
        `The image build finished but ${this.rootfsDir}/manifest.json is missing or does not match its files`,
      );
    return built;
  }

  private async importInto(built: RootfsFiles, kinds: readonly RuntimeKind[], report: Report): Promise<void> {
    for (const kind of kinds) {
      const runtime = this.runtime(kind);
      report(kind, 0, `Importing ${this.ref} into ${kind}`);
      await runtime.importImage(
        this.ref,
        { rootfs: built.rootfs, incusMetadata: built.metadata, dockerChanges: [...DOCKER_CHANGES] },
        (p) => report(kind, p.fraction, p.message),
      );
      this.deps.log.info({ kind, ref: this.ref, node: built.manifest.node_version }, 'base image imported');
    }
  }

  /** The error for the first unknown or unconfigured kind, or null. */
  private checkKinds(kinds: readonly RuntimeKind[]): Error | null {
    try {
      kinds.forEach((k) => this.runtime(k));
      return null;
    } catch (err) {
      return err as Error;
    }
  }

  private runtime(kind: RuntimeKind): ContainerRuntime {
    if (!RUNTIME_KINDS.includes(kind))
      throw new AppError(
        'INVALID_INPUT',
        `Unknown runtime "${String(kind)}"; valid: ${RUNTIME_KINDS.join(', ')}`,
      );
    const runtime = this.deps.runtimes.get(kind);
    if (!runtime)
      throw new AppError('UNAVAILABLE', `The ${kind} runtime is not configured in this Agent Desk`);
    return runtime;
  }
}
