// Which agents a provider serves, and the note an agent's model gets when its provider is gone or failing.
import { describe, expect, it } from 'vitest';
import type { AgentPhase } from '../../../../contract/agents';
import { agentsUsingProvider, modelHealth, providerOfModel } from '../../../../contract/provider-usage';

const agent = (slug: string, model: string, fallbacks: string[] = [], phase: AgentPhase = 'running') => ({
  slug,
  model,
  fallbacks,
  phase,
});

describe('provider usage', () => {
  it('reads the provider of `<provider>/<model>` up to the first slash only', () => {
    expect(providerOfModel('ollama/library/llama3:8b')).toBe('ollama');
    expect(providerOfModel('no-slash')).toBeNull();
    expect(providerOfModel('/leading')).toBeNull();
  });

  it('counts fallbacks, skips archived agents and never matches a provider id that only shares a prefix', () => {
    const agents = [
      agent('main', 'p/m'),
      agent('fallback', 'q/m', ['p/x']),
      agent('archived', 'p/m', [], 'archived'),
      agent('prefix', 'px/m'),
    ];
    expect(agentsUsingProvider(agents, 'p').map((a) => a.slug)).toEqual(['main', 'fallback']);
  });

  it('flags a removed provider as unserved and a failing one as failing, with its detail', () => {
    const ok = { id: 'p', name: 'P', status: 'ok', status_detail: '2 models' } as const;
    const down = {
      id: 'p',
      name: 'llama.cpp',
      status: 'unreachable',
      status_detail: 'Unreachable: connection refused',
    } as const;
    expect(modelHealth({ model: 'p/m' }, [ok])).toEqual({ state: 'ok' });
    expect(modelHealth({ model: 'p/m' }, [])).toMatchObject({ state: 'unserved', provider: 'p' });
    expect(modelHealth({ model: 'p/m' }, [down])).toEqual({
      state: 'failing',
      provider: 'p',
      message: 'llama.cpp is failing: Unreachable: connection refused',
    });
  });

  it('flags a model its provider no longer lists, judging only by a list that was fetched', () => {
    const ok = { id: 'p', name: 'llama.cpp', status: 'ok', status_detail: '1 model' } as const;
    const listed = new Map([['p', ['kept', 'org/with:colon']]]);
    expect(modelHealth({ model: 'p/kept' }, [ok], listed)).toEqual({ state: 'ok' });
    expect(modelHealth({ model: 'p/org/with:colon' }, [ok], listed)).toEqual({ state: 'ok' });
    expect(modelHealth({ model: 'p/retired' }, [ok], listed)).toEqual({
      state: 'unserved',
      provider: 'p',
      message:
        'Model no longer served: llama.cpp does not list “retired” any more (refresh its models, or pick another model)',
    });
    // No list read for this provider yet: not judged.
    expect(modelHealth({ model: 'p/retired' }, [ok], new Map())).toEqual({ state: 'ok' });
    expect(modelHealth({ model: 'p/retired' }, [ok])).toEqual({ state: 'ok' });
  });
});
