// Component tests of the LiteLLM/gateway panel in a DOM: what a user sees per state.
// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { LlmStatus, LlmTestResult } from '../../../../contract/llm';
import { initialLlmState } from '../../stores/llm/initial-state';
import { render, within } from '../../test/dom';
import { SAMPLE_LLM_STATUS } from '../../test/fake-client';
import { LlmPanelView } from './LlmPanel';

function withLitellm(over: Partial<LlmStatus['litellm']>): LlmStatus {
  return { ...SAMPLE_LLM_STATUS, litellm: { ...SAMPLE_LLM_STATUS.litellm, ...over } };
}

/** Renders both cards for `status` and the last `test`, as just received; queries look only there. */
function show(status: LlmStatus | null, test = initialLlmState.test) {
  const { container } = render(
    <LlmPanelView
      status={status}
      receivedAt={Date.now()}
      loadError={null}
      test={test}
      onTest={() => undefined}
    />,
  );
  const q = within(container);
  return { ...q, text: container.textContent ?? '', byId: (id: string) => q.getByTestId(id) };
}

const disabled = (el: HTMLElement): boolean => (el as HTMLButtonElement | HTMLSelectElement).disabled;

describe('LlmPanel', () => {
  it('shows the address each runtime’s agents call (a Docker bridge address), not only 127.0.0.1', () => {
    const panel = show({
      ...SAMPLE_LLM_STATUS,
      gateway: {
        ...SAMPLE_LLM_STATUS.gateway,
        agent_urls: [
          { runtime: 'docker', url: 'http://172.30.0.1:4100/v1' },
          { runtime: 'incus', url: 'http://127.0.0.1:4000/v1' },
        ],
      },
    });
    expect(panel.byId('gateway-agent-url-docker').textContent).toContain('http://172.30.0.1:4100/v1');
    expect(panel.text).toMatch(/Docker agents call/);
    expect(panel.byId('gateway-agent-url-incus').textContent).toContain('inside the container');
    expect(show(SAMPLE_LLM_STATUS).text).not.toContain('agents call');
  });

  it('shows a ready LiteLLM with port, PID, version, uptime, model count, paths and the gateway URL', () => {
    const panel = show(SAMPLE_LLM_STATUS);
    expect(panel.byId('litellm').getAttribute('data-state')).toBe('ready');
    panel.getByText('Ready');
    expect(panel.text).toContain('127.0.0.1:41001');
    expect(panel.text).toContain('5151');
    expect(panel.text).toContain('1.74.0');
    expect(panel.byId('litellm-uptime').textContent).toBe('1 min 5 s');
    expect(panel.text).toContain('2 models');
    expect(panel.text).toContain('/tmp/agentdesk-home/litellm/config-1.yaml');
    expect(panel.text).toContain('openai: the key is missing');
    expect(panel.text).toContain('http://127.0.0.1:4100/v1');
    // Ready and not failed: the stderr block is there but closed; Test is enabled with no reason shown.
    expect((panel.byId('litellm-stderr') as HTMLDetailsElement).open).toBe(false);
    expect(panel.byId('litellm-stderr').getAttribute('data-lines')).toBe('2');
    expect(disabled(panel.byId('test-model-run'))).toBe(false);
    expect(panel.queryByTestId('test-model-reason')).toBeNull();
  });

  it('opens the stderr block and shows the last error when LiteLLM failed', () => {
    const panel = show(
      withLitellm({
        state: 'failed',
        detail: 'Gave up after 5 crashes in 5 minutes: exit code 1',
        last_error: 'exit code 1',
        recent_crashes: 5,
        restarts: 4,
        stderr_tail: ['Traceback (most recent call last):', 'ImportError: no module named x'],
      }),
    );
    expect((panel.byId('litellm-stderr') as HTMLDetailsElement).open).toBe(true);
    expect(panel.text).toContain('ImportError: no module named x');
    expect(panel.text).toContain('exit code 1');
    expect(panel.text).toContain('4 restarts · 5 crashes in the last 5 min');
    expect(disabled(panel.byId('test-model-run'))).toBe(true);
  });

  it('disables the model select with the reason when no model is served', () => {
    const panel = show(withLitellm({ state: 'idle', models: [], port: null, pid: null, config_file: null }));
    expect(disabled(panel.byId('test-model-select'))).toBe(true);
    expect(panel.byId('test-model-reason').textContent).toMatch(/^No model is served yet/);
    expect(panel.text).toContain('0 models');
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
    const panel = show(SAMPLE_LLM_STATUS, {
      running: false,
      model: failed.model,
      result: failed,
      error: null,
      runs: 1,
    });
    expect(panel.byId('test-model-result').getAttribute('data-outcome')).toBe('failed');
    expect(panel.text).toContain('HTTP 401');
    expect(panel.text).toContain('AuthenticationError: invalid key');
  });
});
