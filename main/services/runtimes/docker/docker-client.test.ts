import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectDocker, connectDockerTarget } from './docker-client';

const req = createRequire(import.meta.url);
const HEAVY = /[\\/]node_modules[\\/](@grpc|protobufjs|ssh2)[\\/]/;
const OURS = /[\\/]node_modules[\\/](dockerode|docker-modem|@grpc|@protobufjs|protobufjs|ssh2)[\\/]/;

describe('dockerode loading', () => {
  it('does not load gRPC, protobufjs or ssh2 (BuildKit sessions and docker-modem ssh:// are never used)', () => {
    // Forget whatever an earlier file of this worker loaded, so this load is a first one.
    for (const k of Object.keys(req.cache)) if (OURS.test(k)) delete req.cache[k];
    const c = connectDocker({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(typeof c.docker.listContainers).toBe('function');
    expect(Object.keys(req.cache).filter((k) => HEAVY.test(k))).toEqual([]);
    expect(Object.keys(req.cache).some((k) => /[\\/]dockerode[\\/]lib[\\/]docker\.js$/.test(k))).toBe(true);
    c.agent.destroy();
  });
});

describe('what each engine request costs the core', () => {
  it("keeps docker-modem's per-request debug formatting of the options short (its agent is not walked)", () => {
    const conns = [
      connectDocker({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }),
      connectDocker({ DOCKER_HOST: 'tcp://127.0.0.1:1' }),
      connectDockerTarget(
        {
          kind: 'docker',
          transport: 'tls',
          host: '127.0.0.1',
          port: 1,
          caPem: 'x',
          certPem: 'y',
          keyPem: '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n',
        },
        {},
        null,
      ),
    ];
    for (const c of conns) {
      // What docker-modem 5.0.7 builds for every request (lib/modem.js buildRequest), debug on or not.
      const text = inspect({ path: '/containers/json', agent: c.agent }, { showHidden: true, depth: null });
      expect(text.length).toBeLessThan(200);
      expect(text).toContain('[docker agent ');
      // The options docker-modem inspects for its debug line also hold the TLS client key (DEBUG=modem).
      const modem = c.docker.modem as unknown as Record<string, unknown>;
      const debugLine = inspect(
        { key: modem.key, cert: modem.cert, ca: modem.ca },
        { showHidden: true, depth: null },
      );
      expect(debugLine).not.toContain('SECRETKEYMATERIAL');
      expect(debugLine).not.toContain(
        Buffer.from('SECRET')
          .toString('hex')
          .replace(/(..)(?!$)/g, '$1 '),
      ); // as <Buffer …>
      c.agent.destroy();
    }
  });
});
