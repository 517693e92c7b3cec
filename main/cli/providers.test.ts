// `agentdesk providers …` in-process (buildProgram) against a real headless core, the keychain and a scripted upstream.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../contract/providers';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { keychainAvailable } from '../../test/keychain';
import { skipUnlessReal } from '../../test/real';
import { PROVIDER_TYPES } from '../services/providers/catalog';
import { KEYCHAIN_SERVICE } from '../services/secrets/keychain-probe';
import { KeychainSecretStore } from '../services/secrets/keychain-secret-store';
import { buildProgram } from './index';
import { looksLikeKey } from './providers';
import { serve } from './serve';
import type { Served } from './serve';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const available = await keychainAvailable();
const KEY = `sk-test-${crypto.randomBytes(16).toString('hex')}`;

/** Runs the CLI in this process; `stdin` is what is piped (`null` = a terminal). */
async function cli(
  args: string[],
  opts: { stdin?: string | null; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = buildProgram({
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: opts.env ?? {},
    readStdin: () => Promise.resolve(opts.stdin === undefined ? null : opts.stdin),
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

let home: string;
let served: Served;
let up: ScriptedUpstream;
let ollama: ScriptedUpstream;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-providers-'));
  up = await new ScriptedUpstream({ key: KEY, models: ['gpt-test-mini'] }).start();
  ollama = await new ScriptedUpstream({ models: ['gpt-test-mini'], ollama: true }).start();
  served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
});
afterAll(async () => {
  await served.stop();
  await up.stop();
  await ollama.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('agentdesk providers (no keychain needed)', () => {
  it('lists every valid type for an unknown one, on one stderr line', async () => {
    const r = await cli(['providers', 'add', 'opneai', '--home', home, '--key-stdin'], { stdin: 'x' });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `agentdesk providers add: unknown provider type "opneai". Valid types: ${PROVIDER_TYPES.join(', ')}\n`,
    );
  });

  it('refuses a key given as an argument, with a hint to use --key-stdin, never echoing it', async () => {
    for (const args of [
      ['providers', 'add', 'openai', '--key', KEY],
      ['providers', 'add', 'openai', `--key=${KEY}`],
      ['providers', 'add', 'openai', '--api-key', KEY],
      ['providers', 'add', 'openai', KEY],
      ['providers', 'add', KEY],
      ['providers', 'edit', 'openai', KEY],
    ]) {
      const r = await cli([...args, '--home', home]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(/^agentdesk providers (add|edit): refusing .*key.*--key-stdin/);
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.err).not.toContain(KEY);
    }
  });

  it('says what is wrong with the key options', async () => {
    const tty = await cli(['providers', 'add', 'openai', '--key-stdin', '--home', home], { stdin: null });
    expect(tty.err).toMatch(/--key-stdin reads the key from a pipe, and stdin is a terminal/);
    const none = await cli(['providers', 'add', 'openai', '--home', home]);
    expect(none.err).toMatch(/OpenAI needs a key: use --key-stdin or --key-env VAR/);
    const both = await cli(['providers', 'add', 'openai', '--key-stdin', '--no-key', '--home', home], {
      stdin: 'k',
    });
    expect(both.err).toMatch(/use only one of --key-stdin, --key-env VAR and --no-key/);
    const unset = await cli(['providers', 'add', 'openai', '--key-env', 'NOPE_KEY', '--home', home]);
    expect(unset.err).toMatch(/--key-env NOPE_KEY: that variable is not set or empty/);
    const url = await cli([
      'providers',
      'add',
      'openai-compatible',
      '--name',
      'U',
      '--base-url',
      'ftp://x/v1',
      '--no-key',
      '--home',
      home,
    ]);
    expect(url.err).toBe(
      'agentdesk providers add: Bad base URL "ftp://x/v1": the scheme must be http or https, not "ftp"\n',
    );
  });

  it('adds a keyless local server without asking for a key, and lists it', async () => {
    const add = await cli(['providers', 'add', 'ollama', '--base-url', ollama.url, '--home', home]);
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    expect(add.out).toMatch(
      /^Added ollama {2}Ollama \(Ollama\)\n {2}base URL {2}http:\/\/127\.0\.0\.1:\d+\n {2}key {7}no key\n {2}status {4}ok: 1 model\n/,
    );
    const list = await cli(['providers', 'list', '--home', home]);
    const lines = list.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID {6}NAME {4}TYPE {4}KEY {5}STATUS {2}MODELS {2}BASE URL$/);
    expect(lines[1]).toMatch(
      /^ollama {2}Ollama {2}ollama {2}no key {2}ok {6}1 {7}http:\/\/127\.0\.0\.1:\d+$/,
    );
    const json = JSON.parse((await cli(['providers', 'list', '--json', '--home', home])).out) as Provider[];
    expect(json.map((p) => p.id)).toEqual(['ollama']);
    const models = await cli(['providers', 'models', 'ollama', '--home', home]);
    expect(models.out).toMatch(
      /^MODEL +LITELLM MODEL +LABEL\ngpt-test-mini {2}ollama_chat\/gpt-test-mini\n$/,
    );
    expect((await cli(['providers', 'remove', 'ollama', '--home', home])).out).toBe('Removed ollama\n');
  });

  it('exits 1 with the reason when a test fails, and explains a missing provider', async () => {
    const closed = await new ScriptedUpstream().start();
    const closedPort = new URL(closed.url).port;
    await closed.stop();
    await cli([
      'providers',
      'add',
      'openai-compatible',
      '--name',
      'Down',
      '--base-url',
      `http://127.0.0.1:${closedPort}/v1`,
      '--no-probe',
      '--home',
      home,
    ]);
    const t = await cli(['providers', 'test', 'down', '--home', home]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(
      /^agentdesk providers test: failed {2}down {2}Connection refused by 127\.0\.0\.1:\d+/,
    );
    const j = await cli(['providers', 'test', 'down', '--json', '--home', home]);
    expect(j.code).toBe(1);
    expect((JSON.parse(j.out) as { probe: { kind: string } }).probe.kind).toBe('refused');
    await cli(['providers', 'remove', 'down', '--home', home]);
    const gone = await cli(['providers', 'remove', 'down', '--home', home]);
    expect(gone).toMatchObject({
      code: 1,
      err: 'agentdesk providers remove: No provider "down". No providers are configured yet.\n',
    });
  });

  it('starts a core in-process when none is running', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-noserve-'));
    try {
      const add = await cli([
        'providers',
        'add',
        'ollama',
        '--base-url',
        ollama.url,
        '--json',
        '--home',
        other,
      ]);
      expect(add.code).toBe(0);
      expect((JSON.parse(add.out) as Provider).status).toBe('ok');
      const list = await cli(['providers', 'list', '--json', '--home', other]);
      expect((JSON.parse(list.out) as Provider[]).map((p) => p.id)).toEqual(['ollama']);
      expect(fs.existsSync(path.join(other, 'core.lock'))).toBe(false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('prints the catalog and discovery', async () => {
    const cat = await cli(['providers', 'catalog']);
    expect(cat.out.split('\n')[0]).toMatch(/^TYPE +LABEL +KEY +BASE URL +ENV$/);
    expect(cat.out).toContain('openai-compatible');
    const d = await cli(['providers', 'discover', '--json', '--home', home]);
    expect(Object.keys(JSON.parse(d.out) as object)).toEqual([
      'servers',
      'keys',
      'probed',
      'duration_ms',
      'scanned_at',
    ]);
  });
});

describe.skipIf(skipUnlessReal(available, 'OS keychain'))(
  'agentdesk providers with keys (real keychain)',
  () => {
    const keychain = new KeychainSecretStore();

    it('--key-stdin stores the key in the keychain and tests it', async () => {
      const r = await cli(
        [
          'providers',
          'add',
          'openai-compatible',
          '--name',
          'Piped',
          '--base-url',
          up.v1,
          '--key-stdin',
          '--home',
          home,
        ],
        {
          stdin: `${KEY}\n`,
        },
      );
      expect(r.err).toBe('');
      expect(r.out).toContain(`key       key set · …${KEY.slice(-4)}`);
      expect(r.out).toContain('status    ok: 1 model');
      expect(r.out).not.toContain(KEY);
      expect(await keychain.getPassword(KEYCHAIN_SERVICE, 'provider:piped')).toBe(KEY);
      expect((await cli(['providers', 'test', 'piped', '--home', home])).out).toMatch(
        /^ok {2}piped {2}1 model {2}\(\d+ ms\)\n$/,
      );
      const rm = await cli(['providers', 'remove', 'piped', '--home', home]);
      expect(rm.out).toBe('Removed piped and its key from the keychain\n');
      expect(await keychain.getPassword(KEYCHAIN_SERVICE, 'provider:piped')).toBeNull();
    });

    it('--key-env reads the key from the shell and edit --no-key deletes it', async () => {
      const r = await cli(
        [
          'providers',
          'add',
          'openai',
          '--name',
          'From shell',
          '--base-url',
          up.v1,
          '--key-env',
          'MY_KEY',
          '--json',
          '--home',
          home,
        ],
        {
          env: { MY_KEY: KEY },
        },
      );
      expect(r.code).toBe(0);
      const p = JSON.parse(r.out) as Provider;
      expect(p.key).toEqual({ state: 'set', last4: KEY.slice(-4) });
      const e = await cli(['providers', 'edit', p.id, '--no-key', '--json', '--home', home]);
      expect((JSON.parse(e.out) as Provider).key.state).toBe('missing');
      expect(await keychain.getPassword(KEYCHAIN_SERVICE, `provider:${p.id}`)).toBeNull();
      await cli(['providers', 'remove', p.id, '--home', home]);
    });
  },
);

describe('looksLikeKey', () => {
  it('spots keys and leaves ordinary words alone', () => {
    for (const k of [
      'sk-abc',
      'sk-ant-api03-xyz',
      'gsk_123',
      'xai-abc',
      'AIzaSyA-1234',
      'a1b2c3d4e5f6g7h8i9j0k1l2m3',
    ])
      expect(looksLikeKey(k), k).toBe(true);
    for (const w of ['openai', 'openai-compatible', 'my-provider', 'http://127.0.0.1:8000/v1', 'llama3.2'])
      expect(looksLikeKey(w), w).toBe(false);
  });
});
