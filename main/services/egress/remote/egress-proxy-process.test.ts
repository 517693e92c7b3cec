// The proxy program run as it runs on an engine (`node -e <source> agentdesk-egress-proxy <port> <table>`), here on loopback: its limits from a hostile client's side.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/agents';
import { EGRESS_PROXY_SOURCE, egressTable } from './egress-proxy-table';

let proxy: ChildProcess;
let port: number;
let dir: string;
let tableFile: string;

/** Sends `data` and answers the status line the proxy sends back before closing ('' = closed without one). */
function ask(data: string, to = port): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(to, '127.0.0.1');
    let b = '';
    s.on('data', (d: Buffer) => (b += d.toString('latin1')));
    s.on('error', () => resolve(b.split('\r\n')[0] ?? ''));
    s.on('close', () => resolve(b.split('\r\n')[0] ?? ''));
    s.write(data);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-egress-proxy-'));
  const table = path.join(dir, 'table.json');
  tableFile = table;
  // Loopback as the "agents' network": the program's source check runs, and reverse lookups of 127.0.0.1
  // do not answer `<container>.agentdesk-remote`, so every request here is from an unknown source.
  fs.writeFileSync(
    table,
    JSON.stringify(
      egressTable({
        agentNetwork: { name: 'agentdesk-remote', network: '127.0.0.0', prefix: 8 },
        networks: [],
        hosts: [],
        agents: [{ container: 'alice', agentId: 'id-alice', mode: 'open', allow: [] }],
      }),
    ),
  );
  const free = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => free.once('listening', r));
  port = (free.address() as net.AddressInfo).port;
  await new Promise((r) => free.close(r));
  proxy = spawn(
    process.execPath,
    ['-e', EGRESS_PROXY_SOURCE, 'agentdesk-egress-proxy', String(port), table],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await until(
    () => ask('GET / HTTP/1.1\r\n\r\n'),
    (s) => s.startsWith('HTTP/1.1'),
    20_000,
    'the proxy listening',
  );
}, 30_000);

afterAll(() => {
  proxy?.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the egress proxy program', () => {
  it('refuses a request from a source that is not an agent, even in open mode, without logging it', async () => {
    const out: string[] = [];
    proxy.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    expect(await ask('CONNECT 93.184.216.34:443 HTTP/1.1\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
    expect(out).toEqual([]);
  });

  it('answers 400 to what is not a proxy request, 431 to an oversized head', async () => {
    expect(await ask('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(await ask('hello\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(await ask(`GET http://x.example/ HTTP/1.1\r\nX: ${'a'.repeat(9000)}\r\n\r\n`)).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large',
    );
    // no end of head at all: refused once the limit is passed, not buffered
    expect(await ask(`GET http://x.example/ HTTP/1.1\r\nX: ${'a'.repeat(20_000)}`)).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large',
    );
  });

  it('caps the connections one source holds at once', async () => {
    const held: net.Socket[] = [];
    for (let i = 0; i < 128; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      held.push(s);
      await new Promise((r) => s.once('connect', r));
    }
    try {
      expect(await ask('GET http://x.example/ HTTP/1.1\r\n\r\n')).toBe('HTTP/1.1 429 Too Many Requests');
    } finally {
      for (const s of held) s.destroy();
    }
    await until(
      () => ask('GET / HTTP/1.1\r\n\r\n'),
      (s) => s === 'HTTP/1.1 400 Bad Request',
      10_000,
      'slots free again',
    );
  });

  it('opens a per-agent port when the table names one (SIGHUP), names the agent by it, closes it when gone', async () => {
    const free = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => free.once('listening', r));
    const agentPort = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const write = (portSources: string[], withPort: boolean) => {
      fs.writeFileSync(
        tableFile,
        JSON.stringify(
          egressTable({
            agentNetwork: null,
            networks: [],
            hosts: [],
            portSources,
            agents: [
              {
                container: 'carol',
                agentId: 'id-carol',
                mode: 'open',
                allow: [],
                ...(withPort ? { port: agentPort } : {}),
              },
            ],
          }),
        ),
      );
      proxy.kill('SIGHUP');
    };
    const out: string[] = [];
    proxy.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    // A source that is not the engine host (here: loopback is not listed) is nobody, and not logged.
    write(['10.99.0.1'], true);
    await until(
      () => ask('CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n', agentPort),
      (s) => s === 'HTTP/1.1 403 Forbidden',
      20_000,
      'the per-agent port listening',
    );
    expect(out.join('')).toBe('');
    // The listed source: the port is carol's; loopback is refused for her and the refusal names her.
    write(['127.0.0.1'], true);
    await until(
      async () => (await ask('CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n', agentPort), out.join('')),
      (s) => s.includes('"agent":"id-carol"'),
      20_000,
      "a refusal traced to the port's agent",
    );
    expect(JSON.parse(out.join('').trim().split('\n').pop()!)).toMatchObject({
      agent: 'id-carol',
      mode: 'open',
      address: '127.0.0.1',
      port: 9,
      rule: 'agent_network',
    });
    // Gone from the table: the port closes.
    write(['127.0.0.1'], false);
    await until(
      () => ask('CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n', agentPort),
      (s) => s === '',
      20_000,
      'the per-agent port closed',
    );
  });
});
