// Unit tests of the Agents selectors: deploy steps and fraction, create-error placement, model groups, relative time.
import { describe, expect, it } from 'vitest';
import { SAMPLE_LLM_STATUS } from '../../test/fake-client';
import { splitCreateErrors } from './field-errors';
import { deployView, modelGroups, noModelReason, rowActions } from './selectors';

const shown = (
  code: 'INVALID_INPUT' | 'CONFLICT' | 'UNAVAILABLE',
  message: string,
  details?: Record<string, unknown>,
) => ({
  code,
  message,
  unreachable: false,
  ...(details ? { details } : {}),
});

describe('deployView', () => {
  it('marks earlier steps done, the current one, and uses the core fraction and message of the current phase', () => {
    const v = deployView(
      { phase: 'provisioning', phase_reason: null },
      { id: 'a', phase: 'provisioning', fraction: 0.4, message: 'Importing the image (40 %)' },
      'provisioning',
    );
    expect(v.steps.map((s) => s.state)).toEqual(['done', 'current', 'todo', 'todo', 'todo']);
    expect(v.fraction).toBe(0.4);
    expect(v.message).toBe('Importing the image (40 %)');
    expect(v.outcome).toBe('deploying');
  });

  it('ignores a progress line of an earlier phase', () => {
    const v = deployView(
      { phase: 'verifying', phase_reason: null },
      { id: 'a', phase: 'starting', fraction: 0.5, message: 'old' },
      'verifying',
    );
    expect(v.fraction).toBe(0.75);
    expect(v.message).toContain('gateway');
  });

  it('shows a failure at the step it stopped at, with the reason', () => {
    const v = deployView(
      { phase: 'failed', phase_reason: 'The runtime never answered' },
      undefined,
      'verifying',
    );
    expect(v.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed', 'todo']);
    expect(v.message).toBe('The runtime never answered');
    expect(v.outcome).toBe('failed');
  });

  it('is complete when running', () => {
    const v = deployView({ phase: 'running', phase_reason: null }, undefined, undefined);
    expect(v.steps.every((s) => s.state === 'done')).toBe(true);
    expect(v.fraction).toBe(1);
  });
});

describe('splitCreateErrors', () => {
  it('places schema issues under their fields, fallbacks numbered from 1', () => {
    const r = splitCreateErrors(
      shown('INVALID_INPUT', 'Invalid input for agents.create: …', {
        issues: [
          { path: 'name', message: 'the name is empty' },
          { path: 'fallbacks[1]', message: 'Too small' },
          { path: 'memory_mib', message: 'Too big: expected number to be <=65536' },
        ],
      }),
    );
    expect(r.fields).toEqual({
      name: 'the name is empty',
      fallbacks: 'Fallback 2: Too small',
      memory_mib: 'Too big: expected number to be <=65536',
    });
    expect(r.rest).toBeNull();
  });

  it('places the service’s "field: …" messages and a taken name', () => {
    expect(
      splitCreateErrors(shown('INVALID_INPUT', 'model: "x" must be <provider-id>/<model-id>')).fields,
    ).toEqual({
      model: '"x" must be <provider-id>/<model-id>',
    });
    expect(splitCreateErrors(shown('INVALID_INPUT', 'fallbacks.0: "y" must be …')).fields).toEqual({
      fallbacks: 'Fallback 1: "y" must be …',
    });
    const taken = 'An agent named "Helper" already uses the name helper; choose another name';
    expect(splitCreateErrors(shown('CONFLICT', taken)).fields).toEqual({ name: taken });
  });

  it('keeps what names no field as a form error', () => {
    const e = shown('INVALID_INPUT', 'The agent record could not be written; try again');
    expect(splitCreateErrors(e)).toEqual({ fields: {}, rest: e });
    // The runtime is a field of the form (chosen per agent): its refusal goes under it.
    const r = shown('INVALID_INPUT', 'runtime: incus is not available here; valid: docker');
    expect(splitCreateErrors(r).fields.runtime).toMatch(/incus is not available here; valid: docker/);
    const u = shown('UNAVAILABLE', 'Docker is not reachable');
    expect(splitCreateErrors(u).rest).toBe(u);
  });
});

describe('modelGroups and noModelReason', () => {
  it('groups served models by provider, with provider names when known', () => {
    const g = modelGroups(['zeta/m2', 'openai/gpt-b', 'openai/gpt-a'], { openai: 'OpenAI' });
    expect(g).toEqual([
      { provider: 'openai', label: 'OpenAI', models: ['openai/gpt-a', 'openai/gpt-b'] },
      { provider: 'zeta', label: 'zeta', models: ['zeta/m2'] },
    ]);
  });

  it('says why no model can be picked', () => {
    expect(noModelReason(SAMPLE_LLM_STATUS)).toBeNull();
    const idle = {
      ...SAMPLE_LLM_STATUS,
      litellm: { ...SAMPLE_LLM_STATUS.litellm, state: 'idle' as const, models: [] },
    };
    expect(noModelReason(idle)).toContain('no provider has models');
    expect(noModelReason(null)).toContain('Reading');
  });
});

describe('rowActions', () => {
  it('offers what the phase allows, and nothing while an action runs', () => {
    expect(rowActions({ phase: 'running' }, false)).toMatchObject({
      stop: true,
      start: false,
      chat: true,
      archive: true,
    });
    expect(rowActions({ phase: 'failed' }, false)).toMatchObject({ retry: true, logs: true, chat: false });
    expect(rowActions({ phase: 'provisioning' }, false)).toMatchObject({
      stop: false,
      archive: false,
      retry: false,
    });
    expect(rowActions({ phase: 'running' }, true)).toMatchObject({ stop: false, archive: false });
  });
});
