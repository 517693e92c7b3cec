// `agentdesk status` through the HTTP transport of a real headless core.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_NAMES } from '../../contract/health';
import { buildChildCore } from '../../test/faults/child-core';
import { buildProgram } from './index';
import { DEFAULT_SERVE_PORT, serve } from './serve';
import type { Served } from './serve';
import { statusCommand } from './status';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

function capture(): { text: string; write(s: string): void } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

let home: string;
let served: Served;
beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-status-'));
  served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
});
afterAll(async () => {
  await served.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('agentdesk status', () => {
  it('--json prints every component with name, state, detail and fix', async () => {
    const out = capture();
    expect(await statusCommand({ home, json: true }, out, capture())).toBe(0);
    const parsed = JSON.parse(out.text) as {
      components: { name: string; state: string; detail: string; fix: string }[];
    };
    expect(Object.keys(parsed)).toEqual(['components']);
    expect(parsed.components.map((c) => c.name)).toEqual([...COMPONENT_NAMES]);
    for (const c of parsed.components) {
      expect(['ok', 'starting', 'missing', 'error']).toContain(c.state);
      expect(c.detail.length).toBeGreaterThan(0);
      if (c.state !== 'ok')
        expect(c.fix.length, `${c.name} is ${c.state} (${c.detail}) with no fix`).toBeGreaterThan(0);
    }
  });

  it('follows Docker going away and coming back', async () => {
    const saved = coreEnv.DOCKER_HOST;
    coreEnv.DOCKER_HOST = `unix://${path.join(home, 'no-docker.sock')}`;
    try {
      const out = capture();
      await statusCommand({ home, json: false }, out, capture());
      expect(out.text).toMatch(/^docker\s+missing\s+Docker not reachable at .*no-docker\.sock$/m);
      expect(out.text).toContain('fix: Start Docker Desktop, or `sudo systemctl start docker`');
    } finally {
      if (saved === undefined) delete coreEnv.DOCKER_HOST;
      else coreEnv.DOCKER_HOST = saved;
    }
    const out = capture();
    await statusCommand({ home, json: true }, out, capture());
    const docker = (
      JSON.parse(out.text) as { components: { name: string; detail: string }[] }
    ).components.find((c) => c.name === 'docker');
    expect(docker?.detail).not.toContain('no-docker.sock');
  });

  it('says how to start the core when none is running, with exit code 2', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-none-'));
    const err = capture();
    expect(await statusCommand({ home: other, json: true }, capture(), err)).toBe(2);
    expect(err.text).toContain('agentdesk serve');
    fs.rmSync(other, { recursive: true, force: true });
  });

  it(
    'refuses a second core on the same data dir, giving the running one’s URL with its token',
    { timeout: 120_000 },
    async () => {
      await expect(
        serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 }),
      ).rejects.toThrow(/already (running|using)/);
      expect(fs.existsSync(path.join(home, 'control.json'))).toBe(true);
      // A second `agentdesk serve` process (the built CLI, as a person runs it).
      const bundle = await buildChildCore();
      let r;
      try {
        r = spawnSync(process.execPath, [bundle.entry, 'serve', '--port', '0', '--home', home], {
          encoding: 'utf8',
          timeout: 60_000,
        });
      } finally {
        bundle.remove();
      }
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`already running for ${home}`);
      expect(r.stderr).toContain(`open ${served.openUrl}`);
    },
  );

  it('prints the UI’s URL, with its token, above the health in text form', async () => {
    const out = capture();
    expect(await statusCommand({ home, json: false }, out, capture())).toBe(0);
    expect(out.text.split('\n')[0]).toBe(`ui        open     ${served.openUrl}`);
  });

  it('serves on a fixed default port; a taken port is refused saying how to choose another', async () => {
    expect(DEFAULT_SERVE_PORT).toBe(47800);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-port-'));
    try {
      // The port of the core above is taken by it: a second data dir cannot serve there.
      await expect(
        serve({ home: other, app: resolveOptions(coreEnv), port: served.http.port, healthIntervalMs: 0 }),
      ).rejects.toThrow(
        `127.0.0.1:${served.http.port} is already in use by another program. Stop it, or serve on another port: \`agentdesk serve --port N\`, or \`--port 0\` for any free port.`,
      );
      expect(fs.existsSync(path.join(other, 'control.json'))).toBe(false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('`serve` without --port asks for the fixed default port', () => {
    const cmd = buildProgram({
      out: process.stdout,
      err: process.stderr,
      env: {},
      readStdin: () => Promise.resolve(null),
      setExitCode: () => {},
      app: resolveOptions(coreEnv),
    }).commands.find((c) => c.name() === 'serve');
    expect(cmd?.opts<{ port: number }>().port).toBe(DEFAULT_SERVE_PORT);
  });
});
