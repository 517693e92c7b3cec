// The base image's manifest.json (written by scripts/images/build-base-rootfs.sh) and its `[image]` progress lines.
import { z } from 'zod';
import { AppError } from '../../../contract/errors';

/** The image every agent container starts from. Docker tag and Incus alias alike. */
export const BASE_IMAGE_REF = 'agentdesk/agent-base:2';
/** Version of the recipe; a cached rootfs or an export of another version is never used. */
export const BASE_IMAGE_VERSION = 2;
/**
 * SHA-256 of the recipe of {@link BASE_IMAGE_VERSION} (`build-base-rootfs.sh` then `agentdesk-init`, as
 * they are in scripts/images). A unit test fails when the recipe changes without a new version (and
 * so a new ref): engines and caches hold images by ref, so only a new ref rebuilds them. An edit of
 * comments in `build-base-rootfs.sh` alone (a file that is run, not copied into the image) changes the
 * hash but not the image: then only the hash is updated, as it was once for comments citing docs/.
 */
export const BASE_RECIPE_SHA256 = '312d85e3dbe33de35e76d9c451ffaccc8f9883a5b35db47a91198009250c2ece';

/** The files of a built rootfs (all in one folder), in the order an export holds them. */
export const IMAGE_FILES = ['manifest.json', 'rootfs.tar', 'metadata.tar.gz'] as const;

const FileEntry = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
  bytes: z.number().int().nonnegative(),
});

/** Shape of manifest.json: what was built, when, and the SHA-256 and size (bytes) of both tarballs. */
export const ImageManifestSchema = z.object({
  ref: z.string().min(1),
  version: z.number().int().positive(),
  node_version: z.string().regex(/^v\d+\.\d+\.\d+$/, 'a Node version like v22.23.3'),
  debian_release: z.string().optional(),
  architecture: z.string().optional(),
  /** ISO 8601 UTC. */
  created_at: z.string().min(1),
  files: z.object({
    'rootfs.tar': FileEntry,
    'metadata.tar.gz': FileEntry,
  }),
});

export type ImageManifest = z.infer<typeof ImageManifestSchema>;

/**
 * Parses and checks a manifest against what this app needs (ref {@link BASE_IMAGE_REF}, version
 * {@link BASE_IMAGE_VERSION}).
 * @param text the manifest.json text.
 * @param source where it came from, for the message (e.g. `/tmp/export.tar`).
 * @throws AppError INVALID_INPUT naming the source, what is wrong and what was expected.
 */
export function validateManifest(text: string, source: string): ImageManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      `${source}: manifest.json is not JSON; expected the manifest of ${BASE_IMAGE_REF} written by Agent Desk`,
      { expected: { ref: BASE_IMAGE_REF, version: BASE_IMAGE_VERSION } },
    );
  }
  const parsed = ImageManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? issue.path.join('.') : '(root)';
    throw new AppError(
      'INVALID_INPUT',
      `${source}: manifest.json field ${at} is invalid (${issue.message}); expected the manifest of ${BASE_IMAGE_REF} written by Agent Desk`,
      { path: at, expected: { ref: BASE_IMAGE_REF, version: BASE_IMAGE_VERSION } },
    );
  }
  const m = parsed.data;
  if (m.ref !== BASE_IMAGE_REF || m.version !== BASE_IMAGE_VERSION) {
    throw new AppError(
      'INVALID_INPUT',
      `${source} holds ${m.ref} version ${m.version}; this Agent Desk needs ${BASE_IMAGE_REF} version ${BASE_IMAGE_VERSION}`,
      {
        found: { ref: m.ref, version: m.version },
        expected: { ref: BASE_IMAGE_REF, version: BASE_IMAGE_VERSION },
      },
    );
  }
  return m;
}

/** One progress line of the build script. `fraction` is the share of steps done before this one (0–1). */
export interface BuildStep {
  step: number;
  total: number;
  fraction: number;
  message: string;
}

const PROGRESS_LINE = /^\[image\] (\d+)\/(\d+) (.+)$/;

/**
 * Parses `[image] <step>/<total> <what>` (1 ≤ step ≤ total); any other line → null.
 * The fraction is `(step - 1) / total`: a step is announced when it begins.
 */
export function parseProgressLine(line: string): BuildStep | null {
  const m = PROGRESS_LINE.exec(line.trim());
  if (!m) return null;
  const step = Number(m[1]);
  const total = Number(m[2]);
  if (!(total >= 1 && step >= 1 && step <= total)) return null;
  return { step, total, fraction: (step - 1) / total, message: m[3]!.trim() };
}
