// The images as the app uses them: the base image and harness images together, their status, builds started in the background, export and import.
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import type { z } from 'zod';
import type { ImagesStatus } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { Harness } from '../harnesses/harness';
import { HarnessImages } from '../harnesses/harness-images';
import type { HarnessRegistry } from '../harnesses/registry';
import type { ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import { RUNTIME_KINDS } from '../runtimes/container-runtime';
import type { Runtimes } from '../runtimes/runtimes';
import { DockerRuntime } from '../runtimes/docker/docker-runtime';
import { BASE_IMAGE_REF, ImageService } from './base-image';
import type { ImageProgress } from './base-image';

type Status = z.infer<typeof ImagesStatus>;

/** One step of an image build or import, as `images.progress` carries it (`step`: runtime kind, `rootfs` or harness id). */
export interface ImagesProgressEvent {
  step: string;
  fraction: number | null;
  message: string;
}

/** What {@link Images} needs. */
export interface ImagesDeps {
  /** The core's runtimes; images are built into the local engines. */
  runtimes: Runtimes;
  /** The Docker engine's client, made on first use (harness images are built with Docker). */
  docker: () => Dockerode;
  /** Folder of the base image recipe (build-base-rootfs.sh, agentdesk-init, egress-helper/). */
  scriptsDir: string;
  /** The image build cache (`<data>/images` unless configured otherwise). */
  cacheDir: string;
  harnesses: HarnessRegistry;
  /** Whether agents may build a missing image when they start (the `build_images_on_demand` setting). */
  buildOnDemand: () => boolean;
  /** Where the progress of every build, import and export goes (the `images.progress` event). */
  onProgress: (p: ImagesProgressEvent) => void;
  log: Logger;
  /** Downloads forbidden while building (`AGENTDESK_OFFLINE=1`). */
  offline?: boolean;
  /** The core's environment, passed on to the base image build (PATH, proxies, the Debian mirror). */
  env: Readonly<NodeJS.ProcessEnv>;
  /** How long a build is awaited before it is left running in the background, in ms (default 500). */
  startWaitMs?: number;
}

/** The image an agent needs: presence and a build on demand (what the deployer asks). */
export interface AgentImages {
  /** Whether the harness's image (the base image, or its own built FROM it) is in the engine. */
  present(kind: RuntimeKind, harness: Harness): Promise<boolean>;
  /** Builds the harness's image into `kind`; `null` when building on demand is turned off. */
  build(
    kind: RuntimeKind,
    onProgress: (fraction: number | null, message: string) => void,
    harness: Harness,
  ): Promise<void> | null;
  /**
   * Sends the harness's image to a named engine's runtime `rt` (built here first when missing; exported
   * here, loaded there, with progress). Absent in builds that cannot; `null` when building on demand is off.
   */
  sendTo?(
    engine: string,
    rt: ContainerRuntime,
    harness: Harness,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> | null;
}

/**
 * The base image ({@link ImageService}) and the images of harnesses ({@link HarnessImages}) behind one
 * object: the `images` group's status, build, export and import, and what agents need. A build asked by
 * the `images` group is awaited briefly (refusals that come at once are thrown) and then left running;
 * its progress goes to `onProgress`. The constructor does no I/O.
 * Errors: AppError — INVALID_INPUT (unknown harness, harness without an image of its own, wrong engine),
 * UNAVAILABLE (no engine reachable, recipe missing, no recipe for an image), NOT_FOUND (import file missing).
 */
export class Images {
  /** The base image service. */
  readonly base: ImageService;
  /** The images of harnesses with one of their own. */
  readonly harnessImages: HarnessImages;
  /** What the deployer needs of images. */
  readonly forAgents: AgentImages;

  constructor(private readonly d: ImagesDeps) {
    this.base = new ImageService({
      runtimes: d.runtimes,
      scriptsDir: d.scriptsDir,
      cacheDir: d.cacheDir,
      env: d.env,
      log: d.log,
    });
    this.harnessImages = new HarnessImages({
      docker: d.docker,
      cacheDir: d.cacheDir,
      ensureBase: () => this.ensureBase(),
      onProgress: (step, fraction, message) => d.onProgress({ step, fraction, message }),
      ...(d.offline !== undefined ? { offline: d.offline } : {}),
      log: d.log,
    });
    this.forAgents = {
      present: (kind, h) => this.present(kind, h),
      build: (kind, onProgress, h) => this.buildFor(kind, h, onProgress),
      sendTo: (engine, rt, h, onProgress) => this.sendTo(engine, rt, h, onProgress),
    };
  }

  /** Makes sure the base image is in Docker (builds it when missing; progress to `onProgress`). */
  async ensureBase(): Promise<void> {
    if (!(await this.base.status('docker')).present)
      await this.base.build(['docker'], { onProgress: (p) => this.emit(p) });
  }

  /** Presence per runtime (base image and harness images); a runtime that cannot be asked answers `present: null` with why. */
  async status(): Promise<Status> {
    const images = await Promise.all(
      RUNTIME_KINDS.map(async (kind) => {
        try {
          const st = await this.base.status(kind);
          return {
            runtime: kind,
            harness: null,
            ref: st.ref,
            present: st.present,
            building: st.building,
            detail: st.present ? 'present' : 'missing',
          };
        } catch (err) {
          return {
            runtime: kind,
            harness: null,
            ref: BASE_IMAGE_REF,
            present: null,
            building: false,
            detail: (err as Error).message,
          };
        }
      }),
    );
    return { images: [...images, ...(await this.harnessImages.status(this.d.harnesses.list()))] };
  }

  /**
   * Starts building (minutes) the base image into `wanted` (default: every reachable runtime), or with
   * `harnessId` that harness's own image; answers the status once started.
   * @throws AppError INVALID_INPUT / UNAVAILABLE (see the class doc), and refusals a build meets at once.
   */
  async build(wanted?: RuntimeKind[], harnessId?: string): Promise<Status> {
    if (harnessId !== undefined) {
      const h = this.d.harnesses.get(harnessId);
      if (!h)
        throw new AppError(
          'INVALID_INPUT',
          `harness: "${harnessId}" is not a harness; valid: ${this.d.harnesses.ids().join(', ')}`,
        );
      if (!h.image)
        throw new AppError(
          'INVALID_INPUT',
          `harness: ${harnessId} runs on the base image ${BASE_IMAGE_REF}; build that with \`agentdesk images build\``,
        );
      const other = wanted?.find((k) => k !== 'docker');
      if (other)
        throw new AppError(
          'INVALID_INPUT',
          `runtimes: the ${h.manifest.label} image is built for docker only, not ${other}`,
        );
      await this.started(this.harnessImages.build('docker', h));
      return this.status();
    }
    const kinds = await this.reachable(wanted);
    if (!fs.existsSync(this.d.scriptsDir))
      throw new AppError(
        'UNAVAILABLE',
        `The image recipe is missing (${this.d.scriptsDir}); reinstall Agent Desk`,
      );
    // Refusals (not root, no debootstrap) come at once; a real build takes minutes and reports by event.
    await this.started(this.base.build(kinds, { onProgress: (p) => this.emit(p) }));
    return this.status();
  }

  /** Writes the base image to `file`; answers its size in bytes. @throws see {@link ImageService.exportTo}. */
  async exportTo(file: string): Promise<{ file: string; bytes: number }> {
    await this.base.exportTo(file, { onProgress: (p) => this.emit(p) });
    return { file, bytes: fs.statSync(file).size };
  }

  /** Imports a tarball written by {@link exportTo} into `wanted` (default: every reachable runtime). @throws AppError NOT_FOUND */
  async importFrom(file: string, wanted?: RuntimeKind[]): Promise<Status> {
    if (!fs.existsSync(file)) throw new AppError('NOT_FOUND', `No file at ${file}`);
    await this.base.importFrom(file, await this.reachable(wanted), { onProgress: (p) => this.emit(p) });
    return this.status();
  }

  /** Whether the harness's image (the base image, or its own built FROM it) is in the engine `kind`. */
  async present(kind: RuntimeKind, h: Harness): Promise<boolean> {
    if (h.image) return this.harnessImages.present(kind, h);
    if (h.manifest.image === BASE_IMAGE_REF) return (await this.base.status(kind)).present;
    return (await this.d.runtimes.get(kind)?.imagePresent(h.manifest.image)) ?? false;
  }

  /**
   * Builds the harness's image into `kind` for an agent that needs it; its progress goes to `onProgress`
   * (this build's only) and to the `images.progress` event. `null` when building on demand is turned off.
   * The promise rejects with AppError UNAVAILABLE for an image Agent Desk has no recipe for.
   */
  buildFor(
    kind: RuntimeKind,
    h: Harness,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> | null {
    if (!this.d.buildOnDemand()) return null;
    if (h.image) return this.harnessImages.build(kind, h, onProgress);
    if (h.manifest.image !== BASE_IMAGE_REF)
      return Promise.reject(
        new AppError(
          'UNAVAILABLE',
          `Agent Desk has no recipe for ${h.manifest.image} (the image of ${h.manifest.label}); import it into ${kind} yourself`,
        ),
      );
    return this.base.build([kind], {
      onProgress: (p) => {
        this.emit(p);
        onProgress(p.fraction, p.message);
      },
    });
  }

  /**
   * Sends the harness's image to the named engine `engine` (runtime `rt`) for an agent that needs it;
   * progress to `onProgress`.
   * - Docker: built into this machine's Docker first when missing (if building on demand is on), then
   *   exported here and loaded there, progress in bytes sent. `null` when the image is missing here and
   *   building on demand is off.
   * - Incus: the base image from the local image files (the cached rootfs, built first when missing;
   *   also to the `images.progress` event), uploaded there (skipped when it holds the same fingerprint).
   *   `null` when building on demand is off.
   * @throws AppError UNAVAILABLE when this machine has no Docker to send from, or for an image that
   *   cannot be sent to Incus this way (a harness's own image, an image Agent Desk has no recipe for);
   *   the engines' errors.
   */
  sendTo(
    engine: string,
    rt: ContainerRuntime,
    h: Harness,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> | null {
    if (rt.kind === 'incus') return this.sendToIncus(engine, rt, h, onProgress);
    if (rt.kind !== 'docker' || !(rt instanceof DockerRuntime))
      return Promise.reject(
        new AppError('UNAVAILABLE', `Images are not sent to ${rt.kind} engines this way`),
      );
    const local = this.d.runtimes.get('docker');
    if (!(local instanceof DockerRuntime))
      return Promise.reject(
        new AppError('UNAVAILABLE', `This machine has no Docker engine to send ${h.manifest.image} from`),
      );
    return (async () => {
      if (!(await this.present('docker', h))) {
        const building = this.buildFor('docker', h, (f, m) => onProgress(f === null ? null : f * 0.5, m));
        if (!building)
          throw new AppError(
            'UNAVAILABLE',
            `${h.manifest.image} is neither on the engine "${engine}" nor on this machine, and building images on demand is off`,
          );
        await building;
      }
      await local.sendImage(rt, h.manifest.image, (p) =>
        onProgress(
          p.totalBytes ? 0.5 + (0.5 * p.sentBytes) / p.totalBytes : null,
          `Sending ${h.manifest.image} to "${engine}": ${p.message}`,
        ),
      );
    })();
  }

  /** {@link sendTo} for an Incus remote: the base image from the local image files. */
  private sendToIncus(
    engine: string,
    rt: ContainerRuntime,
    h: Harness,
    onProgress: (fraction: number | null, message: string) => void,
  ): Promise<void> | null {
    if (!this.d.buildOnDemand()) return null;
    if (h.image || h.manifest.image !== BASE_IMAGE_REF)
      return Promise.reject(
        new AppError(
          'UNAVAILABLE',
          `${h.manifest.image} (the image of ${h.manifest.label}) cannot be sent to the Incus engine "${engine}" from here yet; load it there yourself`,
        ),
      );
    return this.base.sendTo(rt, engine, {
      onProgress: (p) => {
        this.emit(p);
        onProgress(p.fraction, p.message);
      },
    });
  }

  /** The runtimes to build into: `wanted`, or every reachable one. @throws AppError UNAVAILABLE naming the ones down. */
  private async reachable(wanted?: RuntimeKind[]): Promise<RuntimeKind[]> {
    const st = (await this.status()).images.filter((i) => i.harness === null);
    const kinds = wanted ?? st.filter((i) => i.present !== null).map((i) => i.runtime);
    const down = st.filter((i) => kinds.includes(i.runtime) && i.present === null);
    if (down.length)
      throw new AppError('UNAVAILABLE', down.map((i) => `${i.runtime}: ${i.detail}`).join('; '));
    if (kinds.length === 0) throw new AppError('UNAVAILABLE', 'Neither Docker nor Incus is reachable');
    return kinds;
  }

  /** Waits for a build briefly: refusals that come at once are thrown; a longer build is left running (its failure logged). */
  private async started(building: Promise<void>): Promise<void> {
    const early = await Promise.race([
      building.then(() => 'done' as const),
      new Promise<'running'>((r) => setTimeout(() => r('running'), this.d.startWaitMs ?? 500)),
    ]);
    if (early === 'running')
      building.catch((err: Error) => this.d.log.error({ err: err.message }, 'image build failed'));
  }

  private emit(p: ImageProgress): void {
    this.d.onProgress({ step: p.kind, fraction: p.fraction, message: p.message });
  }
}
