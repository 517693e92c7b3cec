// The bundled runtime inside the real base image (Docker): health, a shell turn in /home/agent/workspace, verify.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureRuntimeBundle, runtimeReachable } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { skipUnlessReal } from '../../../test/real';
import type { Gateway } from './testkit';
import {
  KEY,
  MODEL,
  named,
  parseSse,
  rtFetch,
  script,
  startGateway,
  tempHome,
  TEST_CREDENTIAL,
} from './testkit';

const run = promisify(execFile);
const docker = (...args: string[]) => run('docker', args);
const skip = skipUnlessReal(runtimeReachable('docker'), 'Docker');
const name = `agentdesk-test-rt-${randomBytes(4).toString('hex')}`;
let gw: Gateway;
let dir: string;
let url: string;

describe.skipIf(skip)('runtime in the base image (Docker)', () => {
  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    gw = await startGateway();
    gw.up.on('GET', `/v1/agentdesk/models/${MODEL}`, (_req, res) =>
      gw.up.json(res, 200, { id: MODEL, provider: 'scripted', served: true, key: 'resolved' }),
    );
    dir = await tempHome();
    const bundle = path.join(dir, 'agent-runtime.cjs');
    await fs.copyFile(ensureRuntimeBundle(), bundle);
    // Host network: the container reaches the scripted gateway on 127.0.0.1 and listens on a free port.
    await docker(
      'run', '-d', '--name', name, '--network', 'host',
      '-v', `${bundle}:/opt/agentdesk/runtime/agent-runtime.cjs:ro`,
      '-e', `OPENAI_BASE_URL=${gw.up.v1}`, '-e', `OPENAI_API_KEY=${KEY}`, '-e', `AGENTDESK_MODEL=${MODEL}`,
      '-e', 'AGENTDESK_PORT=0', '-e', 'AGENTDESK_HOST=127.0.0.1', '-e', `AGENTDESK_RUNTIME_TOKEN=${TEST_CREDENTIAL}`,
      'agentdesk/agent-base:2',
    ); // prettier-ignore
    const port = await vi.waitFor(
      async () => {
        const { stdout } = await docker('logs', name);
        const m = /listening .*port=(\d+)/.exec(stdout);
        if (!m) throw new Error(`runtime not listening yet: ${stdout}`);
        return Number(m[1]);
      },
      { timeout: 30_000, interval: 200 },
    );
    url = `http://127.0.0.1:${port}`;
  }, 40 * 60_000); // a first image build takes minutes

  afterAll(async () => {
    await docker('rm', '-f', name).catch(() => undefined);
    await gw?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers /health and runs shell in /home/agent/workspace', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, model: MODEL });
    const res = await rtFetch(`${url}/turn`, {
      method: 'POST',
      body: JSON.stringify({
        text: script({ tool: 'shell', args: { command: 'echo hi; pwd; echo $HOME' } }),
      }),
    });
    const events = parseSse(await res.text());
    expect(named(events, 'tool_result')[0]).toMatchObject({
      output: 'hi\n/home/agent/workspace\n/home/agent\n',
      exit_code: 0,
    });
    const threadId = named(events, 'done')[0]!.thread_id as string;
    const { stdout } = await docker('exec', name, 'ls', '/home/agent/.agentdesk/threads');
    expect(stdout.trim()).toBe(`${threadId}.json`);
  });

  it('verifies the inference path from inside the container', async () => {
    const { stdout } = await docker(
      'exec',
      name,
      'node',
      '/opt/agentdesk/runtime/agent-runtime.cjs',
      'verify',
    );
    expect(JSON.parse(stdout)).toEqual({ ok: true, model: MODEL, models: 1 });
  });
});
