// Electron entry: lifecycle only — the desktop shell around the same core that `agentdesk serve` runs.
import path from 'node:path';
import { app } from 'electron';
import { startCore } from './app/bootstrap';
import { startBackground } from './electron/desktop-shell';
import { runDesktop } from './electron/lifecycle';
import { autostartDir, launchCommand } from './electron/login-item';
import { CLI_COMMANDS, commandOf, remoteOf, runCli } from './cli/index';
import { attachDesktopCore } from './electron/remote-core';
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

// `<app> [--remote …] serve|status|agents|…` runs the CLI (headless parity in a packaged install, where
// the RunAsNode fuse is off); anything else opens the desktop app — on this computer's core, or with
// `--remote ssh://user@host` / `--remote https://host:port --fingerprint … --token-file …` on that one
// (no tray then: the agents live on the server).
const args = process.argv.slice(app.isPackaged ? 1 : 2);
const command = commandOf(args);
let remote: ReturnType<typeof remoteOf> = null;
let badRemote = false;
try {
  remote = command ? null : remoteOf(args);
} catch (err) {
  console.error(`agentdesk: ${(err as Error).message}`);
  badRemote = true;
}
if (badRemote) app.exit(2);
else if (command && CLI_COMMANDS.has(command)) {
  app.dock?.hide();
  void runCli(['node', 'agentdesk', ...args], options).then(() => {
    if (command !== 'serve') app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
} else if (remote)
  void runDesktop({
    startCore: (o) =>
      attachDesktopCore(remote, { dataDir: o.home, configFile: options.sshConfigFile, env: options.env }),
    env: process.env,
    preloadPath: path.join(outDir, 'preload', 'index.js'),
    rendererDir: path.join(outDir, 'renderer'),
  });
else
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
