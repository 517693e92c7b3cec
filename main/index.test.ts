// The Electron entry with Electron mocked: `<app> serve|status|…` runs the CLI (headless parity in a packaged
// install, where the RunAsNode fuse is off); anything else opens the desktop; packaged resources are found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { app } from 'electron';
import type * as CliModule from './cli/index';
import type { AppOptions } from './platform/paths';

const runCli = vi.fn((_argv: string[]) => Promise.resolve());
const runDesktop = vi.fn((_opts: unknown) => Promise.resolve());
/** The options the entry resolved for the core, as the CLI got them. */
let options: AppOptions | null = null;
vi.mock('./cli/index', async (importOriginal) => ({
  ...(await importOriginal<typeof CliModule>()),
  runCli: (argv: string[], app: AppOptions) => {
    options = app;
    return runCli(argv);
  },
}));
vi.mock('./electron/lifecycle', () => ({ runDesktop: (opts: unknown) => runDesktop(opts) }));
const attachDesktopCore = vi.fn((..._args: unknown[]) => Promise.resolve({ remoteLabel: 'remote' }));
vi.mock('./electron/remote-core', () => ({
  attachDesktopCore: (...args: unknown[]) => attachDesktopCore(...args),
}));
const startCore = vi.fn((_opts: unknown) => Promise.resolve({ local: true }));
vi.mock('./app/bootstrap', () => ({ startCore: (o: unknown) => startCore(o) }));

const saved = {
  argv: process.argv,
  env: { ...process.env },
  resourcesPath: (process as { resourcesPath?: string }).resourcesPath,
};

async function launch(argv: string[], packaged: boolean): Promise<void> {
  (app as unknown as { isPackaged: boolean }).isPackaged = packaged;
  // Electron sets process.resourcesPath; the packaged layout puts resources beside app.asar.
  if (packaged) (process as { resourcesPath?: string }).resourcesPath = '/opt/Agent Desk/resources';
  process.argv = argv;
  vi.resetModules();
  await import('./index');
  await Promise.resolve();
}

beforeEach(() => {
  options = null;
  attachDesktopCore.mockClear();
  startCore.mockClear();
  runCli.mockClear();
  runDesktop.mockClear();
  delete process.env.AGENTDESK_RESOURCES_DIR;
  delete process.env.AGENTDESK_RUNTIME_DIR;
  delete process.env.AGENTDESK_EGRESS_HELPER_DIR;
  delete process.env.AGENTDESK_IMAGE_RECIPE_DIR;
  delete process.env.AGENTDESK_HARNESSES_DIR;
});

afterEach(() => {
  process.argv = saved.argv;
  process.env = { ...saved.env };
  (process as { resourcesPath?: string }).resourcesPath = saved.resourcesPath;
  process.exitCode = undefined;
});

describe('main/index.ts', () => {
  it('runs the CLI for `<installed app> serve --port 0` (argv[1] is the first argument when packaged)', async () => {
    await launch(['/opt/Agent Desk/agentdesk', 'serve', '--port', '0'], true);
    expect(runCli).toHaveBeenCalledWith(['node', 'agentdesk', 'serve', '--port', '0']);
    expect(runDesktop).not.toHaveBeenCalled();
    // The core finds the plain files shipped beside app.asar (the global environment is left alone).
    expect(options?.paths.resources).toBe('/opt/Agent Desk/resources');
    expect(options?.paths.runtimeDir).toBe('/opt/Agent Desk/resources/agent-runtime');
    expect(options?.paths.egressHelperDir).toBe('/opt/Agent Desk/resources/egress-helper');
    expect(options?.paths.imageRecipeDir).toBe('/opt/Agent Desk/resources/images');
    expect(options?.paths.harnessesDir).toBe('/opt/Agent Desk/resources/harnesses');
    expect(process.env.AGENTDESK_RESOURCES_DIR).toBeUndefined();
  });

  it('exits with the CLI’s exit code after a one-shot command such as `status --json`', async () => {
    runCli.mockImplementationOnce(() => {
      process.exitCode = 3;
      return Promise.resolve();
    });
    await launch(['/opt/Agent Desk/agentdesk', 'status', '--json'], true);
    await vi.waitFor(() => expect((app as unknown as { exitCode: number | null }).exitCode).toBe(3));
    expect(runCli).toHaveBeenCalledWith(['node', 'agentdesk', 'status', '--json']);
  });

  it('opens the desktop app for no arguments or unknown ones, in development (`electron .`) too', async () => {
    await launch(['/opt/Agent Desk/agentdesk', '--hidden'], true);
    expect(runDesktop).toHaveBeenCalledTimes(1);
    expect(runCli).not.toHaveBeenCalled();
    delete process.env.AGENTDESK_RESOURCES_DIR;
    await launch(['/usr/bin/electron', '.'], false);
    expect(runDesktop).toHaveBeenCalledTimes(2);
    // Not packaged: resources come from the checkout, no override is set.
    expect(process.env.AGENTDESK_RESOURCES_DIR).toBeUndefined();
  });

  it('--remote attaches there and remembers it (no token); a plain launch reattaches; --local forgets', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-entry-'));
    try {
      type Opts = { startCore: (o: { home: string; mode: 'electron' }) => Promise<unknown> };
      const started = async () =>
        (runDesktop.mock.calls.at(-1)![0] as Opts).startCore({ home, mode: 'electron' });
      await launch(['/opt/Agent Desk/agentdesk', '--remote', 'ssh://deploy@server'], true);
      await started();
      expect(attachDesktopCore).toHaveBeenLastCalledWith(
        expect.objectContaining({ kind: 'ssh', destination: { user: 'deploy', host: 'server', port: 22 } }),
        expect.objectContaining({ dataDir: home }),
        undefined,
        undefined,
        { waitIfDown: true }, // a server down at launch is waited for, not an error box
      );
      expect(fs.readFileSync(path.join(home, 'remote-core.json'), 'utf8')).toContain('ssh://deploy@server');

      await launch(['/opt/Agent Desk/agentdesk'], true);
      await started();
      expect(attachDesktopCore).toHaveBeenCalledTimes(2);
      expect(startCore).not.toHaveBeenCalled();

      // A remembered core that cannot be reached names the way back to this computer's core.
      attachDesktopCore.mockImplementationOnce(() => Promise.reject(new Error('ssh: connect refused')));
      await expect(started()).rejects.toThrow(/connect refused[\s\S]*--local/);

      await launch(['/opt/Agent Desk/agentdesk', '--local'], true);
      await started();
      expect(startCore).toHaveBeenCalledTimes(1);
      expect(fs.existsSync(path.join(home, 'remote-core.json'))).toBe(false);
      await launch(['/opt/Agent Desk/agentdesk'], true);
      await started();
      expect(startCore).toHaveBeenCalledTimes(2);
      expect(attachDesktopCore).toHaveBeenCalledTimes(3);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('a remembered file others could write stops the start with its message (no core is started)', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-entry-'));
    try {
      fs.writeFileSync(path.join(home, 'remote-core.json'), '{"version":1,"remote":"ssh://a@evil"}');
      fs.chmodSync(path.join(home, 'remote-core.json'), 0o666);
      await launch(['/opt/Agent Desk/agentdesk'], true);
      type Opts = { startCore: (o: { home: string; mode: 'electron' }) => Promise<unknown> };
      await expect(
        (runDesktop.mock.calls.at(-1)![0] as Opts).startCore({ home, mode: 'electron' }),
      ).rejects.toThrow(/not trusted.*--local/s);
      expect(attachDesktopCore).not.toHaveBeenCalled();
      expect(startCore).not.toHaveBeenCalled();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
