// The images of harnesses that have their own (built FROM the base image from npm packages): presence, build, status.
import type Dockerode from 'dockerode';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { RuntimeKind } from '../runtimes/container-runtime';
import type { Harness } from './harness';
import { NpmImageBuilder } from './npm-image';

/** What {@link HarnessImages} needs. */
export interface HarnessImagesDeps {
  /** The Docker engine's client (the Docker runtime's endpoint). */
  docker: () => Dockerode;
  /** The image cache (`<data>/images` unless configured otherwise). */
  cacheDir: string;
  /** Makes sure the base image is in Docker (builds it when missing). */
  ensureBase: () => Promise<void>;
  /** Progress of a build (`step` = the harness id), for `images.progress`. */
  onProgress: (step: string, fraction: number | null, message: string) => void;
  log: Logger;
  /** Downloads forbidden (`AGENTDESK_OFFLINE=1`): npm installs from its cache only. */
  offline?: boolean;
}

/** One harness image as `images.status` shows it. */
export interface HarnessImageState {
  harness: string;
  runtime: RuntimeKind;
  ref: string;
  /** `null` when the engine could not be asked (detail says why). */
  present: boolean | null;
  building: boolean;
  detail: string;
}

/**
 * Builds and checks the images of harnesses with an image recipe (the plugin's `image`), one builder per
 * harness, made on first use. These images are built with Docker and exist there only: a harness with
 * its own image lists Docker alone among its engines.
 */
export class HarnessImages {
  private readonly builders = new Map<string, NpmImageBuilder>();
  private readonly building = new Map<string, string>();

  constructor(private readonly d: HarnessImagesDeps) {}

  private builder(h: Harness & { image: NonNullable<Harness['image']> }): NpmImageBuilder {
    let b = this.builders.get(h.manifest.id);
    if (!b) {
      b = new NpmImageBuilder({
        docker: this.d.docker,
        harness: h,
        cacheDir: this.d.cacheDir,
        ensureBase: this.d.ensureBase,
        ...(this.d.offline !== undefined ? { offline: this.d.offline } : {}),
        log: this.d.log.child({ harness: h.manifest.id }),
      });
      this.builders.set(h.manifest.id, b);
    }
    return b;
  }

  /** Whether `h`'s own image (built from this recipe) is in `kind`; false on an engine it is not built for. */
  async present(kind: RuntimeKind, h: Harness): Promise<boolean> {
    if (!h.image || kind !== 'docker') return false;
    return this.builder({ ...h, image: h.image }).present();
  }

  /**
   * Builds `h`'s image in Docker (joined by a build already running); progress goes to `onProgress` and
   * to the `images.progress` step named after the harness.
   * @throws AppError INVALID_INPUT for a harness without an image of its own; UNAVAILABLE for another
   *   engine than Docker, or npm failing; INTERNAL when the Docker build fails.
   */
  async build(
    kind: RuntimeKind,
    h: Harness,
    onProgress: (fraction: number | null, message: string) => void = () => {},
  ): Promise<void> {
    const id = h.manifest.id;
    if (!h.image)
      throw new AppError(
        'INVALID_INPUT',
        `harness: ${id} runs on the base image and has no image of its own`,
      );
    if (kind !== 'docker')
      throw new AppError(
        'UNAVAILABLE',
        `The ${h.manifest.label} image is built with Docker only; ${id} runs on: ${h.manifest.engines.join(', ')}`,
      );
    this.building.set(id, 'starting');
    try {
      await this.builder({ ...h, image: h.image }).build((fraction, message) => {
        this.building.set(id, message);
        this.d.onProgress(id, fraction, message);
        onProgress(fraction, message);
      });
    } finally {
      this.building.delete(id);
    }
  }

  /** The state of each harness image in the engines it is built for. */
  async status(harnesses: Harness[]): Promise<HarnessImageState[]> {
    const out: HarnessImageState[] = [];
    for (const h of harnesses) {
      if (!h.image) continue;
      const id = h.manifest.id;
      const building = this.building.get(id);
      try {
        const present = await this.present('docker', h);
        out.push({
          harness: id,
          runtime: 'docker',
          ref: h.manifest.image,
          present,
          building: building !== undefined,
          detail: building ?? (present ? 'present' : 'missing'),
        });
      } catch (err) {
        out.push({
          harness: id,
          runtime: 'docker',
          ref: h.manifest.image,
          present: null,
          building: building !== undefined,
          detail: (err as Error).message,
        });
      }
    }
    return out;
  }
}
