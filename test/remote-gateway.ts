// Test fixture: a gateway with its TLS listener and a stand-in LiteLLM (one model, plain and streamed answers), as remote agents call it.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { withDirLock } from '../main/platform/locks';
import { createLogger } from '../main/platform/logging';
import { openDatabase } from '../main/services/storage/database';
import type { Db } from '../main/services/storage/database';
import { Gateway } from '../main/services/llm/gateway/gateway';
import { loadGatewayTlsIdentity } from '../main/services/llm/gateway/tls-identity';
import type { GatewayTlsIdentity } from '../main/services/llm/gateway/tls-identity';
import { loadUpstreamClient, upstreamAgent } from '../main/services/llm/gateway/upstream';
import { MemoryLlmCallSink } from '../main/services/llm/llm-calls';
import { VirtualKeys } from '../main/services/llm/virtual-keys';
import { BASE_IMAGE_REF } from '../main/services/images/image-manifest';
import { REMOTE_AGENT_NETWORK } from '../main/services/runtimes/remote/gateway-relay';

/** The one model the stand-in serves. */
export const FIXTURE_MODEL = 'scripted/remote-mini';
/** The text it answers every chat with. */
export const FIXTURE_ANSWER = 'Hello from across the network.';

/** A running fixture. */
export interface RemoteGatewayFixture {
  dir: string;
  gateway: Gateway;
  keys: VirtualKeys;
  sink: MemoryLlmCallSink;
  identity: GatewayTlsIdentity;
  close(): Promise<void>;
}

/** Answers like LiteLLM for {@link FIXTURE_MODEL}: the model list, and a chat completion (streamed when asked). */
function fakeLitellm(req: http.IncomingMessage, res: http.ServerResponse): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    const headers = { 'x-litellm-model-group': FIXTURE_MODEL };
    if (req.url?.startsWith('/v1/models')) {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ object: 'list', data: [{ id: FIXTURE_MODEL, object: 'model' }] }));
    }
    const parsed = JSON.parse(body || '{}') as { stream?: boolean };
    const usage = { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 };
    if (!parsed.stream) {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
      return res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          model: FIXTURE_MODEL,
          choices: [
            { index: 0, message: { role: 'assistant', content: FIXTURE_ANSWER }, finish_reason: 'stop' },
          ],
          usage,
        }),
      );
    }
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream' });
    const chunk = (o: object) =>
      res.write(
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: FIXTURE_MODEL, ...o })}\n\n`,
      );
    for (const word of FIXTURE_ANSWER.split(/(?<= )/))
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: word }, finish_reason: null }] });
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    chunk({ choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
}

/**
 * Starts a gateway on 127.0.0.1 (plain) with its TLS listener enabled (identity in `<dir>/gateway-tls`,
 * no TLS address yet: the test adds them), in front of {@link fakeLitellm}; `describeModel` says the
 * model is served with its key resolved.
 */
export async function startRemoteGateway(): Promise<RemoteGatewayFixture> {
  await loadUpstreamClient();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-rgw-'));
  const db: Db = openDatabase(path.join(dir, 'agentdesk.db'));
  const keys = new VirtualKeys(db);
  const sink = new MemoryLlmCallSink();
  const litellm = http.createServer(fakeLitellm);
  await new Promise<void>((r) => litellm.listen(0, '127.0.0.1', r));
  const target = {
    host: '127.0.0.1',
    port: (litellm.address() as AddressInfo).port,
    masterKey: 'sk-master-fixture',
    dispatcher: upstreamAgent(),
    inflight: 0,
  };
  const gateway = new Gateway({
    binds: ['127.0.0.1'],
    port: 0,
    keys,
    sink,
    target: () => target,
    unavailable: () => ({ message: 'LiteLLM is starting.', retryAfterS: 1 }),
    describeModel: (model) =>
      Promise.resolve({
        info: { id: model, provider: 'scripted', served: true, key: 'not_needed' as const },
      }),
    log: createLogger({ dir: null, level: 'silent' }),
  });
  await gateway.start();
  const identity = await loadGatewayTlsIdentity(path.join(dir, 'gateway-tls'));
  gateway.enableTls(identity);
  return {
    dir,
    gateway,
    keys,
    sink,
    identity,
    close: async () => {
      await gateway.stop(0);
      litellm.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** This host's first IPv4 address outside loopback and container bridges (what a LAN sees), or null. */
export function lanAddress(): string | null {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (/^(lo|docker|br-|veth|incus|lxd|virbr|vx)/.test(name)) continue;
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return null;
}

/**
 * Holds the cross-process lock of the local engine's relay (its container and networks have fixed names:
 * one per engine), so test files that use them run one after another. @returns the release.
 * @throws Error when another test process holds it for 10 minutes.
 */
export async function holdLocalRelayLock(): Promise<() => void> {
  const lock = path.join(os.tmpdir(), 'agentdesk-test-local-relay.lock');
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const done = withDirLock(
    lock,
    () => {
      entered();
      return held;
    },
    {
      waitMs: 10 * 60_000,
      pollMs: 500,
      timeout: (pid) => new Error(`${lock} is still held by pid ${pid} after 10 min`),
    },
  );
  await Promise.race([inside, done]);
  return () => {
    release();
    void done;
  };
}

/**
 * Runs `node -e program args…` once in a fresh container of `engine` (image {@link BASE_IMAGE_REF}, uid 65534,
 * read-only root, no capabilities) on the remote agents' network, with the fixture gateway's certificate
 * mounted at `/ca.pem` and named by `NODE_EXTRA_CA_CERTS`, as an agent has it.
 * @returns its stdout, trimmed (the container is removed).
 */
export async function runAsAgent(
  engine: Dockerode,
  fx: RemoteGatewayFixture,
  program: string,
  args: string[] = [],
): Promise<string> {
  const ca = path.join(fx.dir, 'gateway-ca.pem');
  fs.writeFileSync(ca, fx.identity.certPem);
  const c = await engine.createContainer({
    Image: BASE_IMAGE_REF,
    Entrypoint: ['/usr/local/bin/node'],
    Cmd: ['-e', program, ...args],
    User: '65534:65534',
    Env: ['NODE_EXTRA_CA_CERTS=/ca.pem'],
    HostConfig: {
      NetworkMode: REMOTE_AGENT_NETWORK,
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      Binds: [`${ca}:/ca.pem:ro`],
    },
  });
  try {
    await c.start();
    await c.wait();
    const raw = await c.logs({ stdout: true, stderr: false, follow: false });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    const body = new PassThrough();
    engine.modem.demuxStream(body, out, new PassThrough());
    body.end(raw);
    await new Promise((r) => setImmediate(r));
    return Buffer.concat(chunks).toString('utf8').trim();
  } finally {
    await c.remove({ force: true });
  }
}

/**
 * A `node -e` program that tries a TCP connection (2 s) to each `host:port` of the JSON array in its
 * first argument and prints one JSON object: `host:port → connected | timeout | <error code>`.
 */
export const CONNECT_PROBE = `
  const net = require('node:net');
  const targets = JSON.parse(process.argv[1]);
  Promise.all(targets.map((t) => new Promise((resolve) => {
    const i = t.lastIndexOf(':');
    const s = net.connect({ host: t.slice(0, i), port: Number(t.slice(i + 1)), timeout: 2000 });
    s.on('connect', () => { s.destroy(); resolve([t, 'connected']); });
    s.on('timeout', () => { s.destroy(); resolve([t, 'timeout']); });
    s.on('error', (e) => resolve([t, e.code || e.message]));
  }))).then((r) => console.log(JSON.stringify(Object.fromEntries(r))));`;
