// Agent Desk's DNS resolver for agents: answers only names their egress policy allows, forwards those upstream.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** What the resolver asks of the egress service. */
export interface ResolverPolicy {
  /** The agent whose address sent a query to the shared listener, or null (then it is refused silently). */
  agentBySource(address: string): string | null;
  /** `forward` when the agent may resolve the name (lower case, no trailing dot), else `refuse`. */
  decide(agentId: string, name: string): 'forward' | 'refuse';
  /**
   * The IPv4 addresses (with TTL, s) an allowed name resolved to. The answer goes to the agent only once
   * this resolves, so the firewall already lets the agent reach them when it tries.
   */
  answered(agentId: string, name: string, addresses: { address: string; ttl: number }[]): Promise<void>;
  /** A refused lookup (for the trace). */
  refused(agentId: string, name: string, type: string): void;
}

/** An upstream DNS server. */
export interface Upstream {
  host: string;
  port: number;
}

/** Per query, how long one upstream may take before the next is tried, ms. */
const UPSTREAM_TIMEOUT_MS = 2500;
/** Most queries of one agent in flight at once; more are dropped (the client retries). */
const MAX_IN_FLIGHT = 64;
/** Most open TCP connections per listener, and how long an idle one stays open, ms. */
const MAX_TCP = 32;
const TCP_IDLE_MS = 10_000;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

/**
 * The upstream servers: `AGENTDESK_EGRESS_DNS` (`host[:port],…`) when set, else the host's own
 * (`dns.getServers()`: /etc/resolv.conf). IPv4 only.
 */
export function upstreamsFrom(env: Readonly<NodeJS.ProcessEnv>): Upstream[] {
  const configured = env.AGENTDESK_EGRESS_DNS?.trim();
  const list = configured ? configured.split(',') : dns.getServers();
  return list
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('['))
    .map((s) => {
      const [host = '', port] = s.split(':');
      return { host, port: port ? Number(port) : 53 };
    })
    .filter((u) => net.isIPv4(u.host) && u.port > 0 && u.port < 65536);
}

/** A refusal: the query's header and question, QR set, NXDOMAIN, nothing else. */
function refusal(query: dnsPacket.DecodedPacket, rcode: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: query.questions ?? [],
  });
}

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
  host: string;
  port: number;
}

/**
 * The DNS side of egress (docs/decisions/009-egress.md). A shared listener (Docker: on the bridge
 * address; the agent is its source address, as the firewall sends each agent's DNS there) and
 * per-agent listeners (Incus: on the project bridge's address, where the firewall sends the DNS of the
 * agent's routed NIC, or on 127.0.0.1, where a proxy device in the container forwards its 127.0.0.1:53),
 * so the port names the agent). Allowed names are forwarded to the upstream servers and their
 * answers relayed unchanged once their A records are let through; refused names get NXDOMAIN.
 */
export class EgressResolver {
  private shared: Listener | null = null;
  private readonly perAgent = new Map<string, Listener>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly policy: ResolverPolicy,
    private readonly upstreams: () => Upstream[],
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /** Listens (UDP and TCP, one port) on `host`, once per host (a new host closes the old listener); @returns the port. */
  async listenShared(host: string): Promise<number> {
    if (this.shared?.host === host) return this.shared.port;
    if (this.shared) close(this.shared);
    this.shared = await this.listen(host, (src) => this.policy.agentBySource(src));
    return this.shared.port;
  }

  /** The shared listener's port, or null. */
  sharedPort(): number | null {
    return this.shared?.port ?? null;
  }

  /**
   * Listens for one agent on `host` (default 127.0.0.1), once per agent and host (another host closes
   * the old listener); @returns the port.
   */
  async listenAgent(agentId: string, host = '127.0.0.1'): Promise<number> {
    const existing = this.perAgent.get(agentId);
    if (existing?.host === host) return existing.port;
    if (existing) close(existing);
    const l = await this.listen(host, () => agentId);
    this.perAgent.set(agentId, l);
    return l.port;
  }

  /** The agent's own listener's port, or null. */
  agentPort(agentId: string): number | null {
    return this.perAgent.get(agentId)?.port ?? null;
  }

  /** Stops the agent's own listener (purge). */
  closeAgent(agentId: string): void {
    const l = this.perAgent.get(agentId);
    if (l) close(l);
    this.perAgent.delete(agentId);
  }

  /** Closes every listener. */
  close(): void {
    if (this.shared) close(this.shared);
    this.shared = null;
    for (const l of this.perAgent.values()) close(l);
    this.perAgent.clear();
  }

