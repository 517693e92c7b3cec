// Key states answered from the last provider snapshot, for sources that cannot be asked live.
import { describe, expect, it } from 'vitest';
import { keyStateFromSnapshot } from './model-info';

const provider = (providerId: string, keyless: boolean) => ({
  providerId,
  type: 'openai-compatible',
  prefix: 'openai/',
  apiBase: 'http://127.0.0.1:9/v1',
  keyless,
  models: ['m'],
});

describe('keyStateFromSnapshot', () => {
  it('served providers resolve (or need no key); left out for the key is missing; others are unknown', async () => {
    const snap = {
      providers: [provider('cloud', false), provider('local', true)],
      notes: [
        'nokey: left out, the key is missing; set its key on the Providers page or in AGENTDESK_KEY_NOKEY',
        'empty: no models known yet (test the provider to fetch them)',
      ],
    };
    expect(await keyStateFromSnapshot(snap, 'cloud')).toBe('resolved');
    expect(await keyStateFromSnapshot(snap, 'local')).toBe('not_needed');
    expect(await keyStateFromSnapshot(snap, 'nokey')).toBe('missing');
    expect(await keyStateFromSnapshot(snap, 'empty')).toBeNull();
    expect(await keyStateFromSnapshot(snap, 'nobody')).toBeNull();
  });
});
