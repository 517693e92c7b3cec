// Unit tests of the Settings store against a fake core: edits, patches, inline errors, remote changes.
import { describe, expect, it } from 'vitest';
import { createFakeCore, FakeCoreError, SAMPLE_SETTINGS } from '../../test/fake-client';
import { createSettingsStore, selectDirty, selectDraft, selectPatch } from './index';
import { splitFieldErrors } from './field-errors';

async function setup(): Promise<{
  core: ReturnType<typeof createFakeCore>;
  store: ReturnType<typeof createSettingsStore>;
}> {
  const core = createFakeCore();
  const store = createSettingsStore(() => core.client);
  await store.getState().load();
  return { core, store };
}

describe('settings store', () => {
  it('loads settings and starts clean', async () => {
    const { store } = await setup();
    expect(store.getState().saved).toEqual(SAMPLE_SETTINGS);
    expect(selectDirty(store.getState())).toBe(false);
  });

  it('sends only the fields that differ, then is clean again', async () => {
    const { core, store } = await setup();
    store.getState().edit('theme', 'dark');
    store.getState().edit('container_runtime', 'docker');
    expect(selectPatch(store.getState())).toEqual({ theme: 'dark' });
    expect(selectDraft(store.getState())?.theme).toBe('dark');
    expect(await store.getState().save()).toBe(true);
    expect(core.calls.at(-1)).toEqual({ channel: 'settings.update', input: { theme: 'dark' } });
    expect(store.getState().saved?.theme).toBe('dark');
    expect(selectDirty(store.getState())).toBe(false);
    expect(store.getState().savedAt).not.toBeNull();
  });

  it('shows the core’s INVALID_INPUT issues under the fields they name and keeps the edit', async () => {
    const { core, store } = await setup();
    core.handle('settings.update', () => {
      throw new FakeCoreError({
        code: 'INVALID_INPUT',
        message:
          'Invalid input for settings.update: trace_retention_days: must be a whole number from 1 to 3,650 (days)',
        details: {
          // 0.5 fails both the whole-number and the minimum check: one refusal, said once.
          issues: [
            { path: 'trace_retention_days', message: 'must be a whole number from 1 to 3,650 (days)' },
            { path: 'trace_retention_days', message: 'must be a whole number from 1 to 3,650 (days)' },
          ],
        },
      });
    });
    store.getState().edit('trace_retention_days', 0.5);
    expect(await store.getState().save()).toBe(false);
    expect(store.getState().fieldErrors).toEqual({
      trace_retention_days: 'Must be a whole number from 1 to 3,650 (days)',
    });
    expect(store.getState().saveError).toBeNull();
    expect(selectDraft(store.getState())?.trace_retention_days).toBe(0.5);
    store.getState().edit('trace_retention_days', 7);
    expect(store.getState().fieldErrors).toEqual({});
  });

  it('refuses an empty day count locally without calling the core', async () => {
    const { core, store } = await setup();
    const before = core.calls.length;
    store.getState().edit('trace_retention_days', Number.NaN);
    expect(await store.getState().save()).toBe(false);
    expect(store.getState().fieldErrors.trace_retention_days).toMatch(/number of days/);
    expect(core.calls.length).toBe(before);
  });

  it('keeps an error that names no field as a form error', async () => {
    const { core, store } = await setup();
    core.handle('settings.update', () => {
      throw new FakeCoreError({ code: 'INTERNAL', message: 'Disk full' });
    });
    store.getState().edit('start_hidden', true);
    await store.getState().save();
    expect(store.getState().saveError).toMatchObject({ code: 'INTERNAL', message: 'Disk full' });
  });

  it('takes settings.changed from elsewhere and keeps unsaved edits of other fields', async () => {
    const { core, store } = await setup();
    store.getState().follow();
    store.getState().edit('litellm_command', '/opt/litellm/bin/litellm');
    core.emit('settings.changed', { ...SAMPLE_SETTINGS, theme: 'light' });
    expect(store.getState().saved?.theme).toBe('light');
    expect(selectPatch(store.getState())).toEqual({ litellm_command: '/opt/litellm/bin/litellm' });
  });

  it('revert drops edits and errors', async () => {
    const { store } = await setup();
    store.getState().edit('theme', 'dark');
    store.getState().revert();
    expect(selectDirty(store.getState())).toBe(false);
  });
});

describe('splitFieldErrors', () => {
  it('falls back to a field named in the message', () => {
    const r = splitFieldErrors({
      code: 'CONFLICT',
      message: 'litellm_command: not executable',
      unreachable: false,
    });
    expect(r).toEqual({ fields: { litellm_command: 'litellm_command: not executable' }, rest: null });
  });

  it('keeps issues that name no field as the remainder', () => {
    const error = {
      code: 'INVALID_INPUT' as const,
      message: 'x',
      unreachable: false,
      details: {
        issues: [
          { path: 'theme', message: 'bad' },
          { path: '(input)', message: 'unknown key "foo"' },
        ],
      },
    };
    expect(splitFieldErrors(error)).toEqual({ fields: { theme: 'Bad' }, rest: error });
  });
});
