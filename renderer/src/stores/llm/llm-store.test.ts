// Unit tests of the LLM store against a fake core: status load and live pushes, "Test model" outcomes, derived views.
import { describe, expect, it } from 'vitest';
import type { LlmStatus, LlmTestResult } from '../../../../contract/llm';
import { createFakeCore, FakeCoreError, SAMPLE_LLM_STATUS } from '../../test/fake-client';
import {
  createLlmStore,
  litellmBadge,
  selectRestartInMs,
  selectTestAvailability,
  selectUptimeMs,
  testOutcome,
} from './index';

function setup(): { core: ReturnType<typeof createFakeCore>; store: ReturnType<typeof createLlmStore> } {
  const core = createFakeCore();
  return { core, store: createLlmStore(() => core.client) };
}

function withLitellm(over: Partial<LlmStatus['litellm']>): LlmStatus {
  return { ...SAMPLE_LLM_STATUS, litellm: { ...SAMPLE_LLM_STATUS.litellm, ...over } };
}

const STARTING = withLitellm({
  state: 'starting',
  detail: 'Starting LiteLLM (4 s)',
  ready_at: null,
  uptime_ms: null,
});

const PASSED: LlmTestResult = {
  ok: true,
  model: 'scripted/gpt-test-mini',
  reply: 'OK',
  latency_ms: 42,
  http_status: 200,
  error: null,
  tokens_in: 12,
  tokens_out: 1,
};

describe('llm store', () => {
  it('loads the status through llm.status', async () => {
    const { core, store } = setup();
    await store.getState().load();
    expect(core.calls).toEqual([{ channel: 'llm.status', input: {} }]);
    expect(store.getState().status).toEqual(SAMPLE_LLM_STATUS);
    expect(store.getState().loading).toBe(false);
  });

  it('follows the llm.status event, and a slower answer never replaces a newer push', async () => {
    const { core, store } = setup();
    const off = store.getState().follow();
    let answer: (v: LlmStatus) => void = () => undefined;
    core.handle('llm.status', () => new Promise<LlmStatus>((r) => (answer = r)));
    const pending = store.getState().load();
    core.emit('llm.status', SAMPLE_LLM_STATUS);
    answer(STARTING);
    await pending;
    expect(store.getState().status?.litellm.state).toBe('ready');
    core.emit('llm.status', STARTING);
    expect(store.getState().status?.litellm.state).toBe('starting');
    off();
    expect(core.listenerCount('llm.status')).toBe(0);
  });

  it('keeps the last status and records the error when llm.status fails', async () => {
    const { core, store } = setup();
    await store.getState().load();
    core.handle('llm.status', () => {
      throw new FakeCoreError({ code: 'INTERNAL', message: 'boom' });
    });
    await store.getState().load();
    expect(store.getState().status).toEqual(SAMPLE_LLM_STATUS);
    expect(store.getState().loadError).toMatchObject({ code: 'INTERNAL', message: 'boom' });
  });

  it('runs a test with the trimmed prompt, or without one when it is blank, and shows it as passed', async () => {
    const { core, store } = setup();
    core.handle('llm.testModel', () => PASSED);
    const pending = store.getState().testModel('scripted/gpt-test-mini', '  Say hi  ');
    expect(testOutcome(store.getState().test)).toBe('running');
    // A second click while one runs is ignored.
    await store.getState().testModel('scripted/gpt-4o-mini');
    await pending;
    await store.getState().testModel('scripted/gpt-test-mini', '   ');
    expect(core.calls.filter((c) => c.channel === 'llm.testModel').map((c) => c.input)).toEqual([
      { model: 'scripted/gpt-test-mini', prompt: 'Say hi' },
      { model: 'scripted/gpt-test-mini' },
    ]);
    expect(store.getState().test).toEqual({
      running: false,
      model: 'scripted/gpt-test-mini',
      result: PASSED,
      error: null,
      runs: 2,
    });
    expect(testOutcome(store.getState().test)).toBe('passed');
  });

  it('clears a finished test result when LiteLLM restarts or is replaced, not on other pushes', async () => {
    const { core, store } = setup();
    core.handle('llm.testModel', () => PASSED);
    store.getState().follow();
    const readyAt = SAMPLE_LLM_STATUS.litellm.ready_at;
    core.emit('llm.status', SAMPLE_LLM_STATUS);
    await store.getState().testModel('scripted/gpt-test-mini');
    // Same LiteLLM, new counters: the result stays.
    core.emit('llm.status', withLitellm({ uptime_ms: 99_000 }));
    expect(testOutcome(store.getState().test)).toBe('passed');
    // It crashed and comes back: the result was about a process that is gone.
    core.emit('llm.status', withLitellm({ state: 'restarting', ready_at: null }));
    expect(testOutcome(store.getState().test)).toBe('none');
    expect(store.getState().test.runs).toBe(1);
    await store.getState().testModel('scripted/gpt-test-mini');
    core.emit('llm.status', withLitellm({ ready_at: (readyAt ?? 0) + 60_000 }));
    expect(testOutcome(store.getState().test)).toBe('none');
  });

  it('shows ok:false as a failed test and a thrown AppError as an error', async () => {
    const { core, store } = setup();
    const failed: LlmTestResult = {
      ...PASSED,
      ok: false,
      reply: null,
      http_status: 401,
      error: 'AuthenticationError: invalid key',
      tokens_in: null,
      tokens_out: null,
    };
    core.handle('llm.testModel', () => failed);
    await store.getState().testModel('scripted/gpt-test-mini');
    expect(testOutcome(store.getState().test)).toBe('failed');
    expect(store.getState().test.result).toEqual(failed);

    core.handle('llm.testModel', () => {
      throw new FakeCoreError({ code: 'NOT_FOUND', message: 'Model "x" is not served. Served models: a, b' });
    });
    await store.getState().testModel('x');
    expect(testOutcome(store.getState().test)).toBe('error');
    expect(store.getState().test).toMatchObject({
      model: 'x',
      result: null,
      error: { code: 'NOT_FOUND', message: 'Model "x" is not served. Served models: a, b' },
    });
  });
});

