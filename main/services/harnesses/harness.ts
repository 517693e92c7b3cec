// The harness plugin interface: one folder per harness under main/services/harnesses/<id>/ (docs/harnesses.md).
import type { HarnessManifest } from './manifest';

/**
 * How a harness's image is made from npm packages (the plugin's `image`): `npm ci` of its pinned
 * `package-lock.json` on the host (never in a container, never with install scripts), then a Docker
 * build of its Dockerfile FROM the base image. The image ref is the manifest's `image`.
 */
export interface NpmImageRecipe {
  /** The harness package's pinned version (names the build folder `<cacheDir>/<id>-<version>/`). */
  version: string;
  /**
   * Recipe files, relative to the harness's folder, hashed in this order (by base name and content) into
   * the image label and copied into the build folder: `package.json`, `package-lock.json`, `Dockerfile`, …
   */
  files: string[];
  /** What of the build folder goes into the Docker context besides the recipe files (e.g. `node_modules`). */
  context: string[];
  /** Docker build arguments besides `BASE_IMAGE`. */
  buildArgs?: Record<string, string>;
  /** What npm downloads, for the progress message, e.g. "about 300 MB". */
  size: string;
}

/** The agent's gateway endpoint as its harness is configured with it. Holds the virtual key, never a provider key. */
export interface HarnessEndpoint {
  /** The Agent Desk gateway as the container reaches it, without `/v1`, e.g. `http://172.30.0.1:4100`. */
  gateway: string;
  /** The agent's virtual key `sk-agentdesk-…`. */
  virtualKey: string;
  /** The agent's model, `<provider-id>/<model-id>`, as LiteLLM serves it. */
  model: string;
  /** Its fallbacks, same form (the virtual key's scope is the model and these). */
  fallbacks: string[];
}

/**
 * The agent's config folder (`<data>/agents/<id>/config`), host-written and mounted read-only at
 * {@link ConfigFolder.mount} (docs/decisions/010-agent-containment.md): the only place a harness's
 * configuration goes. Writes are atomic, never follow a link, mode 0640 with the agent's group.
 */
export interface ConfigFolder {
  /** Where the container sees it: `/opt/agentdesk/config`. */
  mount: string;
  /**
   * Writes one file (`name`: letters, digits, `.`, `_`, `-`). `ownedByAgent`: 0600 owned by the agent's
   * uid, for programs that read a secret file only when they own it (OpenClaw). @throws Error on a bad name
   * or a file system error.
   */
  write(name: string, content: string, opts?: { ownedByAgent?: boolean }): void;
}

/**
 * One harness, as its folder's `index.ts` exports it (`export const harness: HarnessPlugin`). The registry
 * loads every folder once and validates the manifest; nothing outside the registry names a harness.
 */
export interface HarnessPlugin {
  /** Its `manifest.json`, validated by the registry ({@link HarnessManifest}). */
  manifest: unknown;
  /** Its image, built FROM the base image from npm packages; absent = it runs on the base image itself. */
  image?: NpmImageRecipe;
  /**
   * Writes the harness's own configuration into the agent's config folder and returns the entries it adds
   * to the env file the image's init sources (beside OPENAI_BASE_URL, OPENAI_API_KEY, AGENTDESK_MODEL …).
   * Called at deploy, at restore (new key) and whenever the agent's config is rewritten, while none of the
   * agent's processes runs. Absent = nothing beyond the env file.
   * @throws Error when the endpoint cannot be written (a key that is not a virtual key, a file error).
   */
  configure?(config: ConfigFolder, endpoint: HarnessEndpoint): Record<string, string>;
  /**
   * The folder holding the harness's files (image recipe, in-container adapter). Built-in harnesses leave
   * it out (the registry knows their folder); a harness loaded from elsewhere (tests, authors) names it.
   */
  dir?: string;
}

/** A loaded harness: its validated manifest, its image recipe, its configure step and its folder. */
export interface Harness {
  manifest: HarnessManifest;
  image: NpmImageRecipe | null;
  configure: (config: ConfigFolder, endpoint: HarnessEndpoint) => Record<string, string>;
  /** Absolute path of its folder (recipe files are resolved against it). */
  dir: string;
}
