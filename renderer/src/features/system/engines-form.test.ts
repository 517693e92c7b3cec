// The add-engine form's input: each kind's address shape, what is missing named.
import { describe, expect, it } from 'vitest';
import { addInputOf } from './EnginesSection';

const draft = {
  kind: 'docker-ssh' as const,
  id: 'lab',
  name: '',
  address: '',
  ca: '',
  cert: '',
  key: '',
  token: '',
};

describe('addInputOf', () => {
  it('reads user@host[:port] for SSH, the id standing in for an empty name', () => {
    expect(addInputOf({ ...draft, address: 'deploy@build.lan:2222' })).toEqual({
      input: {
        id: 'lab',
        name: 'lab',
        kind: 'docker',
        transport: 'ssh',
        ssh: { user: 'deploy', host: 'build.lan', port: 2222 },
      },
    });
    expect(addInputOf({ ...draft, address: 'build.lan' })).toEqual({
      error: 'Address: give user@host or user@host:port (e.g. deploy@build.lan)',
    });
  });

  it('needs the three PEMs for TLS, and a token for Incus', () => {
    expect(addInputOf({ ...draft, kind: 'docker-tls', address: '10.0.0.5' })).toEqual({
      error: 'TLS needs the CA certificate, the client certificate and its key (PEM)',
    });
    expect(
      addInputOf({ ...draft, kind: 'docker-tls', address: '10.0.0.5', ca: 'c', cert: 'd', key: 'k' }),
    ).toMatchObject({ input: { host: '10.0.0.5', port: 2376, ca_pem: 'c', key_pem: 'k' } });
    expect(addInputOf({ ...draft, kind: 'incus', address: 'https://10.0.0.7:8443' })).toMatchObject({
      error: expect.stringMatching(/Trust token/) as string,
    });
  });
});
