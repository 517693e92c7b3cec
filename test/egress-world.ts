// A small "outside world" for egress tests: a network namespace behind a veth acting as two internet hosts with a DNS server.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { ContainerRuntime } from '../main/services/runtimes/container-runtime';

/** Names the DNS server of the outside world answers. */
export const NAMES = { allowed: 'allowed.egress.test', other: 'other.egress.test' } as const;
/** Ports its hosts serve: TCP (HTTP, answers its host's label) and UDP (echoes its host's label). */
export const PORTS = { tcp: 8080, tcpOther: 9090, udp: 5300, udpOther: 5301 } as const;

/** The outside world of one test file. */
export interface OutsideWorld {
  /** Host A (the allowed one in tests) and host B (another host), IPv4. */
  a: string;
  b: string;
  /** The DNS server (`host:port`) for AGENTDESK_EGRESS_DNS. */
  dns: string;
  close(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/** A TCP (HTTP/1.0) and UDP server for each `[address, label]`, run by node inside the namespace. */
const SERVERS = (hosts: [string, string][]) => `
const net=require('net'),dgram=require('dgram');
for (const [h,label] of ${JSON.stringify(hosts)}) {
  for (const p of [${PORTS.tcp},${PORTS.tcpOther}]) net.createServer(s=>{s.on('error',()=>{});s.end('HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n'+label+':'+p)}).listen(p,h);
  for (const p of [${PORTS.udp},${PORTS.udpOther}]) { const u=dgram.createSocket('udp4'); u.on('message',(m,r)=>u.send(label+':'+p,r.port,r.address)); u.bind(p,h); }
}
console.log('ready');`;

/**
 * Makes the world: namespace `adto-<hex>`, veth `adto<hex>` (host side, 198.18.N.1/28; `adeg+` is
 * Agent Desk's own prefix, not used here), hosts A = .2 and B = .3 inside, routes back through the host,
 * a dnsmasq on A:53 answering {@link NAMES}. Needs root and `ip`, `dnsmasq`.
 */
export async function outsideWorld(): Promise<OutsideWorld> {
  const hex = crypto.randomBytes(3).toString('hex');
  const ns = `adto-${hex}`;
  const veth = `adto${hex}`;
  const n = 16 * (crypto.randomBytes(1)[0]! % 16);
  const third = 100 + (crypto.randomBytes(1)[0]! % 150);
  const host = `198.18.${third}.${n + 1}`;
  const a = `198.18.${third}.${n + 2}`;
  const b = `198.18.${third}.${n + 3}`;
  const children: ChildProcess[] = [];
  const close = () => {
    for (const c of children) c.kill('SIGKILL');
    try {
      ip('link', 'del', veth);
    } catch {
      /* gone with the namespace */
    }
    try {
      ip('netns', 'del', ns);
    } catch {
      /* never made */
    }
  };
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
    ip('link', 'set', `${veth}p`, 'netns', ns);
    ip('addr', 'add', `${host}/28`, 'dev', veth);
    ip('link', 'set', veth, 'up');
    const inNs = (...args: string[]) => ip('netns', 'exec', ns, 'ip', ...args);
    inNs('link', 'set', 'lo', 'up');
    inNs('addr', 'add', `${a}/28`, 'dev', `${veth}p`);
    inNs('addr', 'add', `${b}/28`, 'dev', `${veth}p`);
    inNs('link', 'set', `${veth}p`, 'up');
    inNs('route', 'add', 'default', 'via', host);
    const servers = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '-e',
        SERVERS([
          [a, 'A'],
          [b, 'B'],
        ]),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(servers);
    await new Promise<void>((resolve, reject) => {
      servers.stdout?.once('data', () => resolve());
      servers.once('exit', (code) => reject(new Error(`outside servers exited ${code}`)));
    });
    const dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'dnsmasq',
        '--keep-in-foreground',
        '--no-resolv',
        '--no-hosts',
        '--bind-interfaces',
        `--listen-address=${a}`,
        '--except-interface=lo',
        '--pid-file=',
        '--user=root',
        `--address=/${NAMES.allowed}/${a}`,
        `--address=/${NAMES.other}/${b}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(dnsmasq);
    await waitDns(ns, a);
    return { a, b, dns: `${a}:53`, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Waits (≤ 10 s) until dnsmasq answers inside the namespace. */
async function waitDns(ns: string, server: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const out = execFileSync(
        'ip',
        [
          'netns',
          'exec',
          ns,
          process.execPath,
          '-e',
          `const r=new (require('dns').promises.Resolver)();r.setServers(['${server}']);r.resolve4('${NAMES.allowed}').then(a=>console.log(a[0]),()=>console.log('no'))`,
        ],
        { encoding: 'utf8' },
      ).trim();
      if (out === server) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('dnsmasq did not answer in the test namespace');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TCP server and a UDP server of the host on 0.0.0.0 (the kind of service agents must never reach). */
export async function hostServices(): Promise<{ tcp: number; udp: number; close(): void }> {
  const tcp = net.createServer((s) => s.end('HTTP/1.0 200 OK\r\n\r\nhost-service'));
  await new Promise<void>((r) => tcp.listen(0, '0.0.0.0', r));
  const udp = dgram.createSocket('udp4');
  udp.on('message', (_m, r) => udp.send('host-service', r.port, r.address));
  await new Promise<void>((r) => udp.bind(0, '0.0.0.0', r));
  return {
    tcp: (tcp.address() as net.AddressInfo).port,
    udp: udp.address().port,
    close: () => {
      tcp.close();
      udp.close();
    },
  };
}

/** The body `curl` fetched from inside the container, or `refused (<exit code>)` (3 s deadline). */
export async function curlFrom(rt: ContainerRuntime, name: string, url: string): Promise<string> {
  const r = await rt.exec(name, ['curl', '-sS', '-m', '3', url], { timeoutMs: 15_000 });
  return r.exitCode === 0 ? r.stdout.trim() : `refused (${r.exitCode})`;
}

/** A UDP datagram from inside the container and the reply, or `no reply` (1.2 s). */
export async function udpFrom(
  rt: ContainerRuntime,
  name: string,
  host: string,
  port: number,
): Promise<string> {
  const js = `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log(String(m));process.exit(0)});s.on('error',e=>{console.log('no reply '+e.code);process.exit(0)});s.send('hi',${port},'${host}');setTimeout(()=>{console.log('no reply');process.exit(0)},1200)`;
  const r = await rt.exec(name, ['node', '-e', js], { timeoutMs: 15_000 });
  return r.stdout.trim();
}

/** The IPv4 address glibc resolves `name` to inside the container, or `unresolved`. */
export async function resolveFrom(rt: ContainerRuntime, name: string, host: string): Promise<string> {
  const r = await rt.exec(name, ['getent', 'ahostsv4', host], { timeoutMs: 15_000 });
  return r.exitCode === 0 ? (r.stdout.trim().split(/\s+/)[0] ?? 'unresolved') : 'unresolved';
}

/** The answer to a DNS query sent straight to `server` (not the container's resolver), or the error code. */
export async function dnsVia(
  rt: ContainerRuntime,
  name: string,
  server: string,
  host: string,
): Promise<string> {
  const js = `const r=new (require('dns').promises.Resolver)({timeout:2000,tries:1});r.setServers(['${server}']);r.resolve4('${host}').then(a=>console.log(a.join(',')),e=>console.log(e.code))`;
  const r = await rt.exec(name, ['node', '-e', js], { timeoutMs: 15_000 });
  return r.stdout.trim();
}

/**
 * Removes a test's Docker network and the base egress rules made for its bridge and subnet (a real
 * core's agents network keeps them for good). Containers on it must be gone first.
 */
export function dropDockerNetwork(network: string): void {
  let id = '';
  let subnet = '';
  try {
    id = execFileSync('docker', ['network', 'inspect', '-f', '{{.Id}}', network], {
      encoding: 'utf8',
    }).trim();
    subnet = execFileSync(
      'docker',
      ['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', network],
      {
        encoding: 'utf8',
      },
    ).trim();
  } catch {
    return; // never made
  }
  const bridge = `br-${id.slice(0, 12)}`;
  const drop = (tool: string, chain: string) => {
    let lines: string[] = [];
    try {
      lines = execFileSync(tool, ['-w', '-S', chain], { encoding: 'utf8' }).split('\n');
    } catch {
      return;
    }
    for (const line of lines)
      if (line.startsWith('-A ') && (line.includes(bridge) || (subnet && line.includes(subnet))))
        execFileSync('sh', ['-c', `${tool} -w ${line.replace(/^-A/, '-D')}`]);
  };
  drop('iptables', 'AGENTDESK-FWD');
  drop('iptables', 'AGENTDESK-IN');
  drop('ip6tables', 'AGENTDESK-V6');
  execFileSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
}
