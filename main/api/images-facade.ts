// What the `images` handlers need from the images (implemented by `Images`, main/services/images/images.ts).
import type { z } from 'zod';
import type { ImagesStatus } from '../../contract/agents';
import type { RuntimeKind } from '../services/runtimes/container-runtime';

type Status = z.infer<typeof ImagesStatus>;

/** The images as the `images` group sees them. Errors: AppError (UNAVAILABLE, INVALID_INPUT, CONFLICT). */
export interface ImagesFacade {
  /** Presence per runtime (base image and harness images); a runtime that cannot be asked answers `present: null` with why. */
  status(): Promise<Status>;
  /**
   * Starts building (minutes) the base image into `runtimes` (default: every reachable one), or with
   * `harness` that harness's own image; answers the status once started.
   */
  build(runtimes?: RuntimeKind[], harness?: string): Promise<Status>;
  /** Writes the image to `file`; answers its size in bytes. */
  exportTo(file: string): Promise<{ file: string; bytes: number }>;
  /** Imports from a tarball written by {@link exportTo}. */
  importFrom(file: string, runtimes?: RuntimeKind[]): Promise<Status>;
}
