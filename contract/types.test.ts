// Type-level tests of the contract's client, handler and bridge types: `tsc` (part of `npm test`)
// fails when a type drifts; the vitest run only proves the file loads.
import { describe, expectTypeOf, it } from 'vitest';
import type { Agent, AgentCreateInput } from './agents';
import type { InputOf, OutputOf, ParsedInputOf } from './api';
import type { ApiChannelPrefix, Bridge, EventChannelPrefix } from './bridge';
import type { Client } from './client';
import type { EventPayload } from './events';
import type { CallContext, Handlers } from './handlers';
import type { HealthReport } from './health';
import type { Settings, SettingsPatch } from './settings';

describe('contract types', () => {
  it('client methods take the input schema’s input type and resolve with its output type', () => {
    expectTypeOf<Client['agents']['create']>().parameters.toEqualTypeOf<[input: AgentCreateInput]>();
    expectTypeOf<Client['agents']['create']>().returns.toEqualTypeOf<Promise<Agent>>();
    expectTypeOf<Client['settings']['update']>().parameters.toEqualTypeOf<[input?: SettingsPatch]>();
    expectTypeOf<Client['settings']['update']>().returns.toEqualTypeOf<Promise<Settings>>();
    expectTypeOf<OutputOf<'system', 'health'>>().toEqualTypeOf<HealthReport>();
  });

  it('a method without required fields may be called with no argument', () => {
    expectTypeOf<Client['settings']['get']>().parameters.toEqualTypeOf<
      [input?: InputOf<'settings', 'get'>]
    >();
    expectTypeOf<Client['agents']['list']>().toBeCallableWith();
    expectTypeOf<Client['system']['health']>().toBeCallableWith();
    expectTypeOf<Client['system']['health']>().toBeCallableWith({ refresh: true });
    expectTypeOf<Client['agents']['create']>().parameters.not.toEqualTypeOf<[input?: AgentCreateInput]>();
  });

  it('handlers receive the parsed input and the call context, and return the output or its promise', () => {
    type Create = Handlers['agents']['create'];
    expectTypeOf<Create>().parameters.toEqualTypeOf<
      [input: ParsedInputOf<'agents', 'create'>, ctx: CallContext]
    >();
    expectTypeOf<Create>().returns.toEqualTypeOf<Agent | Promise<Agent>>();
    expectTypeOf<CallContext['transport']>().toEqualTypeOf<'ipc' | 'http' | 'internal'>();
  });

  it('typed events carry their payload type', () => {
    const on = (() => () => undefined) as Client['on'];
    void on;
    expectTypeOf<Parameters<typeof on<'agents.changed'>>[1]>()
      .parameter(0)
      .toEqualTypeOf<EventPayload<'agents.changed'>>();
    expectTypeOf<EventPayload<'settings.changed'>>().toEqualTypeOf<Settings>();
    expectTypeOf<EventPayload<'agents.changed'>['agents']>().toEqualTypeOf<Agent[]>();
  });

  it('the bridge prefixes are literal types, so the preload’s own literals are checked against them', () => {
    expectTypeOf<ApiChannelPrefix>().toEqualTypeOf<'api:'>();
    expectTypeOf<EventChannelPrefix>().toEqualTypeOf<'evt:'>();
    expectTypeOf<Bridge['invoke']>().returns.toEqualTypeOf<Promise<unknown>>();
  });
});
