// What counts as "the provider's server did not answer", how its address is named, and the re-probe debounce.
import { describe, expect, it } from 'vitest';
import { hostPortOf, isConnectionFailure, notAnsweringMessage, UpstreamDownWatch } from './upstream-down';

describe('upstream down', () => {
  it('tells a connection failure from an answer LiteLLM could not use', () => {
    expect(
      isConnectionFailure(
        'Upstream failure: litellm.InternalServerError: OpenAIException - Connection error.',
      ),
    ).toBe(true);
    expect(isConnectionFailure('litellm.APIConnectionError: Cannot connect to host 127.0.0.1:11434')).toBe(
      true,
    );
    expect(isConnectionFailure('httpx.ConnectError: All connection attempts failed')).toBe(true);
    expect(
      isConnectionFailure('litellm.APIConnectionError: the tool call does not match the expected format'),
    ).toBe(false);
    expect(isConnectionFailure('Upstream failure: 500 internal error from the model')).toBe(false);
  });

  it('names host:port only: no scheme, path or credentials; the default port when none is written', () => {
    expect(hostPortOf('http://user:secret@10.0.0.5:8080/v1?key=sk-abc')).toBe('10.0.0.5:8080');
    expect(hostPortOf('https://api.example.com/v1')).toBe('api.example.com:443');
    expect(hostPortOf('not a url')).toBeNull();
    expect(notAnsweringMessage({ name: 'llama.cpp', base_url: 'http://u:p@127.0.0.1:8080/v1' })).toBe(
      'llama.cpp at 127.0.0.1:8080 is not answering: start it or check it on the Providers page.',
    );
  });

  it('probes once per debounce window, never two at once, and not for an unknown provider', async () => {
    let t = 0;
    const probes: string[] = [];
    let finish: () => void = () => undefined;
    const watch = new UpstreamDownWatch(
      (id) => (id === 'p' ? { name: 'P', base_url: 'http://127.0.0.1:1/v1' } : undefined),
      (id) => {
        probes.push(id);
        return new Promise<void>((r) => (finish = r));
      },
      1000,
      () => t,
    );
    expect(watch.failed('nope')).toBeNull();
    expect(watch.failed('p')).toMatch(/^P at 127\.0\.0\.1:1 /);
    t = 500;
    watch.failed('p');
    expect(probes).toEqual(['p']);
    t = 2000; // window over, but the first probe still runs
    watch.failed('p');
    expect(probes).toEqual(['p']);
    finish();
    await new Promise((r) => setTimeout(r, 0));
    watch.failed('p');
    expect(probes).toEqual(['p', 'p']);
  });
});
