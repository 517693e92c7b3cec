// Where the app's files are: its own root (resources, built renderer) and the user's data dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Root of the app: the nearest folder above this module holding the `agentdesk` package.json —
 * the repository in development and for `agentdesk serve` from a checkout, `app.asar` when packaged —
 * or `AGENTDESK_APP_ROOT` when set. Found by walking up because the bundler may place this module
 * in a shared chunk (`out/main/chunks/…`) rather than beside the entry.
 * @throws Error when no such package.json is found (a broken install).
 */
export function appRoot(): string {
  if (process.env.AGENTDESK_APP_ROOT) return process.env.AGENTDESK_APP_ROOT;
  cachedRoot ??= findAppRoot(__dirname);
  return cachedRoot;
}

let cachedRoot: string | undefined;

/** Walks up from `start` to the folder whose package.json is named `agentdesk`. */
export function findAppRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'agentdesk') return dir;
    } catch {
      /* no package.json here */
    }
    if (path.dirname(dir) === dir) throw new Error(`Cannot find the Agent Desk app root above ${start}`);
  }
}

/**
 * Folder shipped with the app: LiteLLM requirements, tray icons (harness files: harnessesDir() in main/services/harnesses/registry.ts). `resources/` of the
 * app root in a checkout; `AGENTDESK_RESOURCES_DIR` when set (a packaged app points it at Electron's
 * `process.resourcesPath`, where electron-builder.yml's extraResources put them, outside app.asar).
 */
export function resourcesDir(): string {
  if (process.env.AGENTDESK_RESOURCES_DIR) return process.env.AGENTDESK_RESOURCES_DIR;
  return path.join(appRoot(), 'resources');
}

/**
 * Folder holding the bundled agent runtime `agent-runtime.cjs` (mounted read-only into agent containers):
 * `paths.runtimeDir` (`AGENTDESK_RUNTIME_DIR`, else `out/agent-runtime` of the app root, built by
 * `npm run build`). `null` when the bundle is not there.
 */
export function agentRuntimeDir(paths: Pick<AppPaths, 'runtimeDir'>): string | null {
  const dir = paths.runtimeDir;
  return fs.existsSync(path.join(dir, 'agent-runtime.cjs')) ? dir : null;
}

/**
 * The egress helper program (the helper container's, docs/decisions/009-egress.md):
 * `egress-helper.cjs` in `paths.egressHelperDir` (`AGENTDESK_EGRESS_HELPER_DIR`, else
 * `out/egress-helper` of the app root, built by `npm run build`). The file may be missing; the image
 * build says so.
 */
export function egressHelperFile(paths: Pick<AppPaths, 'egressHelperDir'>): string {
  return path.join(paths.egressHelperDir, 'egress-helper.cjs');
}

/** The built renderer (`out/renderer`), served by `agentdesk serve` and the `app://` protocol. */
export function rendererDir(paths: Pick<AppPaths, 'appRoot'>): string {
  return path.join(paths.appRoot, 'out', 'renderer');
}

/**
 * The default data dir when neither `--home` nor `AGENTDESK_HOME` is given. It matches Electron's
 * `app.getPath('userData')` for an app named `agentdesk` (Electron docs, app.getPath: appData + name),
 * so the desktop app and `agentdesk serve` share one data dir.
 */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'agentdesk');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'agentdesk');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'agentdesk');
}

/** Resolves the data dir: explicit option, then `AGENTDESK_HOME`, then {@link defaultDataDir}. Always absolute. */
export function resolveDataDir(explicit?: string | null, env = process.env): string {
  const chosen = explicit ?? env.AGENTDESK_HOME ?? defaultDataDir(process.platform, env);
  return path.resolve(chosen);
}

/** Fixed names inside the data dir, in one place so every service agrees on them. */
export const dataPaths = {
  db: (home: string) => path.join(home, 'agentdesk.db'),
  control: (home: string) => path.join(home, 'control.json'),
  logs: (home: string) => path.join(home, 'logs'),
  litellm: (home: string) => path.join(home, 'litellm'),
  agents: (home: string) => path.join(home, 'agents'),
  archive: (home: string) => path.join(home, 'archive'),
};

/** Where the app's own files are, resolved once at an entry point ({@link resolveOptions}). */
export interface AppPaths {
  /** The app root ({@link appRoot}; `AGENTDESK_APP_ROOT` when set). */
  appRoot: string;
  /** Shipped files: LiteLLM requirements, tray icons (`AGENTDESK_RESOURCES_DIR`, else `<app root>/resources`). */
  resources: string;
  /** Folder expected to hold `agent-runtime.cjs` (`AGENTDESK_RUNTIME_DIR`, else `<app root>/out/agent-runtime`). */
  runtimeDir: string;
  /** Folder expected to hold `egress-helper.cjs` (`AGENTDESK_EGRESS_HELPER_DIR`, else `<app root>/out/egress-helper`). */
  egressHelperDir: string;
  /** The base image recipe (`AGENTDESK_IMAGE_RECIPE_DIR`, else `<app root>/scripts/images`). */
  imageRecipeDir: string;
  /** Harness manifests and files (`AGENTDESK_HARNESSES_DIR`, else `<app root>/main/services/harnesses`). */
  harnessesDir: string;
  /** The image build cache (`AGENTDESK_IMAGE_CACHE`); `null`: `<data>/images`. */
  imageCache: string | null;
}

