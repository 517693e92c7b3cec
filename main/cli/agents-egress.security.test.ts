// Egress end to end through the CLI and a served core (real Docker, LiteLLM, an outside world in a namespace): create with --allow, policy changes, refusals in `agentdesk trace`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addScriptedProvider,
  ensureRuntimeBundle,
  purgeAll,
  runtimeReachable,
  until,
} from '../../test/agents';
import { ensureBaseImage } from '../../test/base-image';
import { NAMES, PORTS, dropDockerNetwork, hostServices, outsideWorld } from '../../test/egress-world';
import type { OutsideWorld } from '../../test/egress-world';
import { withModelApis } from '../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../test/llm-stack';
import { skipUnlessReal } from '../../test/real';
import { call } from '../transport/dispatch';
import { buildProgram } from './index';
import { serve } from './serve';
import type { Served } from './serve';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const execFileAsync = promisify(execFile);
const skip = skipUnlessReal(
  runtimeReachable('docker') && litellmInstalled() && process.getuid?.() === 0,
  'Docker, LiteLLM and root (egress rules)',
);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = buildProgram({
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: {},
    readStdin: () => Promise.resolve(null),
    setExitCode: (c) => {
      code = c;
    },
    app: resolveOptions(coreEnv),
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err };
}

/** `curl` from inside the agent's container: the body, or `refused (<exit code>)`. */
async function curl(container: string, url: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('docker', ['exec', container, 'curl', '-sS', '-m', '3', url]);
    return stdout.trim();
  } catch (e) {
    return `refused (${(e as { code?: number }).code})`;
  }
}

describe.skipIf(skip)('agent egress through the CLI and a served core (docker)', () => {
  let home: string;
  let served: Served;
  let up: ScriptedUpstream;
  let world: OutsideWorld;
  let host: Awaited<ReturnType<typeof hostServices>>;
  const h = () => ['--home', home];
  // Its own agents' bridge: cores of other data dirs on this machine keep theirs untouched.
  const network = `agentdesk-test-cli-egress-${process.pid}`;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    world = await outsideWorld();
    host = await hostServices();
    coreEnv.AGENTDESK_EGRESS_DNS = world.dns;
    coreEnv.AGENTDESK_DOCKER_NETWORK = network;
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-egress-'));
    up = await withModelApis(new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] })).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
    await call(served.core.dispatcher, 'settings', 'update', { container_runtime: 'docker' });
    await addScriptedProvider(served.core.dispatcher, up.v1);
  }, 600_000);
  afterAll(async () => {
    await purgeAll(served.core.dispatcher);
    await served?.stop();
    await up?.stop();
    world?.close();
    host?.close();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    delete coreEnv.AGENTDESK_EGRESS_DNS;
    delete coreEnv.AGENTDESK_DOCKER_NETWORK;
    dropDockerNetwork(network);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('bad egress options are refused with what is valid', async () => {
    const mode = await cli([
      'agents',
      'create',
      ...h(),
      '--name',
      'x',
      '--model',
      'scripted/gpt-test-mini',
      '--egress',
      'wide',
    ]);
    expect(mode.code).toBe(1);
    expect(mode.err).toMatch(/"wide" is not an egress mode; valid: none, allowlist, open/);
    const meta = await cli([
      'agents',
      'create',
      ...h(),
      '--name',
      'x',
      '--model',
      'scripted/gpt-test-mini',
      '--allow',
      '169.254.169.254',
    ]);
    expect(meta.code).toBe(1);
    expect(meta.err).toMatch(/link-local .* never allowed/);
    expect((await cli(['agents', 'list', ...h(), '--json'])).out).toContain('"agents": []');
  });

  it('an agent reaches what its allowlist names and nothing else; refusals are in `agentdesk trace`; a change applies at once', async () => {
    const c = await cli([
      'agents',
      'create',
      ...h(),
      '--name',
      'Egress Bot',
      '--model',
      'scripted/gpt-test-mini',
      '--memory',
      '256',
      '--allow',
      `${NAMES.allowed}:${PORTS.tcp}`,
    ]);
    expect(c.err).toBe('');
    expect(c.out).toMatch(/Egress Bot \(egress-bot\): running/);
    expect(c.out).toContain(`egress allowlist: ${NAMES.allowed}:${PORTS.tcp}`);
    const agent = (await call(served.core.dispatcher, 'agents', 'list', {})).agents[0]!;
    const gateway = (await call(served.core.dispatcher, 'llm', 'status', {})).gateway.addresses.find(
      (a) => a !== '127.0.0.1',
    )!;
    const startedAt = (
      await execFileAsync('docker', ['inspect', '-f', '{{.State.StartedAt}}', agent.container])
    ).stdout;

    expect(await curl(agent.container, `http://${NAMES.allowed}:${PORTS.tcp}/`)).toBe(`A:${PORTS.tcp}`);
    expect(await curl(agent.container, `http://${world.b}:${PORTS.tcp}/`)).toMatch(/^refused/);
    // A service of the host on 0.0.0.0, reached through the bridge address the gateway listens on.
    expect(await curl(agent.container, `http://${gateway}:${host.tcp}/`)).toMatch(/^refused/);

    const trace = await until(
      () => cli(['trace', ...h(), 'egress-bot', '--kind', 'egress']),
      (r) => r.out.includes(`${world.b}:${PORTS.tcp}`) && r.out.includes(`:${host.tcp}`),
      15_000,
      'egress lines in agentdesk trace',
    );
    expect(trace.out).toMatch(
      new RegExp(
        `egress +refused tcp ${world.b.replace(/\./g, '\\.')}:${PORTS.tcp}: not allowed \\(egress allowlist\\) \\(allow it: agents policy AGENT --allow ${world.b.replace(/\./g, '\\.')}:${PORTS.tcp}\\)`,
      ),
    );
    expect(trace.out).toMatch(
      new RegExp(`refused tcp ${gateway.replace(/\./g, '\\.')}:${host.tcp}: host service`),
    );

    const p = await cli([
      'agents',
      'policy',
      ...h(),
      'egress-bot',
      '--egress',
      'none',
      '--remove',
      `${NAMES.allowed}:${PORTS.tcp}`,
    ]);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/egress none \(gateway only\) \(enforced as root\)$/m);
    expect(await curl(agent.container, `http://${world.a}:${PORTS.tcp}/`)).toMatch(/^refused/);
    const missing = await cli(['agents', 'policy', ...h(), 'egress-bot', '--remove', 'nope.example']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/"nope\.example" is not in the allowlist of this agent; it has no entries/);
    // Same container, same run: no redeploy.
    expect(
      (await execFileAsync('docker', ['inspect', '-f', '{{.State.StartedAt}}', agent.container])).stdout,
    ).toBe(startedAt);
  });
});
