// Discovery over real sockets: scripted local servers on overridden ports, a silent one, and key env vars.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { SecretRedactor } from '../../platform/secret-redactor';
import { discover, discoveryTargets } from './discovery';

let ollama: ScriptedUpstream;
let lmstudio: ScriptedUpstream;
let silent: ScriptedUpstream;

beforeAll(async () => {
  ollama = await new ScriptedUpstream({ models: ['llama3.2:3b', 'qwen2.5:7b'], ollama: true }).start();
  lmstudio = await new ScriptedUpstream({ models: ['local-model'] }).start();
  silent = await new ScriptedUpstream().start();
  silent.on('GET', '/v1/models', () => new Promise<void>(() => {})); // accepts, never answers
});
afterAll(async () => {
  await Promise.all([ollama.stop(), lmstudio.stop(), silent.stop()]);
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const port = (u: ScriptedUpstream) => new URL(u.url).port;
  return {
    AGENTDESK_DISCOVERY_PORTS: `ollama=${port(ollama)},lmstudio=${port(lmstudio)},vllm=${port(silent)}`,
    ...extra,
  };
}

describe('discoveryTargets', () => {
  it('probes every local type on its usual port unless overridden', () => {
    expect(discoveryTargets({}).map(([e, url]) => `${e.type} ${url}`)).toEqual([
      'ollama http://127.0.0.1:11434',
      'lmstudio http://127.0.0.1:1234/v1',
      'llamacpp http://127.0.0.1:8080/v1',
      'vllm http://127.0.0.1:8000/v1',
      'jan http://127.0.0.1:1337/v1',
    ]);
    expect(
      discoveryTargets({ AGENTDESK_DISCOVERY_PORTS: 'jan=4242, junk, vllm = 9' }).map(([, u]) => u),
    ).toContain('http://127.0.0.1:4242/v1');
  });
});

describe('discover', () => {
  it('finds answering local servers in parallel within 1.5 s, even with a silent one', async () => {
    const t = performance.now();
    const d = await discover({
      known: [{ id: 'my-ollama', type: 'ollama', base_url: ollama.url.replace('127.0.0.1', 'localhost') }],
      redactor: new SecretRedactor(),
      env: env(),
    });
    expect(performance.now() - t).toBeLessThan(1500);
    expect(d.duration_ms).toBeLessThan(1500);
    const byType = Object.fromEntries(d.servers.map((s) => [s.type, s]));
    expect(byType.ollama).toMatchObject({
      label: 'Ollama',
      base_url: ollama.url,
      model_count: 2,
      models: ['llama3.2:3b', 'qwen2.5:7b'],
      added_as: 'my-ollama',
    });
    expect(byType.lmstudio).toMatchObject({ base_url: lmstudio.v1, model_count: 1, added_as: null });
    expect(byType.vllm).toBeUndefined();
    expect(d.probed).toContain(`${ollama.url}/api/tags`);
    expect(d.probed).toHaveLength(5);
    expect(silent.requestsTo('/v1/models')).toHaveLength(1);
  });

  it('reports which variable holds a key, never the key, and registers it for redaction', async () => {
    const redactor = new SecretRedactor();
    const openai = 'sk-test-discovered-abcdef123456';
    const d = await discover({
      known: [{ id: 'work-openai', type: 'openai', base_url: 'https://api.openai.com/v1' }],
      redactor,
      env: env({ OPENAI_API_KEY: openai, GOOGLE_API_KEY: 'AIza-test-google-key-0000', GROQ_API_KEY: '  ' }),
    });
    expect(d.keys).toEqual([
      { type: 'openai', label: 'OpenAI', env_var: 'OPENAI_API_KEY', last4: '3456', added_as: 'work-openai' },
      { type: 'gemini', label: 'Google Gemini', env_var: 'GOOGLE_API_KEY', last4: '0000', added_as: null },
    ]);
    expect(JSON.stringify(d)).not.toContain(openai);
    expect(redactor.scrub(`x ${openai} y`)).toBe('x [REDACTED] y');
  });
});