  private async listen(host: string, who: (src: string) => string | null): Promise<Listener> {
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(0, host, () => resolve());
      });
      const port = udp.address().port;
      const tcp = net.createServer({ pauseOnConnect: false });
      tcp.maxConnections = MAX_TCP;
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, host, () => resolve());
        });
      } catch (err) {
        udp.close();
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
        throw err;
      }
      udp.on('error', (err) => this.log.warn({ err: err.message }, 'egress resolver UDP error'));
      udp.on('message', (msg, rinfo) => {
        const agent = who(rinfo.address);
        if (!agent) return;
        void this.answer(agent, msg, false).then((reply) => {
          if (reply) udp.send(reply, rinfo.port, rinfo.address);
        });
      });
      tcp.on('connection', (sock) => this.serveTcp(sock, who));
      return { udp, tcp, host, port };
    }
  }

  private serveTcp(sock: net.Socket, who: (src: string) => string | null): void {
    const agent = who((sock.remoteAddress ?? '').replace(/^::ffff:/, ''));
    if (!agent) {
      sock.destroy();
      return;
    }
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void this.answer(agent, msg, true).then((reply) => {
          if (!reply || sock.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([head, reply]));
        });
      }
      if (pending.length > 70_000) sock.destroy();
    });
  }

  /** The reply to one query of `agent` (null = drop it). Never throws. */
  private async answer(agent: string, msg: Buffer, tcp: boolean): Promise<Buffer | null> {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return null;
    }
    const q = query.questions?.[0];
    if (query.type !== 'query' || !q || (query.questions?.length ?? 0) !== 1) return null;
    const name = q.name.toLowerCase().replace(/\.$/, '');
    if (this.policy.decide(agent, name) === 'refuse') {
      this.policy.refused(agent, name, q.type);
      return refusal(query, RCODE_NXDOMAIN);
    }
    const busy = this.inFlight.get(agent) ?? 0;
    if (busy >= MAX_IN_FLIGHT) return null;
    this.inFlight.set(agent, busy + 1);
    try {
      const reply = await this.forward(msg, tcp);
      if (!reply) return refusal(query, RCODE_SERVFAIL);
      let addresses: { address: string; ttl: number }[] = [];
      try {
        const decoded = dnsPacket.decode(reply);
        if (decoded.id !== query.id) return refusal(query, RCODE_SERVFAIL);
        addresses = (decoded.answers ?? [])
          .map((a) => a as { type: string; data?: unknown; ttl?: number })
          .filter((a) => a.type === 'A' && typeof a.data === 'string')
          .map((a) => ({ address: a.data as string, ttl: a.ttl ?? 0 }));
      } catch {
        return refusal(query, RCODE_SERVFAIL);
      }
      if (addresses.length) await this.policy.answered(agent, name, addresses);
      return reply;
    } catch (err) {
      this.log.warn({ agent, name, err: (err as Error).message }, 'egress resolver could not answer');
      return refusal(query, RCODE_SERVFAIL);
    } finally {
      this.inFlight.set(agent, (this.inFlight.get(agent) ?? 1) - 1);
    }
  }

  /** Asks each upstream in turn (UDP, or TCP for a TCP query) and returns the first reply. */
  private async forward(msg: Buffer, tcp: boolean): Promise<Buffer | null> {
    for (const u of this.upstreams()) {
      const reply = await (tcp ? tcpQuery(u, msg) : udpQuery(u, msg)).catch(() => null);
      if (reply) return reply;
    }
    return null;
  }
}

function close(l: Listener): void {
  try {
    l.udp.close();
  } catch {
    /* closed already */
  }
  l.tcp.close();
}

function udpQuery(u: Upstream, msg: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (r: Buffer | null) => {
      clearTimeout(timer);
      s.close();
      resolve(r);
    };
    const timer = setTimeout(() => done(null), UPSTREAM_TIMEOUT_MS);
    s.on('error', () => done(null));
    s.on('message', (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === msg.readUInt16BE(0)) done(reply);
    });
    s.send(msg, u.port, u.host);
  });
}

function tcpQuery(u: Upstream, msg: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.host, port: u.port });
    let buf = Buffer.alloc(0);
    const done = (r: Buffer | null) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(UPSTREAM_TIMEOUT_MS, () => done(null));
    sock.on('error', () => done(null));
    sock.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([head, msg]));
    });
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
        done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}
