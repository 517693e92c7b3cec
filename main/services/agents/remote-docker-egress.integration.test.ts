// Egress policies of an agent on a remote Docker engine, from the agent's side: through the engine's egress
// proxy it reaches what its policy allows and nothing else; the policy changes live; refusals are traced;
// going around the proxy reaches nothing. A second dockerd in a network namespace, over tcp+TLS and ssh://.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import type { TraceEventOf } from '../../../contract/traces';
import { ensureRuntimeBundle, runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { litellmInstalled } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { remoteDockerAvailable, startRemoteDocker } from '../../../test/remote-docker';
import type { RemoteDocker } from '../../../test/remote-docker';
import { startScriptedCore } from '../../../test/scripted-core';
import type { ScriptedCore } from '../../../test/scripted-core';
import { run } from '../../platform/spawn';
import { call } from '../../transport/dispatch';

const skip = skipUnlessReal(
  runtimeReachable('docker') && litellmInstalled() && remoteDockerAvailable(),
  'Docker, LiteLLM, root with dockerd/openssl (a second engine in a network namespace)',
);

/** A name only the test's DNS server (the engine's, dockerd --dns) knows, answered with the destination. */
const DEST_NAME = 'allowed.agentdesk.test';

describe.skipIf(skip).each(['tls', 'ssh'] as const)(
  'egress of an agent on a remote Docker engine over %s',
  (transport) => {
    let remote: RemoteDocker;
    let stack: ScriptedCore;
    let agent: Agent;
    /** A second agent on the same engine, egress `none`. */
    let other: Agent;
    /** A public-looking address on this machine (TEST-NET-2), routed to from the engine's namespace. */
    let dest: string;
    let dnsmasq: ChildProcess | null = null;
    let allowedPort: number;
    let otherPort: number;
    const servers: net.Server[] = [];
    const engine = `lab-egress-${transport}`;

    /** Runs `sh -c script` in the agent's container (or `who`'s), through the engine's own socket (not the core). */
    function inAgent(script: string, who: Agent = agent): Promise<{ code: number; out: string }> {
      return new Promise((resolve) => {
        execFile(
          'docker',
          ['-H', `unix://${remote.socketPath}`, 'exec', who.container, 'sh', '-c', script],
          { timeout: 60_000, encoding: 'utf8' },
          (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        );
      });
    }

    /** `curl` through the proxy (the agent's environment): the HTTP status, 000 when nothing answered. */
    const curl = (url: string, who: Agent = agent) =>
      inAgent(`curl -s -o /dev/null -w '%{http_code}' --max-time 20 '${url}'`, who).then((r) => r.out.trim());
    /** `curl` tunnelling through the proxy with CONNECT (what HTTPS, git and pip do). */
    const tunnel = (url: string) =>
      inAgent(`curl -s -p -o /dev/null -w '%{http_code}' --max-time 20 '${url}'`).then((r) => r.out.trim());

    /**
     * Sends `head` as it is to the proxy from inside the agent (no client normalising the host first) and
     * answers the status line.
     */
    const raw = (head: string) =>
      inAgent(
        `node -e 'const s=require("net").connect(3128,"agentdesk-egress");s.write(process.argv[1]);let b="";s.on("data",d=>b+=d);s.on("close",()=>console.log(b.split("\\r\\n")[0]))' '${head}'`,
      ).then((r) => r.out.trim());

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
      await ensureBaseImage(['docker']);
      ensureRuntimeBundle();
      remote = await startRemoteDocker({ ssh: transport === 'ssh', dnsOnHost: true });
      dest = `198.51.100.${remote.n}`;
      await run('ip', ['addr', 'add', `${dest}/32`, 'dev', 'lo'], { timeoutMs: 10_000 });
      // The engine's DNS (dockerd --dns): a dnsmasq here answering one name with the destination.
      dnsmasq = spawn(
        'dnsmasq',
        [
          '--keep-in-foreground',
          '--no-resolv',
          '--no-hosts',
          '--bind-interfaces',
          `--listen-address=${remote.hostAddress}`,
          '--port=53',
          `--address=/${DEST_NAME}/${dest}`,
          '--pid-file=',
          '--user=root',
        ],
        { stdio: 'ignore' },
      );
      const listen = (s: net.Server) =>
        new Promise<number>((resolve) => {
          servers.push(s);
          s.listen(0, dest, () => resolve((s.address() as net.AddressInfo).port));
        });
      allowedPort = await listen(http.createServer((_q, r) => r.end('allowed')));
      otherPort = await listen(http.createServer((_q, r) => r.end('other')));
      stack = await startScriptedCore(
        `agentdesk-test-regress-${transport}-`,
        'docker',
        transport === 'ssh' ? { AGENTDESK_SSH_CONFIG: remote.sshd!.sshConfigFile } : {},
      );
      const t = transport === 'tls' ? remote.tlsTarget() : remote.sshTarget();
      await call(stack.core.dispatcher, 'engines', 'add', {
        id: engine,
        name: `Lab (egress, ${transport})`,
        kind: 'docker',
        ...(t.transport === 'tls'
          ? {
              transport: 'tls',
              host: t.host,
              port: t.port,
              ca_pem: t.caPem,
              cert_pem: t.certPem,
              key_pem: t.keyPem,
            }
          : { transport: 'ssh', ssh: t.ssh }),
      });
      const create = (egress: Record<string, unknown>) =>
        call(stack.core.dispatcher, 'agents', 'create', {
          name: `regress-${Math.random().toString(36).slice(2, 7)}`,
          model: 'scripted/gpt-test-mini',
          memory_mib: 512,
          engine,
          ...egress,
        });
      const running = (id: string) =>
        until(
          () => call(stack.core.dispatcher, 'agents', 'get', { id }),
          (a) => a.phase === 'running' || a.phase === 'failed',
          600_000,
          'the agent running',
        );
      const a = await create({
        egress: 'allowlist',
        allow: [`${dest}:${allowedPort}`, `${DEST_NAME}:${allowedPort}`],
      });
      const b = await create({});
      [agent, other] = await Promise.all([running(a.id), running(b.id)]);
      expect(agent.phase, agent.phase_reason ?? '').toBe('running');
      expect(other.phase, other.phase_reason ?? '').toBe('running');
    }, 900_000);

    afterAll(async () => {
      dnsmasq?.kill();
      for (const s of servers) s.close();
      await stack?.close();
      await remote?.stop();
      if (dest)
        await run('ip', ['addr', 'del', `${dest}/32`, 'dev', 'lo'], { timeoutMs: 10_000 }).catch(() => {});
    }, 120_000);

    it('reaches the allowed destination through the proxy, plain HTTP and CONNECT', async () => {
      expect(agent.egress).toMatchObject({ mode: 'allowlist', enforced: true, enforcement: 'proxy' });
      expect(await curl(`http://${dest}:${allowedPort}/`)).toBe('200');
      expect(await tunnel(`http://${dest}:${allowedPort}/`)).toBe('200');
      const body = await inAgent(`curl -s --max-time 20 http://${dest}:${allowedPort}/`);
      expect(body.out).toBe('allowed');
    });

    it('reaches an allowed name: the proxy looks it up through the engine’s DNS', async () => {
      await until(
        () => curl(`http://${DEST_NAME}:${allowedPort}/`),
        (c) => c === '200',
        30_000,
        'the allowed name through the proxy',
      );
      expect(await tunnel(`http://${DEST_NAME}:${allowedPort}/`)).toBe('200');
    });

    it('runs the proxy contained (no capabilities, read-only root, unprivileged) and points the agents at it', async () => {
      // execFile, not run(): the proxy's command line holds its whole program (run() keeps a tail of the output).
      type Inspected = {
        Config: { User: string; Env: string[] };
        HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; SecurityOpt: string[]; PidsLimit: number };
        NetworkSettings: { Networks: Record<string, unknown> };
      }[];
      const inspect = (name: string) =>
        new Promise<Inspected>((resolve, reject) =>
          execFile(
            'docker',
            ['-H', `unix://${remote.socketPath}`, 'inspect', name],
            { timeout: 30_000, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
            (err, stdout) =>
              err ? reject(new Error(err.message)) : resolve(JSON.parse(stdout) as Inspected),
          ),
        );
      const [proxy] = await inspect('agentdesk-egress-proxy');
      expect(proxy!.Config.User).toBe('65534:65534');
      expect(proxy!.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], PidsLimit: 32 });
      expect(proxy!.HostConfig.SecurityOpt).toContain('no-new-privileges');
      expect(Object.keys(proxy!.NetworkSettings.Networks).sort()).toEqual([
        'agentdesk-egress-out',
        'agentdesk-remote',
      ]);
      const [a] = await inspect(agent.container);
      expect(a!.Config.Env).toEqual(
        expect.arrayContaining([
          'HTTPS_PROXY=http://agentdesk-egress:3128',
          'NO_PROXY=agentdesk-gateway,localhost,127.0.0.1',
        ]),
      );
      expect(Object.keys((await inspect(agent.container))[0]!.NetworkSettings.Networks)).toEqual([
        'agentdesk-remote',
      ]);
    });

    it('another agent of the same engine, egress none, is refused what the first one may reach', async () => {
      expect(await curl(`http://${dest}:${allowedPort}/`, other)).toBe('403');
      const direct = await inAgent(
        `curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 10 http://${dest}:${allowedPort}/`,
        other,
      );
      expect(direct.out.trim()).toBe('000');
    });

    it('keeps the policy when the proxy restarts (the core not involved): the table lives in its volume', async () => {
      await run('docker', ['-H', `unix://${remote.socketPath}`, 'restart', 'agentdesk-egress-proxy'], {
        timeoutMs: 60_000,
      });
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
      expect(await tunnel(`http://${dest}:${otherPort}/`)).not.toBe('200');
      const e = await waitRefusal('the refusal of the other port', (x) => x.payload.port === otherPort);
      expect(e.payload).toMatchObject({
        protocol: 'tcp',
        rule: 'not_allowed',
        mode: 'allowlist',
        address: dest,
      });
      expect(e.error).toContain(`${dest}:${otherPort}`);
    });

    it('cannot go around the proxy: a direct connection to the destination or the engine host reaches nothing', async () => {
      const direct = await inAgent(
        `curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 10 http://${dest}:${allowedPort}/`,
      );
      expect(direct.out.trim()).toBe('000');
      expect(direct.code).not.toBe(0);
      const engineHost = await inAgent(
        `curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 10 http://${remote.engineAddress}:2376/`,
      );
      expect(engineHost.out.trim()).toBe('000');
    });

    it('open mode, set live: any public address, still never link-local, the engine host or its networks', async () => {
      await policy({ egress: 'open' });
      await until(
        () => curl(`http://${dest}:${otherPort}/`),
        (s) => s === '200',
        30_000,
        'open applied',
      );
      expect(await curl('http://169.254.169.254/latest/meta-data/')).toBe('403');
      await waitRefusal('link-local refused', (x) => x.payload.rule === 'link_local');
      expect(await curl(`http://${remote.engineAddress}:2376/`)).toBe('403');
      await waitRefusal('engine host refused', (x) => x.payload.rule === 'host_service');
      expect(await curl('http://agentdesk-gateway-relay:80/')).toBe('403');
      expect(await curl('http://127.0.0.1:22/')).not.toBe('200'); // NO_PROXY: the agent's own loopback
      // Spellings a client would normalise first, sent as they are: refused by the proxy itself.
      for (const host of ['2130706433', '0177.0.0.1', '0x7f.1', '[::1]', '[::ffff:127.0.0.1]'])
        expect(await raw(`GET http://${host}/ HTTP/1.1\r\nHost: x\r\n\r\n`), host).toMatch(/^HTTP\/1\.1 403/);
      expect(await raw('CONNECT [::1]:22 HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 403/);
      expect(await raw(`CONNECT 169.254.169.254:80 HTTP/1.1\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403/);
      // An oversized head is refused, not buffered.
      expect(
        await raw(`GET http://${dest}:${otherPort}/ HTTP/1.1\r\nX: ${'a'.repeat(9000)}\r\n\r\n`),
      ).toMatch(/^HTTP\/1\.1 431/);
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
      await policy({ egress: 'allowlist' });
      await until(
        () => curl(`http://${dest}:${allowedPort}/`),
        (s) => s === '200',
        30_000,
        'allowlist again',
      );
    });
  },
);
