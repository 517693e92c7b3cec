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
 * `AGENTDESK_RUNTIME_DIR`, else `out/agent-runtime` of the app root (built by `npm run build`).
 * `null` when the bundle is not there.
 */
export function agentRuntimeDir(env = process.env): string | null {
  const dir = env.AGENTDESK_RUNTIME_DIR ?? path.join(appRoot(), 'out', 'agent-runtime');
  return fs.existsSync(path.join(dir, 'agent-runtime.cjs')) ? dir : null;
}

/**
 * The egress helper program (the helper container's, docs/decisions/009-egress.md):
 * `AGENTDESK_EGRESS_HELPER_DIR/egress-helper.cjs`, else `out/egress-helper/egress-helper.cjs` of the app
 * root (built by `npm run build`). The file may be missing; the image build says so.
 */
export function egressHelperFile(env = process.env): string {
  return path.join(
    env.AGENTDESK_EGRESS_HELPER_DIR ?? path.join(appRoot(), 'out', 'egress-helper'),
    'egress-helper.cjs',
  );
}

/** The built renderer (`out/renderer`), served by `agentdesk serve` and the `app://` protocol. */
export function rendererDir(): string {
  return path.join(appRoot(), 'out', 'renderer');
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
