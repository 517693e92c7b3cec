// verify() asks the gateway its three questions at once, and still reports the first failing check; what is left in flight is aborted.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from './verify';

const KEY = 'sk-agentdesk-verifytestverifytest00';
const MODEL = 'scripted/gpt-test-mini';

/** A gateway answering after `delayMs`: the model list, the model's status, a completion (`hang`: never answered). */
async function gateway(opts: { delayMs: number; models?: string[]; hangCompletion?: boolean }) {
  const seen: { path: string; at: number; closedEarly: boolean }[] = [];
  const t0 = Date.now();
  const server = http.createServer((req, res) => {
    const entry = { path: req.url ?? '', at: Date.now() - t0, closedEarly: false };
    seen.push(entry);
    res.on('close', () => {
      if (!res.writableEnded) entry.closedEarly = true;
    });
    req.resume();
    if (req.url === '/v1/chat/completions' && opts.hangCompletion) return;
    setTimeout(() => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/v1/models')
        return res.end(JSON.stringify({ data: (opts.models ?? [MODEL]).map((id) => ({ id })) }));
      if (req.url?.startsWith('/v1/agentdesk/models/'))
        return res.end(JSON.stringify({ id: MODEL, provider: 'scripted', served: true, key: 'resolved' }));
      res.end(JSON.stringify({ choices: [{ message: { content: 'OK' } }] }));
    }, opts.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  open.push(server);
  return { baseUrl, seen };
}
const open: http.Server[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('verify', () => {
  it('sends the listing, the model status and the completion at once (one round trip, not three)', async () => {
    const gw = await gateway({ delayMs: 400 });
    const t0 = Date.now();
    const result = await verify({ baseUrl: gw.baseUrl, apiKey: KEY, model: MODEL });
    expect(result).toEqual({ ok: true, model: MODEL, models: 1 });
    expect(gw.seen.map((s) => s.path).sort()).toEqual([
      '/v1/agentdesk/models/scripted/gpt-test-mini',
      '/v1/chat/completions',
      '/v1/models',
    ]);
    // Three in a row would take at least 1200 ms.
    expect(Date.now() - t0).toBeLessThan(1150);
    expect(Math.max(...gw.seen.map((s) => s.at))).toBeLessThan(300);
  });

  it('reports the first failing check (the model not listed for this key), and aborts the completion still in flight', async () => {
    const gw = await gateway({ delayMs: 50, models: ['scripted/other'], hangCompletion: true });
    const t0 = Date.now();
    const result = await verify({ baseUrl: gw.baseUrl, apiKey: KEY, model: MODEL });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(
      /model scripted\/gpt-test-mini is not in the gateway's list for this key \(1 models: scripted\/other\)/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    const completion = gw.seen.find((s) => s.path === '/v1/chat/completions')!;
    await expect.poll(() => completion.closedEarly, { timeout: 5000 }).toBe(true);
  });
});
