// Unit tests of the create form's checks before sending: name, typed emoji, model, limits, and the input made.
import { describe, expect, it } from 'vitest';
import { sampleAgent } from '../../test/fake-client';
import { checkDraft, newDraft } from './create-form';

const ctx = {
  agents: [sampleAgent({ name: 'Helper', slug: 'helper' })],
  harnessEmoji: '🤖',
  typedEmojiValid: true,
};

describe('checkDraft', () => {
  it('makes the create input with the harness emoji by default and without the model among fallbacks', () => {
    const draft = {
      ...newDraft('builtin', 'scripted/a'),
      name: '  Fox  ',
      fallbacks: ['scripted/b', 'scripted/a'],
      memory: '2048',
      cpus: '0.5',
    };
    expect(checkDraft(draft, ctx)).toEqual({
      errors: {},
      input: {
        name: 'Fox',
        emoji: '🤖',
        harness: 'builtin',
        model: 'scripted/a',
        fallbacks: ['scripted/b'],
        memory_mib: 2048,
        cpus: 0.5,
        egress: 'none',
        allow: [],
        tools: true,
      },
    });
    expect(checkDraft({ ...draft, emoji: '🦊' }, ctx).input?.emoji).toBe('🦊');
    // The runtime is sent only when chosen: untouched, the core takes the one Settings names.
    expect(checkDraft({ ...draft, runtime: 'incus' }, ctx).input?.runtime).toBe('incus');
  });

  it('refuses a name without a letter or digit before sending, as the core does', () => {
    const r = checkDraft({ ...newDraft('builtin', 'scripted/a'), name: '!!!' }, ctx);
    expect(r.input).toBeNull();
    expect(r.errors.name).toBe('The name needs at least one letter or digit');
    expect(
      checkDraft({ ...newDraft('builtin', 'scripted/a'), name: '研究 2' }, ctx).errors.name,
    ).toBeUndefined();
  });

  it('sends no instructions for a harness that applies none, even if typed before switching to it', () => {
    const draft = {
      ...newDraft('claude-code', 'scripted/a'),
      name: 'Coder',
      instructions: { systemPrompt: 'Be terse.', temperature: '0.2', tools: false },
    };
    const input = checkDraft(draft, { ...ctx, harnessInstructions: false }).input;
    expect(input).not.toBeNull();
    expect(input).not.toHaveProperty('system_prompt');
    expect(input).not.toHaveProperty('temperature');
    expect(input).not.toHaveProperty('tools');
    expect(checkDraft(draft, ctx).input).toMatchObject({
      system_prompt: 'Be terse.',
      temperature: 0.2,
      tools: false,
    });
  });

  it('sends the spend limits typed, leaves empty ones to the Settings defaults, and names a bad one with its range', () => {
    const draft = { ...newDraft('builtin', 'scripted/a'), name: 'Budgeted' };
    const typed = checkDraft({ ...draft, limits: { day: '2.5', month: '', rpm: '30' } }, ctx);
    expect(typed.input).toMatchObject({ budget_day_usd: 2.5, rpm: 30 });
    expect(typed.input).not.toHaveProperty('budget_month_usd');
    expect(checkDraft(draft, ctx).input).not.toHaveProperty('budget_day_usd');
    const bad = checkDraft({ ...draft, limits: { day: '-1', month: 'lots', rpm: '0.5' } }, ctx);
    expect(bad.input).toBeNull();
    expect(bad.errors).toEqual({
      budget_day_usd:
        'The daily budget must be an amount of USD from 0 to 1 000 000, or empty for the Settings default; “-1” is not',
      budget_month_usd:
        'The monthly budget must be an amount of USD from 0 to 1 000 000, or empty for the Settings default; “lots” is not',
      rpm: 'Requests per minute must be a whole number from 1 to 100 000, or empty for the Settings default; “0.5” is not',
    });
  });

  it('names every field that is wrong and what is valid', () => {
    const r = checkDraft(
      { ...newDraft('builtin'), name: 'helper', memory: '64', cpus: 'two' },
      {
        ...ctx,
        typedEmojiValid: false,
      },
    );
    expect(r.input).toBeNull();
    expect(r.errors).toEqual({
      name: 'An agent named “Helper” already uses the name helper; choose another name',
      emoji: 'Fix the typed emoji, or pick one',
      model: 'Pick a model',
      memory_mib: 'Memory must be a whole number of MiB from 128 to 65536; “64” is not',
      cpus: 'CPUs must be a number from 0.1 to 64 (e.g. 0.5 or 2); “two” is not',
    });
    expect(checkDraft({ ...newDraft('builtin', 'm/x'), name: ' ' }, ctx).errors.name).toBe(
      'Give the agent a name',
    );
    expect(
      checkDraft({ ...newDraft('builtin', 'm/x'), name: 'a', memory: '512.5' }, ctx).errors.memory_mib,
    ).toContain('whole number');
  });

  it('refuses a memory limit below what the chosen harness needs, naming it', () => {
    const draft = { ...newDraft('claude-code', 'scripted/a', 2048), name: 'Fox', memory: '512' };
    expect(newDraft('claude-code', '', 2048).memory).toBe('2048');
    const r = checkDraft(draft, { ...ctx, harnessMemory: { label: 'Claude Code', min_mib: 768 } });
    expect(r.input).toBeNull();
    expect(r.errors.memory_mib).toBe('Claude Code needs at least 768 MiB; below that the kernel kills it');
    expect(
      checkDraft(
        { ...draft, memory: '768' },
        { ...ctx, harnessMemory: { label: 'Claude Code', min_mib: 768 } },
      ).input?.memory_mib,
    ).toBe(768);
  });

  it('sends the egress mode and allowlist; an allowlist without entries is refused before sending', () => {
    const draft = { ...newDraft('builtin', 'scripted/a'), name: 'Fox' };
    expect(
      checkDraft({ ...draft, egress: 'allowlist', allow: ['api.example.com:443'] }, ctx).input,
    ).toMatchObject({
      egress: 'allowlist',
      allow: ['api.example.com:443'],
    });
    const r = checkDraft({ ...draft, egress: 'allowlist', allow: [] }, ctx);
    expect(r.input).toBeNull();
    expect(r.errors.allow).toBe('Add at least one host to the allowlist, or choose None');
  });
});
