// Attacker's side, real containers on Docker and Incus: no host port, only the core drives the runtime, the agent is unprivileged, a fork bomb stays inside, no setuid file reaches the host, shared folders as granted.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../contract/agents';
import {
  addScriptedProvider,
  attackHeaders,
  ensureRuntimeBundle,
  purgeAll,
  rawTurn,
  runtimeReachable,
  turn,
  until,
} from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { cmdDirective, withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import type { RuntimeKind } from '../runtimes/container-runtime';
import { agentFolder, readRuntimeCredential } from './agent-folder';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const kinds: RuntimeKind[] = ['docker', 'incus'];
const PIDS = 200;

/** The output of the shell tool call of one turn (the agent's own process runs it). */
async function shellOutput(home: string, agent: Agent, command: string): Promise<string> {
  const events = await turn({ home, agent }, cmdDirective(command));
  const result = events.find((e) => e.event === 'tool_result')?.data as { output?: string } | undefined;
  if (!result) throw new Error(`no tool_result in ${JSON.stringify(events).slice(0, 600)}`);
  return String(result.output);
}

describe.each(kinds)('containment on %s', (kind) => {
  const skip = skipUnlessReal(runtimeReachable(kind) && litellmInstalled(), `${kind} and LiteLLM`);
  let home: string;
  let shared: string;
  let core: Core;
  let upstream: ScriptedUpstream;
  let a: Agent;
  let b: Agent;
  const get = (id: string) => call(core.dispatcher, 'agents', 'get', { id });
  const running = (id: string) =>
    until(
      () => get(id),
      (x) => x.phase === 'running' || x.phase === 'failed',
      180_000,
      'running',
    );

  beforeAll(async () => {
    if (skip) return;
    await ensureBaseImage([kind]);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), `agentdesk-test-contain-${kind}-`));
    shared = fs.mkdtempSync(path.join(os.tmpdir(), `agentdesk-test-shared-${kind}-`));
    for (const d of ['rw', 'ro']) {
      fs.mkdirSync(path.join(shared, d));
      fs.writeFileSync(path.join(shared, d, 'hello.txt'), `hello ${d}\n`);
      fs.chmodSync(path.join(shared, d), 0o777); // the agent's uid (64000 under a root core) writes to rw
    }
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    await call(core.dispatcher, 'settings', 'update', { container_runtime: kind });
    await addScriptedProvider(core.dispatcher, upstream.v1);
    const made = await call(core.dispatcher, 'agents', 'create', {
      name: `agentdesk-test-contain-a-${kind}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 512,
      pids_limit: PIDS,
      folders: [{ path: path.join(shared, 'rw'), mode: 'rw' }, { path: path.join(shared, 'ro') }],
    });
    const other = await call(core.dispatcher, 'agents', 'create', {
      name: `agentdesk-test-contain-b-${kind}`,
      model: 'scripted/gpt-test-mini',
      memory_mib: 256,
    });
    a = await running(made.id);
    b = await running(other.id);
    expect(a.phase, a.phase_reason ?? '').toBe('running');
    expect(b.phase, b.phase_reason ?? '').toBe('running');
  }, 600_000);

  afterAll(async () => {
    if (skip) return;
    await purgeAll(core.dispatcher);
    await core?.shutdown();
    await upstream?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(shared, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'the runtime is on no host port, and only the core’s requests make it run a tool',
    async () => {
      expect(a.runtime_port).toBeNull();
      if (kind === 'docker') {
        const ports = execFileSync(
          'docker',
          ['inspect', '-f', '{{json .NetworkSettings.Ports}}', a.container],
          {
            encoding: 'utf8',
          },
        );
        expect(ports).not.toMatch(/HostPort/);
        expect(a.runtime_endpoint).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:8100$/);
      } else {
        const inst = JSON.parse(
          execFileSync('incus', ['query', `/1.0/instances/${a.container}`], { encoding: 'utf8' }),
        ) as { expanded_devices: Record<string, Record<string, string>> };
        const toHost = Object.values(inst.expanded_devices).filter(
          (d) => d.type === 'proxy' && d.bind === 'host',
        );
        if (a.runtime_endpoint?.startsWith('unix:')) {
          // Egress control off: the only proxy device listening on the host is the unix socket.
          expect(toHost.map((d) => d.listen)).toEqual([a.runtime_endpoint]);
          const sock = fs.statSync(a.runtime_endpoint.slice(5));
          expect(sock.isSocket()).toBe(true);
          expect(sock.mode & 0o777).toBe(0o600);
          expect(fs.statSync(path.dirname(a.runtime_endpoint.slice(5))).mode & 0o777).toBe(0o700);
        } else {
          // A routed agent: no proxy device at all; the core reaches it at its own routed address.
          expect(Object.values(inst.expanded_devices).filter((d) => d.type === 'proxy')).toEqual([]);
          const nic = Object.values(inst.expanded_devices).find((d) => d.nictype === 'routed');
          expect(a.runtime_endpoint).toBe(`http://${nic?.['ipv4.address']}:8100`);
        }
      }
      const credential = readRuntimeCredential(agentFolder(home, a.id))!;
      const workspace = agentFolder(home, a.id).workspace;
      const attacks = attackHeaders(credential);
      for (const [what, headers, status] of attacks) {
        const marker = `attack-${status}-${Math.random().toString(36).slice(2)}`;
        const body = JSON.stringify({ text: cmdDirective(`touch /home/agent/workspace/${marker}`) });
        expect(await rawTurn(a.runtime_endpoint!, headers, body), what).toBe(status);
        await new Promise((r) => setTimeout(r, 500));
        expect(fs.existsSync(path.join(workspace, marker)), what).toBe(false);
      }
      // The core itself gets through: its chat runs the same command.
      const marker = `core-${Math.random().toString(36).slice(2)}`;
      const chat = await call(core.dispatcher, 'agents', 'chat', {
        id: a.id,
        text: cmdDirective(`touch /home/agent/workspace/${marker}`),
      });
      expect(chat.error).toBeNull();
      expect(fs.existsSync(path.join(workspace, marker))).toBe(true);
    },
  );

  it.skipIf(skip)(
    'the agent is unprivileged: not root, no capabilities, no new privileges, pids limit, read-only system',
    async () => {
      const out = await shellOutput(
        home,
        a,
        'id -u; id -g; grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status; ' +
          'echo init-$(grep CapEff /proc/1/status); ' +
          'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max; ' +
          'touch /usr/agentdesk-test 2>/dev/null && echo usr=written || echo usr=refused',
      );
      const [uid, gid] = out.split('\n');
      expect(Number(uid)).not.toBe(0);
      expect(Number(uid)).toBe(process.getuid!() === 0 ? 64000 : process.getuid!());
      expect(Number(gid)).not.toBe(0);
      expect(out).toMatch(/^CapEff:\s+0000000000000000$/m);
      expect(out).toMatch(/^CapPrm:\s+0000000000000000$/m);
      expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
      // PID 1: the agent's own user on Docker; on Incus the init, root inside, with only setuid, setgid,
      // setpcap (to drop to the agent's user) and kill (to pass a stop on to it).
      expect(out).toMatch(kind === 'docker' ? /^init-CapEff:\s+0{16}$/m : /^init-CapEff:\s+0{13}1e0$/m);
      // Docker shows the pids cgroup inside; an Incus container on this cgroup v1 host does not, so its
      // limit is read where the kernel enforces it, on the host.
      if (kind === 'docker') expect(out).toMatch(new RegExp(`^${PIDS}$`, 'm'));
      else {
        const v1 = `/sys/fs/cgroup/pids/lxc.payload.${a.container}/pids.max`;
        const v2 = `/sys/fs/cgroup/lxc.payload.${a.container}/pids.max`;
        expect(fs.readFileSync(fs.existsSync(v1) ? v1 : v2, 'utf8').trim()).toBe(String(PIDS));
      }
      expect(out).toMatch(/usr=refused/);
      // Its files on the host belong to the agent's user, never to root.
      expect(fs.statSync(agentFolder(home, a.id).workspace).uid).toBe(Number(uid));
    },
  );

  it.skipIf(skip)(
    'the agent cannot send as another address (egress tells Docker agents apart by it): no raw, packet or transparent socket',
    async () => {
      // The egress rules match a Docker agent by its source address on the shared bridge
      // (docs/decisions/009-egress.md); with NET_RAW or NET_ADMIN it could write packets carrying another
      // agent's address. With every capability dropped each way to do so is refused.
      expect(a.egress.enforced).toBe(true);
      const other = (await get(b.id)).egress.address;
      expect(other).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const out = await shellOutput(
        home,
        a,
        `python3 - <<'EOF'
import errno, socket
def t(f):
    try:
        f()
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def freebind():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: binding to a foreign address needs no capability
    s.bind(('${other}', 0))
    s.sendto(b'x', ('192.0.2.1', 53))
print('raw=' + t(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)))
print('packet=' + t(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)))
print('transparent=' + t(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).setsockopt(socket.SOL_IP, 19, 1)))
print('freebind=' + t(freebind))
EOF`,
      );
      expect(out).toMatch(/^raw=EPERM$/m);
      expect(out).toMatch(/^packet=EPERM$/m);
      expect(out).toMatch(/^transparent=EPERM$/m);
      // The kernel sends from its own addresses only: the packet never leaves with the other address.
      expect(out).toMatch(/^freebind=E[A-Z]+$/m);
    },
  );

  it.skipIf(skip)('an agent cannot leave a setuid or setgid file on the host', async () => {
    const w = '/home/agent/workspace';
    await shellOutput(
      home,
      a,
      `cp /bin/sh ${w}/suid; chmod 4755 ${w}/suid; chmod u+s ${w}/suid; chmod g+s ${w}/suid; ` +
        `touch ${w}/suid2; python3 -c "import os; os.chmod('${w}/suid2', 0o6755)"; ` +
        `python3 -c "import os; os.close(os.open('${w}/suid3', os.O_CREAT | os.O_WRONLY, 0o4755))"; ` +
        `python3 -c "import ctypes; ctypes.CDLL(None).syscall(452, -100, b'${w}/suid2', 0o4755, 0)"; ` +
        `install -m 4755 /bin/true ${w}/suid4; true`,
    );
    const ws = agentFolder(home, a.id).workspace;
    for (const f of ['suid', 'suid2', 'suid3', 'suid4']) {
      const p = path.join(ws, f);
      if (!fs.existsSync(p)) continue;
      expect(fs.statSync(p).mode & 0o6000, `${f} mode ${fs.statSync(p).mode.toString(8)}`).toBe(0);
    }
    expect(fs.existsSync(path.join(ws, 'suid'))).toBe(true);
  });

  it.skipIf(skip)(
    'shared folders: read-write where granted, read-only by default, under /shared',
    async () => {
      expect(a.folders.map((f) => [f.mount, f.mode])).toEqual([
        ['/shared/rw', 'rw'],
        ['/shared/ro', 'ro'],
      ]);
      const out = await shellOutput(
        home,
        a,
        'cat /shared/rw/hello.txt /shared/ro/hello.txt; echo new > /shared/rw/new.txt && echo rw=ok; ' +
          '(echo new > /shared/ro/new.txt) 2>/dev/null && echo ro=written || echo ro=refused',
      );
      expect(out).toContain('hello rw');
      expect(out).toContain('hello ro');
      expect(out).toContain('rw=ok');
      expect(out).toContain('ro=refused');
      expect(fs.readFileSync(path.join(shared, 'rw', 'new.txt'), 'utf8')).toBe('new\n');
      expect(fs.existsSync(path.join(shared, 'ro', 'new.txt'))).toBe(false);
    },
  );

  it.skipIf(skip)(
    'a fork bomb in a tool call stays inside: the host and another agent keep answering',
    async () => {
      // The bomb runs 12 s, then kills its own process group (bash's `kill` is a builtin: no fork needed).
      const bomb = turn(
        { home, agent: a },
        cmdDirective('( bomb() { bomb | bomb & }; bomb ) 2>/dev/null & sleep 12; kill -9 0'),
      ).catch((err: Error) => err);
      await new Promise((r) => setTimeout(r, 4000));
      const t0 = Date.now();
      const other = await call(core.dispatcher, 'agents', 'chat', { id: b.id, text: 'still there?' });
      expect(other.error).toBeNull();
      expect(other.reply).toBeTruthy();
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(os.loadavg()).toBeDefined(); // this process (the host) runs on
      await bomb;
      // The bomb never went past the limit, and the agent answers again once it is gone.
      const after = await until(
        () =>
          call(core.dispatcher, 'agents', 'chat', { id: a.id, text: 'back?' }).catch((e: Error) => ({
            error: e.message,
            reply: null,
          })),
        (r) => r.error === null,
        60_000,
        'the bombed agent answering again',
      );
      expect(after.reply).toBeTruthy();
      if (kind === 'docker')
        expect(
          execFileSync('docker', ['inspect', '-f', '{{.HostConfig.PidsLimit}}', a.container], {
            encoding: 'utf8',
          }).trim(),
        ).toBe(String(PIDS));
      else
        expect(
          execFileSync('incus', ['config', 'get', a.container, 'limits.processes'], {
            encoding: 'utf8',
          }).trim(),
        ).toBe(String(PIDS));
    },
  );

  it.skipIf(skip)('archive and restore keep the shared folders and the containment', async () => {
    await call(core.dispatcher, 'agents', 'archive', { id: a.id });
    await call(core.dispatcher, 'agents', 'restore', { id: a.id });
    a = await running(a.id);
    expect(a.phase, a.phase_reason ?? '').toBe('running');
    expect(a.folders.map((f) => [f.mount, f.mode])).toEqual([
      ['/shared/rw', 'rw'],
      ['/shared/ro', 'ro'],
    ]);
    expect(a.runtime_port).toBeNull();
    const out = await shellOutput(home, a, 'cat /shared/rw/hello.txt; id -u');
    expect(out).toContain('hello rw');
    expect(out).not.toMatch(/^0$/m);
  });

  it.skipIf(skip)(
    'a stop reaches the agent: the init, root without capabilities, still signals the agent’s user, so it exits by itself',
    async () => {
      // Incus stops a container with SIGPWR to its init, which forwards SIGTERM to the agent's process (another
      // uid): without CAP_KILL that signal was refused, and every stop waited out its timeout before a kill.
      const stops = async () =>
        (await call(core.dispatcher, 'agents', 'logs', { id: a.id, tail: 5000 })).lines.filter((l) =>
          / stopping signal=SIGTERM/.test(l),
        ).length;
      const before = await stops(); // the archive above stopped it once already
      await call(core.dispatcher, 'agents', 'stop', { id: a.id });
      expect((await get(a.id)).phase).toBe('stopped');
      const deadline = Date.now() + 20_000;
      let after = before;
      while (Date.now() < deadline && (after = await stops()) === before)
        await new Promise((r) => setTimeout(r, 250));
      expect(after).toBe(before + 1);
    },
  );

  it.skipIf(skip)('purge removes the agent and never touches its shared folders', async () => {
    const removed = await call(core.dispatcher, 'agents', 'purge', { id: a.id });
    expect(removed).toMatchObject({ container_removed: true, files_removed: true });
    expect(fs.existsSync(agentFolder(home, a.id).root)).toBe(false);
    expect(fs.readFileSync(path.join(shared, 'rw', 'hello.txt'), 'utf8')).toBe('hello rw\n');
    expect(fs.readFileSync(path.join(shared, 'rw', 'new.txt'), 'utf8')).toBe('new\n');
    expect(fs.readFileSync(path.join(shared, 'ro', 'hello.txt'), 'utf8')).toBe('hello ro\n');
  });
});
