// Egress policies of an agent on a remote Incus, from the agent's side: its only way out is its proxy device to
// the remote's egress proxy instance, on a port that names it; it reaches what its policy allows and nothing
// else; the policy changes live; refusals are traced; going around the proxy reaches nothing.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import type { TraceEventOf } from '../../../contract/traces';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { imageCacheDir } from '../../../test/base-image';
import { litellmInstalled } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { canRunRemoteIncus, startRemoteIncus } from '../../../test/remote-incus';
import type { RemoteIncus } from '../../../test/remote-incus';
import { startScriptedCore } from '../../../test/scripted-core';
import type { ScriptedCore } from '../../../test/scripted-core';
import { run } from '../../platform/spawn';
import { call } from '../../transport/dispatch';

const skip = skipUnlessReal(
  canRunRemoteIncus() && runtimeReachable('incus') && litellmInstalled(),
  'root, Debian incusd, ip netns, the system Incus and LiteLLM',
);

/** A name only the fixture's bridge DNS knows, answered with the destination's address. */
const DEST_NAME = 'allowed.agentdesk.test';

describe.skipIf(skip)('egress of an agent on a remote Incus', () => {
  let remote: RemoteIncus;
  let stack: ScriptedCore;
  let agent: Agent;
  /** A second agent on the same remote, egress `none`. */
  let other: Agent;
  /** A public-looking address on this machine (TEST-NET-2), routed to from the remote's namespace. */
  let dest = '';
  let allowedPort: number;
  let otherPort: number;
  const servers: net.Server[] = [];

  /** The incus CLI against the remote (async: the core runs in this process). */
  function incus(...args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        'incus',
        args,
        { timeout: 60_000, encoding: 'utf8', env: { ...process.env, INCUS_DIR: remote.dir } },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  }

  /** Runs `sh -c script` in the agent's container as the agent's user (its environment: the instance's). */
  async function inAgent(script: string, who: Agent = agent): Promise<{ code: number; out: string }> {
    const ids = await incus('exec', who.container, '--', 'stat', '-c', '%u %g', '/home/agent');
    const [uid = '', gid = ''] = ids.out.trim().split(' ');
    return incus('exec', '--user', uid, '--group', gid, who.container, '--', 'sh', '-c', script);
  }

  /** `curl` through the proxy (the agent's environment): the HTTP status, 000 when nothing answered. */
  const curl = (url: string, who: Agent = agent) =>
    inAgent(`curl -s -o /dev/null -w '%{http_code}' --max-time 20 '${url}'`, who).then((r) => r.out.trim());
  const tunnel = (url: string) =>
    inAgent(`curl -s -p -o /dev/null -w '%{http_code}' --max-time 20 '${url}'`).then((r) => r.out.trim());
  /** A direct connection, around the proxy: the HTTP status, 000 when nothing answered. */
  const direct = (url: string, who: Agent = agent) =>
    inAgent(`curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 10 '${url}'`, who).then((r) =>
      r.out.trim(),
    );

  const egressEvents = async (): Promise<TraceEventOf<'egress'>[]> =>
    (
      await call(stack.core.dispatcher, 'traces', 'list', {
        agent_id: agent.id,
        kinds: ['egress'],
        limit: 500,
      })
    ).events as TraceEventOf<'egress'>[];
  const waitRefusal = (what: string, match: (e: TraceEventOf<'egress'>) => boolean) =>
    until(egressEvents, (es) => es.some(match), 30_000, what).then((es) => es.find(match)!);
  const policy = (input: Record<string, unknown>) =>
    call(stack.core.dispatcher, 'agents', 'policy', { id: agent.id, ...input });

  beforeAll(async () => {
    ensureRuntimeBundle();
    remote = await startRemoteIncus({ egressNetwork: true });
    dest = `198.51.100.${200 + crypto.randomInt(0, 50)}`;
    await run('ip', ['addr', 'add', `${dest}/32`, 'dev', 'lo'], { timeoutMs: 10_000 });
    const listen = (s: net.Server) =>
      new Promise<number>((resolve) => {
        servers.push(s);
        s.listen(0, dest, () => resolve((s.address() as net.AddressInfo).port));
      });
    allowedPort = await listen(http.createServer((_q, r) => r.end('allowed')));
    otherPort = await listen(http.createServer((_q, r) => r.end('other')));
    stack = await startScriptedCore('agentdesk-test-rinc-egress-', 'incus', {
      AGENTDESK_IMAGE_CACHE: imageCacheDir(),
    });
    const engine = await call(stack.core.dispatcher, 'engines', 'add', {
      id: 'rinc-egress',
      name: 'Remote Incus (egress)',
      kind: 'incus',
      transport: 'https',
      url: remote.url,
      token: remote.trustToken('agentdesk-core'),
    });
    expect(engine.health.state, engine.health.detail).toBe('ok');
    const create = (egress: Record<string, unknown>) =>
      call(stack.core.dispatcher, 'agents', 'create', {
        name: `rinc-egress-${Math.random().toString(36).slice(2, 7)}`,
        model: 'scripted/gpt-test-mini',
        memory_mib: 512,
        engine: 'rinc-egress',
        ...egress,
      });
    const running = (id: string) =>
      until(
        () => call(stack.core.dispatcher, 'agents', 'get', { id }),
        (a) => a.phase === 'running' || a.phase === 'failed',
        600_000,
        'the agent running',
      );
    // One after the other: the first sends the image over.
    // A name the remote's bridge DNS (Incus's dnsmasq) answers with the destination: no outside DNS here.
    remote.incus('network', 'set', 'adt-egress', 'raw.dnsmasq', `address=/${DEST_NAME}/${dest}`);
    agent = await running(
      (
        await create({
          egress: 'allowlist',
          allow: [`${dest}:${allowedPort}`, `${DEST_NAME}:${allowedPort}`],
        })
      ).id,
    );
    expect(agent.phase, `${agent.phase_reason ?? ''} ${(agent.failed_log ?? []).join(' ')}`).toBe('running');
    other = await running((await create({})).id);
    expect(other.phase, `${other.phase_reason ?? ''} ${(other.failed_log ?? []).join(' ')}`).toBe('running');
  }, 900_000);

  afterAll(async () => {
    for (const s of servers) s.close();
    await stack?.close();
    await remote?.remove();
    if (dest)
      await run('ip', ['addr', 'del', `${dest}/32`, 'dev', 'lo'], { timeoutMs: 10_000 }).catch(() => {});
  }, 300_000);

  it('reaches the allowed destination through the proxy, plain HTTP and CONNECT', async () => {
    expect(agent.egress).toMatchObject({ mode: 'allowlist', enforcement: 'proxy' });
    expect(await curl(`http://${dest}:${allowedPort}/`)).toBe('200');
    expect(await tunnel(`http://${dest}:${allowedPort}/`)).toBe('200');
    expect((await inAgent(`curl -s --max-time 20 http://${dest}:${allowedPort}/`)).out).toBe('allowed');
  });

  it('reaches an allowed name: the proxy looks it up through the bridge DNS of the remote', async () => {
    expect(await curl(`http://${DEST_NAME}:${allowedPort}/`)).toBe('200');
    expect(await tunnel(`http://${DEST_NAME}:${allowedPort}/`)).toBe('200');
    // The agent itself has no DNS path: only the proxy resolves.
    expect(await direct(`http://${DEST_NAME}:${allowedPort}/`)).toBe('000');
  });

  it('gives the agent only the device to its port and the proxy variables; the proxy runs unprivileged', async () => {
    const config = (await incus('config', 'show', agent.container)).out;
    expect(config).toMatch(/HTTPS_PROXY: http:\/\/agentdesk-egress:3128/);
    const device = (await incus('config', 'device', 'show', agent.container)).out;
    expect(device).toMatch(
      /agentdesk-egress:\n\s+bind: container\n\s+connect: tcp:[\d.]+:\d+\n\s+listen: tcp:127\.0\.0\.1:3128/,
    );
    // No IPv4 address of its own: nowhere to send from but its proxy devices.
    const addresses = await inAgent(
      `node -e "console.log(Object.values(require('os').networkInterfaces()).flat().filter((a) => a.family === 'IPv4' && !a.internal).length)"`,
    );
    expect(addresses.out.trim()).toBe('0');
    // The proxy's program: user nobody, no capabilities left.
    const proxy = await incus(
      'exec',
      'agentdesk-egress-proxy',
      '--',
      'sh',
      '-c',
      'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = node ] && stat -c %U $p && grep CapEff $p/status; done',
    );
    expect(proxy.out.trim().split('\n')).toEqual(['nobody', expect.stringMatching(/^CapEff:\s+0+$/)]);
  });

  it('another agent of the same remote, egress none, is refused what the first one may reach', async () => {
    expect(await curl(`http://${dest}:${allowedPort}/`, other)).toBe('403');
    expect(await direct(`http://${dest}:${allowedPort}/`, other)).toBe('000');
  });

  it('keeps the policy when the proxy restarts (the core not involved): the table lives in the instance', async () => {
    expect((await incus('restart', 'agentdesk-egress-proxy')).code).toBe(0);
    await until(
      () => curl(`http://${dest}:${allowedPort}/`),
      (s) => s === '200',
      30_000,
      'allowed again',
    );
    expect(await curl(`http://${dest}:${otherPort}/`)).toBe('403');
    expect(await curl(`http://${dest}:${allowedPort}/`, other)).toBe('403');
  });

  it('is refused another port of the same host, and the refusal is an egress event', async () => {
    expect(await curl(`http://${dest}:${otherPort}/`)).toBe('403');
    const e = await waitRefusal('the refusal of the other port', (x) => x.payload.port === otherPort);
    expect(e.payload).toMatchObject({
      protocol: 'tcp',
      rule: 'not_allowed',
      mode: 'allowlist',
      address: dest,
    });
  });

  it("cannot go around the proxy: not the destination, the proxy's other ports or the remote host", async () => {
    expect(await direct(`http://${dest}:${allowedPort}/`)).toBe('000');
    const connect = /connect: tcp:([\d.]+):(\d+)/.exec(
      (await incus('config', 'device', 'show', agent.container)).out,
    )!;
    const [, proxyAddress, ownPort] = connect;
    const otherDevice = /connect: tcp:[\d.]+:(\d+)/.exec(
      (await incus('config', 'device', 'show', other.container)).out,
    )!;
    expect(otherDevice[1]).not.toBe(ownPort);
    // The proxy's main port and the other agent's port, dialled directly: no route.
    expect(await direct(`http://${proxyAddress}:3128/`)).toBe('000');
    expect(await direct(`http://${proxyAddress}:${otherDevice[1]}/`)).toBe('000');
    expect(await direct(`http://${new URL(remote.url).hostname}:8443/`)).toBe('000');
    // Through the proxy: the proxy's own network and the remote host are refused in every mode.
    expect(await curl(`http://${proxyAddress}:${otherDevice[1]}/`)).toBe('403');
  });

  it('open mode, set live: any public address, never link-local or the remote host', async () => {
    await policy({ egress: 'open' });
    await until(
      () => curl(`http://${dest}:${otherPort}/`),
      (s) => s === '200',
      30_000,
      'open applied',
    );
    expect(await curl('http://169.254.169.254/latest/meta-data/')).toBe('403');
    await waitRefusal('link-local refused', (x) => x.payload.rule === 'link_local');
    expect(await curl(`http://${new URL(remote.url).hostname}:8443/`)).toBe('403');
    await waitRefusal('remote host refused', (x) => x.payload.rule === 'host_service');
  });

  it('none mode, set live: everything refused, even the destination allowed before', async () => {
    await policy({ egress: 'none' });
    await until(
      () => curl(`http://${dest}:${allowedPort}/`),
      (s) => s === '403',
      30_000,
      'none applied',
    );
    const e = await waitRefusal(
      'the refusal in none mode',
      (x) => x.payload.mode === 'none' && x.payload.port === allowedPort,
    );
    expect(e.payload.rule).toBe('not_allowed');
  });

  it('removing the engine from Agent Desk (its agents purged) deletes the egress proxy instance there', async () => {
    const names = () => remote.incus('list', '--format', 'csv', '--columns', 'n').split('\n').filter(Boolean);
    expect(names()).toContain('agentdesk-egress-proxy');
    for (const a of [agent, other]) await call(stack.core.dispatcher, 'agents', 'purge', { id: a.id });
    await call(stack.core.dispatcher, 'engines', 'remove', { id: 'rinc-egress' });
    expect(names()).toEqual([]);
  }, 300_000);
});