describe('llm selectors', () => {
  it('ticks the uptime from the time the status arrived, only while ready', () => {
    const s = { status: SAMPLE_LLM_STATUS, receivedAt: 1_000_000 };
    expect(selectUptimeMs(s, 1_000_000)).toBe(65_000);
    expect(selectUptimeMs(s, 1_003_000)).toBe(68_000);
    expect(selectUptimeMs({ status: STARTING, receivedAt: 1_000_000 }, 1_003_000)).toBeNull();
  });

  it('counts down to the next restart while restarting, never below zero', () => {
    const status = withLitellm({ state: 'restarting', next_restart_at: 50_000 });
    expect(selectRestartInMs({ status }, 47_500)).toBe(2_500);
    expect(selectRestartInMs({ status }, 60_000)).toBe(0);
    expect(selectRestartInMs({ status: SAMPLE_LLM_STATUS }, 47_500)).toBeNull();
  });

  it('says why Test model is unavailable', () => {
    expect(selectTestAvailability({ status: SAMPLE_LLM_STATUS })).toEqual({
      models: SAMPLE_LLM_STATUS.litellm.models,
      canPick: true,
      canTest: true,
      reason: null,
    });
    const idle = selectTestAvailability({ status: withLitellm({ state: 'idle', models: [] }) });
    expect(idle).toMatchObject({ canPick: false, canTest: false });
    expect(idle.reason).toContain('Providers page');
    const starting = selectTestAvailability({ status: STARTING });
    expect(starting).toMatchObject({ canPick: true, canTest: false });
    expect(starting.reason).toContain('starting');
    expect(selectTestAvailability({ status: null }).canTest).toBe(false);
  });

  it('labels every LiteLLM state', () => {
    expect(litellmBadge('failed')).toEqual({ tone: 'danger', label: 'Failed' });
    expect(litellmBadge('missing')).toEqual({ tone: 'warn', label: 'Not installed' });
    expect(litellmBadge('ready').tone).toBe('ok');
  });
});
