// IncusClient over the local unix socket: a kept-alive socket gathers no listener per request.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncusClient } from './incus-client';

let dir: string;
let server: http.Server;
let sock: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-incus-client-'));
  sock = path.join(dir, 'unix.socket');
  // The envelope Incus answers a sync GET with (Incus REST API, "Standard return values").
  server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata: { api_version: '1.0' } }),
    );
  });
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('IncusClient on the local socket', () => {
  it('adds no listener to its kept-alive socket per request (no leak, no MaxListeners warning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const client = new IncusClient(sock, 'default');
    try {
      for (let i = 0; i < 25; i++)
        await expect(client.get('/1.0', 'ping')).resolves.toEqual({ api_version: '1.0' });
      const agent = (client as unknown as { agent: http.Agent }).agent;
      const sockets = Object.values(agent.freeSockets).flat();
      expect(sockets.length).toBeGreaterThan(0); // the same socket was kept and reused
      for (const s of sockets) expect(s?.listenerCount('secureConnect')).toBe(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      client.close();
    }
  });
});
