// The dispatcher: input validation by path, unknown methods, handler errors, output stripping.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AppError } from '../../contract/errors';
import type { Settings } from '../../contract/settings';
import { DEFAULT_SETTINGS } from '../services/settings/schema';
import { Dispatcher } from './dispatch';
import type { Handlers } from '../../contract/handlers';

const log = pino({ level: 'silent' });

function handlers(overrides: Partial<Handlers['settings']> = {}): Handlers {
  return {
    system: {
      health: () => ({ components: [], checked_at: 1 }),
      info: () => ({
        version: '0',
        data_dir: '/x',
        platform: 'linux',
        mode: 'headless',
        pid: 1,
        started_at: 1,
        schema_version: 1,
      }),
    },
    settings: { get: () => DEFAULT_SETTINGS, update: (p) => ({ ...DEFAULT_SETTINGS, ...p }), ...overrides },
    providers: unused<'providers'>([
      'catalog',
      'discover',
      'list',
      'add',
      'get',
      'edit',
      'test',
      'models',
      'remove',
    ]),
    llm: unused<'llm'>(['status', 'testModel']),
    setup: unused<'setup'>(['status', 'fix', 'complete']),
    agents: unused<'agents'>([
      'list',
      'create',
      'get',
      'start',
      'stop',
      'restart',
      'logs',
      'archive',
      'restore',
      'chat',
      'threads',
      'thread',
      'purge',
    ]),
    traces: unused<'traces'>(['list', 'totals']),
    harnesses: unused<'harnesses'>(['list']),
    images: unused<'images'>(['status', 'build', 'export', 'import']),
    tasks: unused<'tasks'>([
      'list',
      'get',
      'create',
      'update',
      'remove',
      'setEnabled',
      'run',
      'cancel',
      'history',
      'rotateSecret',
    ]),
    usage: unused<'usage'>(['summary', 'limits', 'setLimits']),
    engines: unused<'engines'>(['list', 'add', 'test', 'remove']),
  };
}

/** Handlers of a group these tests never call: each one throws. */
function unused<G extends keyof Handlers>(names: (keyof Handlers[G])[]): Handlers[G] {
  const fail = () => {
    throw new AppError('INTERNAL', 'not used in this test');
  };
  return Object.fromEntries(names.map((n) => [n, fail])) as unknown as Handlers[G];
}

describe('Dispatcher', () => {
  it('answers ok with the parsed output', async () => {
    const d = new Dispatcher(handlers(), log);
    const r = await d.dispatch('settings.update', { theme: 'dark' }, { transport: 'internal' });
    expect(r).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, theme: 'dark' } });
  });

  it('names the field path of invalid input', async () => {
    const d = new Dispatcher(handlers(), log);
    const r = await d.dispatch(
      'settings.update',
      { trace_retention_days: 'many' },
      { transport: 'internal' },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('INVALID_INPUT');
    expect(r.error.message).toContain('trace_retention_days');
  });

  it('says the valid range of a number, never zod’s "Too small: expected number to be >=1"', async () => {
    const d = new Dispatcher(handlers(), log);
    for (const [field, value, range] of [
      ['trace_retention_days', 0, 'from 1 to 3,650 (days)'],
      ['default_rpm', 0, 'from 1 to 100,000'],
      ['webhook_port', 70000, 'from 0 to 65,535'],
      ['default_budget_day_usd', -1, 'from 0 to 1,000,000 (USD)'],
    ] as const) {
      const r = await d.dispatch('settings.update', { [field]: value }, { transport: 'internal' });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.message).toContain(`${field}: must be`);
      expect(r.error.message).toContain(range);
      expect(r.error.message).not.toMatch(/Too (small|big)|expected number/);
    }
    // Fields without a message of their own still read as a person would say it.
    const logs = await d.dispatch('agents.logs', { id: 'a', tail: 0 }, { transport: 'internal' });
    expect(logs.ok === false && logs.error.message).toContain('tail: must be at least 1');
  });

  it('refuses a blank chat message before any handler (so no runtime or trace) sees it', async () => {
    const d = new Dispatcher(handlers(), log);
    for (const text of ['', '   ', '\n\t ']) {
      const r = await d.dispatch('agents.chat', { id: 'a', text }, { transport: 'internal' });
      expect(r.ok === false && r.error.code).toBe('INVALID_INPUT');
      expect(r.ok === false && r.error.message).toContain('text: the message is empty');
    }
  });

  it('refuses unknown fields instead of ignoring them', async () => {
    const d = new Dispatcher(handlers(), log);
    const r = await d.dispatch('settings.update', { colour: 'red' }, { transport: 'internal' });
    expect(r.ok === false && r.error.code).toBe('INVALID_INPUT');
  });

  it('lists valid methods and groups for unknown channels', async () => {
    const d = new Dispatcher(handlers(), log);
    const m = await d.dispatch('settings.nope', {}, { transport: 'internal' });
    expect(m.ok === false && m.error.message).toContain('get, update');
    const g = await d.dispatch('nope.x', {}, { transport: 'internal' });
    expect(g.ok === false && g.error.code).toBe('NOT_FOUND');
    expect(g.ok === false && g.error.message).toMatch(/Valid groups: system, .*settings, .*agents/);
    const proto = await d.dispatch('__proto__.toString', {}, { transport: 'internal' });
    expect(proto.ok === false && proto.error.code).toBe('NOT_FOUND');
  });

  it('passes AppErrors through and hides other errors behind INTERNAL', async () => {
    const d1 = new Dispatcher(
      handlers({
        get: () => {
          throw new AppError('CONFLICT', 'busy');
        },
      }),
      log,
    );
    expect(await d1.dispatch('settings.get', {}, { transport: 'internal' })).toEqual({
      ok: false,
      error: { code: 'CONFLICT', message: 'busy' },
    });
    const d2 = new Dispatcher(
      handlers({
        get: () => {
          throw new Error('secret detail /etc/x');
        },
      }),
      log,
    );
    const r = await d2.dispatch('settings.get', {}, { transport: 'internal' });
    expect(r.ok === false && r.error.code).toBe('INTERNAL');
    expect(JSON.stringify(r)).not.toContain('secret detail');
  });

  it('strips fields a handler returns that are not in the contract', async () => {
    const leaky = { ...DEFAULT_SETTINGS, api_key: 'sk-should-not-leave' } as Settings;
    const d = new Dispatcher(handlers({ get: () => leaky }), log);
    const r = await d.dispatch('settings.get', {}, { transport: 'internal' });
    expect(JSON.stringify(r)).not.toContain('sk-should-not-leave');
  });
});
