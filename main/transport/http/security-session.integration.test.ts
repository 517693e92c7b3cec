// A full session over the HTTP control API (real keychain, LiteLLM, Docker): the provider key leaks nowhere; agents are fenced in.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import type { Client } from '../../../contract/client';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../../test/keychain';
import { litellmInstalled } from '../../../test/llm-stack';
import { recordedClient } from '../../../test/recorded-client';
import { skipUnlessReal } from '../../../test/real';
import { serve } from '../../cli/serve';
import type { Served } from '../../cli/serve';
import { testOptions } from '../../../test/app-options';

const execFileAsync = promisify(execFile);
const available = runtimeReachable('docker') && litellmInstalled() && (await keychainAvailable());
const skip = skipUnlessReal(
  available,
  'Docker, LiteLLM and the OS keychain (run under scripts/with-keyring.sh)',
);

/** A key shaped like an OpenAI project key, unique to this run (so no other run's files can match). */
const KEY = `sk-proj-${crypto.randomBytes(36).toString('base64url')}`;
const suffix = crypto.randomBytes(3).toString('hex');

let home: string;
let served: Served;
let client: Client;
let upstream: ScriptedUpstream;
const seen: string[] = []; // every API answer and SSE chunk, as text
let stopEvents: () => void = () => {};

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** True when `docker export` of the container streams `needle` (a window of its length spans chunk borders). */
function exportContains(container: string, needle: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['export', container], { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = Buffer.alloc(0);
    let found = false;
    child.stdout.on('data', (c: Buffer) => {
      if (found) return;
      const joined = Buffer.concat([tail, c]);
      if (joined.includes(needle)) found = true;
      tail = joined.subarray(Math.max(0, joined.length - needle.length));
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(found) : reject(new Error(`docker export exited ${code}`)),
    );
  });
}

/** Every file under `dir` whose bytes contain `needle`, relative to `dir`. */
function filesContaining(dir: string, needle: Buffer): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) hits.push(path.relative(dir, file));
  }
  return hits;
}

