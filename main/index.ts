// Electron entry: lifecycle only — the desktop shell around the same core that `agentdesk serve` runs.
import path from 'node:path';
import { app } from 'electron';
import { startCore } from './app/bootstrap';
import { startBackground } from './electron/desktop-shell';
import { runDesktop } from './electron/lifecycle';
import { autostartDir, launchCommand } from './electron/login-item';
import { CLI_COMMANDS, runCli } from './cli/index';
import { resolveOptions } from './platform/paths';

// This file is always bundled to out/main/index.js (shared code goes to out/main/chunks/), so the
// preload (out/preload/) and the renderer (out/renderer/) are found from here, in a checkout and in app.asar.
const outDir = path.join(__dirname, '..');

// The core's paths and settings, resolved once. A packaged app keeps what containers, bash and pip
// must read as plain files beside app.asar (electron-builder.yml extraResources): the core is pointed
// at them (a variable set in the environment still wins).
const options = resolveOptions(
  process.env,
  app.isPackaged ? { resources: process.resourcesPath } : undefined,
);

// `<app> serve|status|agents|…` runs the CLI (headless parity in a packaged install, where the
// RunAsNode fuse is off); anything else opens the desktop app.
const args = process.argv.slice(app.isPackaged ? 1 : 2);
if (args[0] && CLI_COMMANDS.has(args[0])) {
  app.dock?.hide();
  void runCli(['node', 'agentdesk', ...args], options).then(() => {
    if (args[0] !== 'serve') app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
} else
  void runDesktop({
    startCore: (o) => startCore({ ...o, app: options }),
    env: process.env,
    preloadPath: path.join(outDir, 'preload', 'index.js'),
    rendererDir: path.join(outDir, 'renderer'),
    background: (core, win) =>
      startBackground(core, win, {
        app,
        argv: process.argv,
        openedAtLogin: process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin,
        launchCommand: launchCommand({
          isPackaged: app.isPackaged,
          execPath: process.execPath,
          appPath: app.getAppPath(),
          env: process.env,
        }),
        applyLoginItemAtStart: app.isPackaged,
        autostartDir: autostartDir(process.env),
        iconDir: path.join(options.paths.resources, 'icons'),
      }),
  });
