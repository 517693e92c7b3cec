// Test helper: a real LLM stack (SQLite, providers table, LiteLLM from the venv, gateway) against the scripted upstream.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../main/platform/logging';
import { appRoot } from '../main/platform/paths';
import { SecretRedactor } from '../main/platform/secret-redactor';
import { resolveLitellmCommand } from '../main/services/llm/litellm/command';
import { JsonlLlmCallSink } from '../main/services/llm/llm-calls';
import type { LlmCall } from '../main/services/llm/llm-calls';
import { LlmService } from '../main/services/llm/llm-service';
import type { LlmServiceDeps } from '../main/services/llm/llm-service';
import { ProvidersLlmSource } from '../main/services/llm/provider-source';
import { VirtualKeys } from '../main/services/llm/virtual-keys';
import { ProviderRepository } from '../main/services/providers/provider-repository';
import { EnvSecretStore } from '../main/services/secrets/env-secret-store';
import { ProviderKeys } from '../main/services/secrets/provider-keys';
import { openDatabase } from '../main/services/storage/database';
import type { Db } from '../main/services/storage/database';
import { withModelApis } from './fixtures/scripted-llm';
import { ScriptedUpstream } from './fixtures/scripted-upstream';

/** The provider key the scripted upstream accepts: must never appear on disk or in any answer. */
export const REAL_KEY = `sk-upstream-REAL-${'x7Q9'.repeat(8)}`;

/** True when a LiteLLM command is installed (app venv, AGENTDESK_LITELLM or PATH). */
export function litellmInstalled(): boolean {
  return (
    resolveLitellmCommand({ setting: null, appRoot: appRoot(), dataDir: os.tmpdir(), env: process.env }) !==
    null
  );
}

/** A running stack; {@link close} stops everything and removes the data dir. */
export interface LlmStack {
  home: string;
  db: Db;
  upstream: ScriptedUpstream;
  repo: ProviderRepository;
  keys: VirtualKeys;
  llm: LlmService;
  redactor: SecretRedactor;
  /** The environment provider keys are read from (`AGENTDESK_KEY_<ID>`); add to it before a reload. */
  env: Record<string, string>;
  /** Base URL of the gateway (`http://127.0.0.1:<port>`), without `/v1`. */
  gateway: string;
  /** Adds a provider row with cached models (as ProviderService does after a successful test). */
  addProvider(id: string, type: string, baseUrl: string, models: string[]): void;
  /** The llm_call records of every request the gateway has finished (waits for in-flight ones, 10 s at most). */
  calls(): Promise<LlmCall[]>;
  close(): Promise<void>;
}

/**
 * Builds the stack on a fresh data dir: migrations, a provider `scripted` (OpenAI-compatible, models
 * `gpt-test-mini` and `gpt-4o-mini`) and `claude` (Anthropic, `claude-test`) pointing at the scripted
 * upstream, keys given as AGENTDESK_KEY_<ID> (the env store), then `llm.init()`.
 * @param opts.wait wait until LiteLLM is ready (default true).
 */
export async function startLlmStack(
  opts: {
    wait?: boolean;
    deps?: Partial<LlmServiceDeps>;
    providers?: boolean;
    /** Runs on the fresh data dir before anything starts (e.g. to leave files of an earlier run). */
    prepare?: (home: string) => void;
  } = {},
): Promise<LlmStack> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-llm-'));
  opts.prepare?.(home);
  const db = openDatabase(path.join(home, 'agentdesk.db'));
  const upstream = await withModelApis(
    new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini', 'gpt-4o-mini'] }),
  ).start();
  const repo = new ProviderRepository(db);
  const redactor = new SecretRedactor();
  const env: Record<string, string> = { AGENTDESK_KEY_SCRIPTED: REAL_KEY, AGENTDESK_KEY_CLAUDE: REAL_KEY };
  const providerKeys = new ProviderKeys({
    keychain: new EnvSecretStore(env),
    env: new EnvSecretStore(env),
    redactor,
  });
  const keys = new VirtualKeys(db, (k) => redactor.add(k));
  const sinkFile = path.join(home, 'logs', 'llm-calls.jsonl');
  const sink = new JsonlLlmCallSink(sinkFile);
  const log = createLogger({ dir: path.join(home, 'logs'), redactor, level: 'debug' });
  const addProvider = (id: string, type: string, baseUrl: string, models: string[]) => {
    const now = Date.now();
    repo.insert({
      id,
      type,
      name: id,
      base_url: baseUrl,
      key_ref: null,
      status: 'ok',
      status_detail: '',
      checked_at: now,
      models_fetched_at: now,
      created_at: now,
      updated_at: now,
    });
    repo.replaceModels(
      id,
      models.map((m) => ({ model_id: m, label: null })),
      now,
    );
  };
  if (opts.providers !== false) {
    addProvider('scripted', 'openai-compatible', upstream.v1, ['gpt-test-mini', 'gpt-4o-mini']);
    addProvider('claude', 'anthropic', upstream.url, ['claude-test']);
  }
  const llm = new LlmService({
    home,
    resolveCommand: () =>
      resolveLitellmCommand({ setting: null, appRoot: appRoot(), dataDir: home, env: process.env }),
    source: new ProvidersLlmSource(repo, providerKeys),
    keys,
    sink,
    redactor,
    log,
    gateway: { port: 0 },
    drainMs: 30_000,
    env: process.env,
    ...opts.deps,
  });
  await llm.init();
  if (opts.wait !== false) {
    await llm.reload();
    await llm.active?.proc.whenReady();
  }
  return {
    home,
    db,
    upstream,
    repo,
    keys,
    llm,
    redactor,
    env,
    gateway: `http://127.0.0.1:${llm.gateway.port}`,
    addProvider,
    calls: async () => {
      // A streamed answer is recorded when its response closes, which a caller in this process may see
      // after its own 'end': wait until the gateway has nothing in flight (10 s at most, as a test may
      // hold a stream open on purpose), so the records of every answered request are there.
      const t0 = Date.now();
      while (llm.gateway.stats().inflight > 0 && Date.now() - t0 < 10_000)
        await new Promise((r) => setTimeout(r, 20));
      await sink.flush();
      if (!fs.existsSync(sinkFile)) return [];
      return fs
        .readFileSync(sinkFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LlmCall);
    },
    close: async () => {
      await llm.shutdown();
      await upstream.stop();
      db.close();
      log.flush();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A POST with JSON through plain node:http (no client library between the test and the gateway). */
export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: () => unknown }> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as unknown,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Streams a POST and timestamps every chunk as it arrives (ms since the request was sent). */
export function postStream(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; chunks: { at: number; text: string }[]; text: string }> {
  const data = JSON.stringify(body);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: { at: number; text: string }[] = [];
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push({ at: performance.now() - t0, text: c }));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, chunks, text: chunks.map((c) => c.text).join('') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) out.push(file);
  }
  return out;
}
