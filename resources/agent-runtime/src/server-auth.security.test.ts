// Attacker's side: a local process or a web page posting to the runtime's port cannot make the agent run its shell tool.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './testkit';
import {
  rtFetch,
  script,
  startGateway,
  startRuntime,
  tempHome,
  TEST_CREDENTIAL,
  testConfig,
} from './testkit';

let gw: Gateway;
let rt: Awaited<ReturnType<typeof startRuntime>>;
let home: string;

beforeAll(async () => {
  gw = await startGateway();
  home = await tempHome();
  rt = await startRuntime(testConfig(gw.up.v1, home));
});
afterAll(async () => {
  await rt.close();
  await gw.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

/** A turn whose scripted model runs `touch <marker>` in the workspace, if the runtime lets it in. */
const markerTurn = (marker: string) =>
  JSON.stringify({ text: script({ tool: 'shell', args: { command: `touch ${marker}` } }) });

/** A raw HTTP request (fetch forbids setting Host and Origin as an attacker would). */
function raw(
  method: string,
  pathName: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  const port = new URL(rt.url).port;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathName, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const good = {
  Host: '127.0.0.1',
  Authorization: `Bearer ${TEST_CREDENTIAL}`,
  'Content-Type': 'application/json',
};

describe('the runtime refuses every caller but the core', () => {
  it.each([
    ['no credential', { Host: '127.0.0.1', 'Content-Type': 'application/json' }, 401],
    ['a wrong credential', { ...good, Authorization: 'Bearer not-the-runtime-credential-xx' }, 401],
    ['a credential of another length', { ...good, Authorization: `Bearer ${TEST_CREDENTIAL}x` }, 401],
    ['Host: evil.example (DNS rebinding)', { ...good, Host: 'evil.example:8100' }, 403],
    ['Origin: http://evil.example (a web page)', { ...good, Origin: 'http://evil.example' }, 403],
    ['Origin: null (a sandboxed page)', { ...good, Origin: 'null' }, 403],
    ['Content-Type: text/plain (a simple CORS request)', { ...good, 'Content-Type': 'text/plain' }, 415],
    ['no Content-Type', { Host: '127.0.0.1', Authorization: good.Authorization }, 415],
  ])('POST /turn with %s → refused, and no shell command ran', async (_what, headers, status) => {
    const marker = `marker-${status}-${Math.random().toString(36).slice(2)}`;
    const res = await raw('POST', '/turn', headers, markerTurn(marker));
    expect(res.status).toBe(status);
    const refused = JSON.parse(res.text) as { error?: { message?: unknown } };
    expect(typeof refused.error?.message).toBe('string');
    // Give a turn that slipped through time to run its tool before looking for its marker.
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(path.join(home, 'workspace', marker))).toBe(false);
    expect(gw.up.requests.filter((r) => JSON.stringify(r.body ?? '').includes(marker))).toEqual([]);
  });

  it('GET /verify and GET /threads/<id> need the credential too; a bare GET /health does not', async () => {
    expect((await raw('GET', '/verify', { Host: '127.0.0.1' })).status).toBe(401);
    expect((await raw('GET', '/threads/abc', { Host: '127.0.0.1' })).status).toBe(401);
    expect((await raw('GET', '/health', { Host: '127.0.0.1' })).status).toBe(200);
    expect((await raw('GET', '/health', { Host: 'evil.example' })).status).toBe(403);
    expect((await raw('GET', '/health', { Host: 'localhost', Origin: 'http://evil.example' })).status).toBe(
      403,
    );
  });

  it('the core (credential, loopback Host, JSON) gets in, and its shell command runs', async () => {
    const marker = `marker-ok-${Math.random().toString(36).slice(2)}`;
    const res = await rtFetch(`${rt.url}/turn`, { method: 'POST', body: markerTurn(marker) });
    expect(res.status).toBe(200);
    await res.text();
    expect(fs.existsSync(path.join(home, 'workspace', marker))).toBe(true);
  });

  it('refuses to start without a credential', () => {
    expect(() =>
      testConfig(gw.up.v1, home, {
        AGENTDESK_RUNTIME_TOKEN: '',
        AGENTDESK_RUNTIME_TOKEN_FILE: path.join(home, 'none'),
      }),
    ).toThrow(/runtime credential file .* cannot be read/);
  });
});