/** TCP connect from inside `container` (bash /dev/tcp, 3 s); true when it connects. */
async function canConnect(container: string, host: string, port: number): Promise<boolean> {
  try {
    await docker('exec', container, 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`);
    return true;
  } catch {
    return false;
  }
}

/** Local addresses of the host's listening TCP sockets on `port` (from /proc/net/tcp and tcp6). */
function listenAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A = LISTEN
      const [hex, p] = f[1]!.split(':') as [string, string];
      if (parseInt(p, 16) !== port) continue;
      out.push(
        hex.length === 8
          ? (hex.match(/../g) ?? [])
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : hex === '00000000000000000000000000000000'
            ? '::'
            : hex,
      );
    }
  }
  return out;
}

const running = (id: string): Promise<Agent> =>
  until(
    () => client.agents.get({ id }),
    (a) => a.phase === 'running' || a.phase === 'failed',
    240_000,
    'the agent to run',
  );

describe.skipIf(skip)('security over a full session (providers, agents, chats, archive, restore)', () => {
  let a: Agent;
  let b: Agent;
  let bKeyBeforeArchive = '';
  /** The virtual key deployed to an agent (its env file in its host-written config folder, mounted read-only). */
  const keyOf = (id: string) =>
    /^OPENAI_API_KEY='([^']+)'/m.exec(
      fs.readFileSync(path.join(home, 'agents', id, 'config', 'env'), 'utf8'),
    )![1]!;

  beforeAll(async () => {
    await ensureBaseImage(['docker']);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-security-'));
    upstream = await withModelApis(new ScriptedUpstream({ key: KEY, models: ['gpt-test-mini'] })).start();
    // Logs as much as possible.
    served = await serve({
      home,
      app: testOptions({ AGENTDESK_LOG_LEVEL: 'trace' }),
      port: 0,
      healthIntervalMs: 0,
    });
    const rec = await recordedClient(served, seen);
    client = rec.client;
    stopEvents = rec.stop;

    // The session: a provider with the key, two agents, chats with a tool call, archive and restore.
    await client.settings.update({ container_runtime: 'docker' });
    const p = await client.providers.add({
      type: 'openai-compatible',
      name: 'Scripted',
      base_url: upstream.v1,
      key: KEY,
    });
    expect(p.status, p.status_detail ?? '').toBe('ok');
    await until(
      () => client.llm.status({}),
      (s) => s.litellm.state === 'ready',
      120_000,
      'LiteLLM',
    );
    const create = (n: string) =>
      client.agents.create({
        name: `agentdesk-test-sec-${n}-${suffix}`,
        model: 'scripted/gpt-test-mini',
        memory_mib: 256,
      });
    const [ca, cb] = [await create('a'), await create('b')];
    a = await running(ca.id);
    b = await running(cb.id);
    expect(a.phase, a.phase_reason ?? '').toBe('running');
    expect(b.phase, b.phase_reason ?? '').toBe('running');
    const chat = await client.agents.chat({ id: a.id, text: 'Run it #tool=shell' });
    expect(chat.error).toBeNull();
    await client.agents.chat({ id: b.id, text: 'hello' });
    await client.agents.threads({ id: a.id });
    await client.traces.list({ agent_id: a.id });
    await client.agents.logs({ id: a.id, tail: 200 });
    bKeyBeforeArchive = keyOf(b.id);
    await client.agents.archive({ id: b.id });
    await client.agents.restore({ id: b.id });
    b = await running(b.id);
    expect(b.phase, b.phase_reason ?? '').toBe('running');
    await client.agents.chat({ id: b.id, text: 'back again #tool=shell' });
    await client.providers.test({ id: p.id });
    await client.llm.testModel({ model: 'scripted/gpt-test-mini' });
    await client.system.health({ refresh: true });
    await new Promise((r) => setTimeout(r, 200)); // let the last SSE chunks arrive
  }, 900_000);

  afterAll(async () => {
    stopEvents();
    if (client) {
      // Normally done by the last test; here when a test failed before it.
      for (const x of (await client.agents.list({}).catch(() => ({ agents: [] }))).agents)
        await client.agents.purge({ id: x.id }).catch(() => undefined);
      for (const p of await client.providers.list({}).catch(() => []))
        await client.providers.remove({ id: p.id }).catch(() => undefined);
    }
    await served?.stop();
    await upstream?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('an agent container reaches the gateway only: not the control API, not LiteLLM, not another agent', async () => {
    const status = await client.llm.status({});
    const bridge = status.gateway.addresses.find((x) => x !== '127.0.0.1');
    expect(bridge, JSON.stringify(status.gateway)).toBeDefined();
    const litellmPort = status.litellm.port!;
    // The control API and LiteLLM listen on the host's loopback and nowhere else.
    expect(listenAddresses(served.http.port)).toEqual(['127.0.0.1']);
    expect(listenAddresses(litellmPort)).toEqual(['127.0.0.1']);
    const bNow = await client.agents.get({ id: b.id });
    const bIp = (
      await docker(
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
        bNow.container,
      )
    ).trim();
    expect(bIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await canConnect(a.container, bridge!, status.gateway.port!)).toBe(true); // the one way out
    expect(await canConnect(a.container, bridge!, served.http.port)).toBe(false);
    expect(await canConnect(a.container, bridge!, litellmPort)).toBe(false);
    expect(await canConnect(a.container, bIp, 8100)).toBe(false);
    // The core reaches b's runtime at b's own bridge address (nothing published on the host); a cannot.
    expect(bNow.runtime_port).toBeNull();
    const bRuntime = new URL(bNow.runtime_endpoint!);
    expect(bRuntime.hostname).toBe(bIp);
    expect(await canConnect(a.container, bRuntime.hostname, Number(bRuntime.port))).toBe(false);
    expect(await canConnect(bNow.container, '127.0.0.1', 8100)).toBe(true); // the probe itself works
  });

  it('virtual keys: scoped to the agent’s model, distinct per agent, the archived one still revoked after restore', async () => {
    const gw = (await client.llm.status({})).gateway.url!;
    const models = async (key: string) => {
      const r = await fetch(`${gw}/models`, { headers: { Authorization: `Bearer ${key}` } });
      return { status: r.status, text: await r.text() };
    };
    const chatAs = async (key: string, model: string) => {
      const r = await fetch(`${gw}/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      return { status: r.status, text: await r.text() };
    };
    const [ka, kb] = [keyOf(a.id), keyOf(b.id)];
    expect(ka).toMatch(/^sk-agentdesk-/);
    expect(new Set([ka, kb, bKeyBeforeArchive]).size).toBe(3);
    const listed = await models(ka);
    expect(listed.status).toBe(200);
    expect((JSON.parse(listed.text) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([
      'scripted/gpt-test-mini',
    ]);
    const outside = await chatAs(ka, 'scripted/gpt-test-large');
    expect(outside.status).toBe(403);
    expect(outside.text).toContain('model_not_allowed');
    expect((await models(kb)).status).toBe(200);
    const revoked = await chatAs(bKeyBeforeArchive, 'scripted/gpt-test-mini');
    expect(revoked.status).toBe(401);
    expect(revoked.text).toContain('revoked');
  });

  it('the real key is in no container: inspect, environment, processes, filesystem', async () => {
    const needle = Buffer.from(KEY);
    for (const agent of [a, b]) {
      const name = (await client.agents.get({ id: agent.id })).container;
      expect(await docker('inspect', name)).not.toContain(KEY);
      expect(await docker('exec', name, 'env')).not.toContain(KEY);
      const procs = await docker(
        'exec',
        name,
        'bash',
        '-c',
        'cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n"',
      );
      expect(procs).toContain('OPENAI_BASE_URL'); // the probe reads the runtime's environment
      expect(procs).not.toContain(KEY);
      expect(await exportContains(name, Buffer.from('usr/local/bin/agentdesk-init'))).toBe(true); // the scan sees the files
      expect(await exportContains(name, needle)).toBe(false);
    }
  });

  it('the real key reached the provider, and appears in no API answer, SSE event, file, log or LiteLLM config', async () => {
    const needle = Buffer.from(KEY);
    expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(seen.join('\n')).toContain('event: agents.turn'); // the SSE stream was recorded
    expect(seen.filter((t) => t.includes(KEY))).toEqual([]);
    const status = await client.llm.status({});
    expect(fs.readFileSync(status.litellm.config_file!, 'utf8')).toContain('os.environ/');
    // DB and WAL, logs, LiteLLM config and log, agent homes and traces, the archive folder.
    expect(filesContaining(home, Buffer.from('Run it #tool=shell')).length).toBeGreaterThan(0); // the scan sees the files
    expect(filesContaining(home, needle)).toEqual([]);
    // Purge and remove everything, stop the core (logs flushed, DB closed), and look again.
    for (const x of (await client.agents.list({})).agents) await client.agents.purge({ id: x.id });
    for (const p of await client.providers.list({})) await client.providers.remove({ id: p.id });
    stopEvents();
    await served.stop();
    expect(seen.filter((t) => t.includes(KEY))).toEqual([]);
    expect(filesContaining(home, needle)).toEqual([]);
  });
});
