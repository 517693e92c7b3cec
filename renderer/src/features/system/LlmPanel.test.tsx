// Component tests of the LiteLLM/gateway panel, rendered to HTML (no DOM needed): what a user sees per state.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { LlmStatus, LlmTestResult } from '../../../../contract/llm';
import { initialLlmState } from '../../stores/llm/initial-state';
import { SAMPLE_LLM_STATUS } from '../../test/fake-client';
import { LlmPanelView } from './LlmPanel';

function withLitellm(over: Partial<LlmStatus['litellm']>): LlmStatus {
  return { ...SAMPLE_LLM_STATUS, litellm: { ...SAMPLE_LLM_STATUS.litellm, ...over } };
}

/** Renders both cards for `status` and the last `test`, as just received. */
function render(status: LlmStatus | null, test = initialLlmState.test): string {
  return renderToStaticMarkup(
    <LlmPanelView
      status={status}
      receivedAt={Date.now()}
      loadError={null}
      test={test}
      onTest={() => undefined}
    />,
  );
}

/** The opening tag of the element with `data-testid="<id>"`. */
function tagOf(html: string, id: string): string {
  const m = new RegExp(`<[^>]*data-testid="${id}"[^>]*>`).exec(html);
  if (!m) throw new Error(`no element with data-testid="${id}"`);
  return m[0];
}

describe('LlmPanel', () => {
  it('shows the address each runtime’s agents call (a Docker bridge address), not only 127.0.0.1', () => {
    const html = render({
      ...SAMPLE_LLM_STATUS,
      gateway: {
        ...SAMPLE_LLM_STATUS.gateway,
        agent_urls: [
          { runtime: 'docker', url: 'http://172.30.0.1:4100/v1' },
          { runtime: 'incus', url: 'http://127.0.0.1:4000/v1' },
        ],
      },
    });
    expect(html).toMatch(/data-testid="gateway-agent-url-docker"[^]*http:\/\/172\.30\.0\.1:4100\/v1/);
    expect(html).toMatch(/Docker agents call/);
    expect(html).toMatch(/data-testid="gateway-agent-url-incus"[^]*inside the container/);
    expect(render(SAMPLE_LLM_STATUS)).not.toContain('agents call');
  });

  it('shows a ready LiteLLM with port, PID, version, uptime, model count, paths and the gateway URL', () => {
    const html = render(SAMPLE_LLM_STATUS);
    expect(tagOf(html, 'litellm')).toContain('data-state="ready"');
    expect(html).toContain('>Ready<');
    expect(html).toContain('127.0.0.1:41001');
    expect(html).toContain('5151');
    expect(html).toContain('1.74.0');
    expect(html).toMatch(/data-testid="litellm-uptime">1 min 5 s</);
    expect(html).toContain('2 models');
    expect(html).toContain('/tmp/agentdesk-home/litellm/config-1.yaml');
    expect(html).toContain('openai: the key is missing');
    expect(html).toContain('http://127.0.0.1:4100/v1');
    // Ready and not failed: the stderr block is there but closed; Test is enabled with no reason shown.
    expect(tagOf(html, 'litellm-stderr')).not.toContain(' open=');
    expect(tagOf(html, 'litellm-stderr')).toContain('data-lines="2"');
    expect(tagOf(html, 'test-model-run')).not.toContain('disabled');
    expect(html).not.toContain('data-testid="test-model-reason"');
  });

  it('opens the stderr block and shows the last error when LiteLLM failed', () => {
    const html = render(
      withLitellm({
        state: 'failed',
        detail: 'Gave up after 5 crashes in 5 minutes: exit code 1',
        last_error: 'exit code 1',
        recent_crashes: 5,
        restarts: 4,
        stderr_tail: ['Traceback (most recent call last):', 'ImportError: no module named x'],
      }),
    );
    expect(tagOf(html, 'litellm-stderr')).toContain(' open=');
    expect(html).toContain('ImportError: no module named x');
    expect(html).toContain('exit code 1');
    expect(html).toContain('4 restarts · 5 crashes in the last 5 min');
    expect(tagOf(html, 'test-model-run')).toContain('disabled');
  });

  it('disables the model select with the reason when no model is served', () => {
    const html = render(withLitellm({ state: 'idle', models: [], port: null, pid: null, config_file: null }));
    expect(tagOf(html, 'test-model-select')).toContain('disabled');
    expect(html).toMatch(/data-testid="test-model-reason"[^>]*>No model is served yet/);
    expect(html).toContain('0 models');
  });

  it('shows ok:false as a failed test with the error line and HTTP status', () => {
    const failed: LlmTestResult = {
      ok: false,
      model: 'scripted/gpt-test-mini',
      reply: null,
      latency_ms: 31,
      http_status: 401,
      error: 'AuthenticationError: invalid key',
      tokens_in: null,
      tokens_out: null,
    };
    const html = render(SAMPLE_LLM_STATUS, {
      running: false,
      model: failed.model,
      result: failed,
      error: null,
      runs: 1,
    });
    expect(tagOf(html, 'test-model-result')).toContain('data-outcome="failed"');
    expect(html).toContain('HTTP 401');
    expect(html).toContain('AuthenticationError: invalid key');
  });
});
