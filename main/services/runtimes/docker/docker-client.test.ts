import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { connectDocker } from './docker-client';

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
