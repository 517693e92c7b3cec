// Unit tests of the create form's checks before sending: name, typed emoji, model, limits, and the input made.
import { describe, expect, it } from 'vitest';
import { sampleAgent } from '../../test/fake-client';
import { checkDraft, newDraft } from './create-form';

const ctx = {
  agents: [sampleAgent({ name: 'Helper', slug: 'helper' })],
  frameworkEmoji: '🤖',
  typedEmojiValid: true,
};

describe('checkDraft', () => {
  it('makes the create input with the framework emoji by default and without the model among fallbacks', () => {
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
        framework: 'builtin',
        model: 'scripted/a',
        fallbacks: ['scripted/b'],
        memory_mib: 2048,
        cpus: 0.5,
        egress: 'none',
        allow: [],
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
