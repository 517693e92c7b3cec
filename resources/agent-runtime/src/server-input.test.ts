// Bad requests to the runtime (400, 404, 405, 413) and one turn per thread at a time (409, cancel on disconnect).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from './testkit';
import { processAlive, rtFetch, script, startGateway, startRuntime, tempHome, testConfig } from './testkit';

let gw: Gateway;
let home: string;
let rt: Awaited<ReturnType<typeof startRuntime>>;

beforeAll(async () => {
  gw = await startGateway();
  home = await tempHome();
  rt = await startRuntime(testConfig(gw.up.v1, home));
});
afterAll(async () => {
  await rt.close();
  await gw.stop();
  await fs.rm(home, { recursive: true, force: true });
});

async function post(body: string): Promise<{ status: number; message: string }> {
  const res = await rtFetch(`${rt.url}/turn`, { method: 'POST', body });
  const json = (await res.json()) as { error: { message: string } };
  return { status: res.status, message: json.error.message };
}

describe('agent runtime input checks', () => {
  it.each([
    ['{not json', /body is not valid JSON/],
    ['[1,2]', /body must be a JSON object/],
    ['{}', /field "text" must be a non-empty string, got nothing/],
    ['{"text": 42}', /field "text" must be a non-empty string, got 42/],
    ['{"text": "  "}', /field "text" must be a non-empty string/],
    ['{"text": "hi", "thread": "x"}', /unknown field "thread"; valid fields: text, thread_id/],
    ['{"text": "hi", "thread_id": 7}', /field "thread_id" must be a string, got number/],
    [
      '{"text": "hi", "thread_id": "../../etc/x"}',
      /thread_id "..\/..\/etc\/x" is invalid: use 1–128 letters/,
    ],
  ])('answers 400 to %s', async (body, message) => {
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.message).toMatch(message);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const r = await post(JSON.stringify({ text: 'x'.repeat(1024 * 1024) }));
    expect(r.status).toBe(413);
    expect(r.message).toMatch(/exceeds 1048576 bytes \(1 MiB\)/);
  });

  it('answers 404 and 405 naming the routes', async () => {
    const nf = await rtFetch(`${rt.url}/nope`);
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { message: string } }).error.message).toContain('POST /turn');
    const na = await rtFetch(`${rt.url}/turn`);
    expect(na.status).toBe(405);
    expect(((await na.json()) as { error: { message: string } }).error.message).toContain('use POST');
    expect((await rtFetch(`${rt.url}/threads/no-such-thread`)).status).toBe(404);
    expect((await rtFetch(`${rt.url}/threads/..%2Fx`)).status).toBe(400);
  });

  it('refuses a second turn on a busy thread (409) and kills the running command when the client leaves', async () => {
    const threadId = `agentdesk-test-${process.pid}`;
    const pidFile = path.join(home, 'workspace', 'busy.pid');
    const text = script({ tool: 'shell', args: { command: `echo $$ > ${pidFile}; sleep 30` } });
    const abort = new AbortController();
    const res = await rtFetch(`${rt.url}/turn`, {
      method: 'POST',
      body: JSON.stringify({ text, thread_id: threadId }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('event: tool_call'))
      seen += new TextDecoder().decode((await reader.read()).value as Uint8Array | undefined);
    await vi.waitFor(async () => expect((await fs.readFile(pidFile, 'utf8')).trim()).toMatch(/^\d+$/));
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    expect(processAlive(pid)).toBe(true);

    const busy = await post(JSON.stringify({ text: 'again', thread_id: threadId }));
    expect(busy.status).toBe(409);
    expect(busy.message).toBe(
      `a turn is already running on thread ${threadId}; wait for its "done" or "error" event`,
    );
    const other = await rtFetch(`${rt.url}/turn`, { method: 'POST', body: '{"text":"another thread"}' });
    expect(other.status).toBe(200);
    await other.text();

    abort.abort();
    await vi.waitFor(() => expect(processAlive(pid)).toBe(false));
    await vi.waitFor(async () => {
      const t = (await (await rtFetch(`${rt.url}/threads/${threadId}`)).json()) as {
        messages: { role: string; content: string }[];
      };
      expect(t.messages.at(-1)?.role).toBe('tool');
      expect(t.messages.at(-1)?.content).toMatch(
        /^\[cancelled: the turn was stopped, the process group was killed\]$/,
      );
    });
    // The lock is released right after the error event; a new turn on the thread then runs.
    await vi.waitFor(async () => {
      const after = await rtFetch(`${rt.url}/turn`, {
        method: 'POST',
        body: JSON.stringify({ text: 'hi', thread_id: threadId }),
      });
      expect(after.status).toBe(200);
      expect(await after.text()).toContain('event: done');
    });
  });
});