/**
 * How the core is configured from outside: the app's paths and the internal `AGENTDESK_*` settings,
 * resolved once from the environment by an entry point (main/index.ts, main/headless.ts, the CLI), so
 * services never read the process environment themselves. docs/development/env.md lists the variables.
 */
export interface AppOptions {
  paths: AppPaths;
  /** `AGENTDESK_LOG_LEVEL`: the level of the core's log; `null`: `info`. */
  logLevel: string | null;
  /** `AGENTDESK_DOCKER_NETWORK`: the agents' Docker bridge; `null`: `agentdesk`. */
  dockerNetwork: string | null;
  /** `AGENTDESK_OFFLINE=1`: image builds download nothing. */
  offline: boolean;
  /**
   * `AGENTDESK_SSH_CONFIG`: an ssh_config file every `ssh` the core runs gets as `-F <file>` (instead of
   * the user's ~/.ssh/config); `null`: ssh's own configuration.
   */
  sshConfigFile: string | null;
  /** `AGENTDESK_FAULT_KILL_AT`, read only when `NODE_ENV` is `test` (fault tests kill the core there). */
  faultKillAt: string | null;
  /**
   * The environment the core was started with, for what services look up by name in it: provider keys
   * (`AGENTDESK_KEY_<ID>`, `key_from_env`), the engines' endpoints (`DOCKER_HOST`, `INCUS_SOCKET` …),
   * proxies and `PATH` passed on to child processes, and the egress and agent settings documented in
   * docs/development/env.md. Services read it, never write it.
   */
  env: Readonly<NodeJS.ProcessEnv>;
}

/** Non-empty value of `name` in `env`, else `null` (an empty value counts as unset). */
function set(env: Readonly<NodeJS.ProcessEnv>, name: string): string | null {
  const v = env[name];
  return v === undefined || v === '' ? null : v;
}

/**
 * Resolves {@link AppOptions} from `env` (an entry point passes `process.env`). `packaged.resources`:
 * the folder electron-builder puts the plain files in beside app.asar (a packaged desktop app); the
 * resources, runtime, egress helper, image recipe and harness folders default to it, and a variable set
 * in `env` still wins.
 * @throws Error when the app root cannot be found (a broken install).
 */
export function resolveOptions(
  env: Readonly<NodeJS.ProcessEnv>,
  packaged?: { resources: string },
): AppOptions {
  const root = () => set(env, 'AGENTDESK_APP_ROOT') ?? (cachedRoot ??= findAppRoot(__dirname));
  const res = packaged?.resources;
  const pick = (name: string, packagedDir: string | undefined, dflt: () => string): string =>
    set(env, name) ?? packagedDir ?? dflt();
  return {
    paths: {
      appRoot: root(),
      resources: pick('AGENTDESK_RESOURCES_DIR', res, () => path.join(root(), 'resources')),
      runtimeDir: pick('AGENTDESK_RUNTIME_DIR', res && path.join(res, 'agent-runtime'), () =>
        path.join(root(), 'out', 'agent-runtime'),
      ),
      egressHelperDir: pick('AGENTDESK_EGRESS_HELPER_DIR', res && path.join(res, 'egress-helper'), () =>
        path.join(root(), 'out', 'egress-helper'),
      ),
      imageRecipeDir: pick('AGENTDESK_IMAGE_RECIPE_DIR', res && path.join(res, 'images'), () =>
        path.join(root(), 'scripts', 'images'),
      ),
      harnessesDir: pick('AGENTDESK_HARNESSES_DIR', res && path.join(res, 'harnesses'), () =>
        path.join(root(), 'main', 'services', 'harnesses'),
      ),
      imageCache: set(env, 'AGENTDESK_IMAGE_CACHE'),
    },
    logLevel: set(env, 'AGENTDESK_LOG_LEVEL'),
    dockerNetwork: set(env, 'AGENTDESK_DOCKER_NETWORK'),
    offline: env.AGENTDESK_OFFLINE === '1',
    sshConfigFile: set(env, 'AGENTDESK_SSH_CONFIG'),
    faultKillAt: env.NODE_ENV === 'test' ? set(env, 'AGENTDESK_FAULT_KILL_AT') : null,
    env,
  };
}
