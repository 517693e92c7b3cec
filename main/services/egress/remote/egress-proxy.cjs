// The egress proxy of a remote engine (docs/decisions/023-remote-egress.md): an HTTP proxy (CONNECT and
// absolute-form requests) that lets each agent reach only what its egress policy allows. It runs alone in
// a container on the remote engine from the agent base image's /usr/local/bin/node (`node -e <this file>`),
// so it uses Node's built-in modules only. Required as a module (tests) it exports its decision logic and
// starts nothing.
'use strict';
const net = require('node:net');
const dns = require('node:dns');
const fs = require('node:fs');

/** Largest request head (request line and headers) taken from a client, bytes. */
const HEAD_MAX = 8192;
/** How long a client may take to send its request head (ms). */
const HEAD_TIMEOUT_MS = 15_000;
/** A connection with no traffic either way for this long is closed (ms). */
const IDLE_TIMEOUT_MS = 10 * 60_000;
/** How long connecting to a destination may take (ms). */
const CONNECT_TIMEOUT_MS = 15_000;
/** Connections held at once (clients); more are refused by the server until one closes. */
const MAX_CONNECTIONS = 512;
/** Connections one source address may hold at once (so one agent cannot take every slot); more get 429. */
const MAX_PER_SOURCE = 128;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The dotted quad as a 32-bit unsigned number, or null when it is not a canonical dotted quad. */
function ipv4ToInt(address) {
  if (!IPV4.test(address)) return null;
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** True when the dotted quad `address` lies in `network`/`prefix`. */
function inRange(address, network, prefix) {
  const a = ipv4ToInt(address);
  const n = ipv4ToInt(network);
  if (a === null || n === null) return false;
  if (prefix === 0) return true;
  const mask = prefix === 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}

/** Private ranges (RFC 1918, CGNAT 100.64/10): reachable only through an allowlist entry naming them. */
const PRIVATE = [
  { network: '10.0.0.0', prefix: 8 },
  { network: '172.16.0.0', prefix: 12 },
  { network: '192.168.0.0', prefix: 16 },
  { network: '100.64.0.0', prefix: 10 },
];

/**
 * The host of a request as the proxy judges it: `{ kind: 'address', host }` for a canonical dotted quad,
 * `{ kind: 'name', host }` for a DNS name (lower case, no trailing dot), or `{ error }`: IPv6 (brackets or
 * colons, IPv4-mapped included: agents are IPv4 only), numeric forms other than the dotted quad that the
 * C library would still read as an address (`2130706433`, `0177.0.0.1`, `0x7f.1`), and anything that is not
 * a DNS name.
 */
function parseHost(raw) {
  let h = String(raw).trim().toLowerCase();
  if (h.startsWith('[') || h.includes(':'))
    return { error: 'IPv6 destinations are not supported (IPv4 only)' };
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (IPV4.test(h)) return { kind: 'address', host: h };
  const labels = h.split('.');
  if (labels.every((l) => /^(0x[0-9a-f]*|[0-9]+)$/.test(l)))
    return { error: `"${raw}" is a numeric address in a form other than a dotted quad` };
  if (h.length > 253 || !labels.every((l) => LABEL.test(l)))
    return { error: `"${raw}" is not a DNS name or an IPv4 address` };
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return { error: `"${raw}" has a numeric last label` };
  return { kind: 'name', host: h };
}

/** True when the allow target (parsed by the core with contract/egress.ts parseAllowEntry) covers the name. */
function nameMatches(t, name) {
  if (t.kind === 'name') return t.host === name;
  if (t.kind === 'wildcard') return name.endsWith(`.${t.host}`);
  return false;
}

/** True when the target (an address or CIDR entry) covers the address. */
function addressMatches(t, address) {
  if (t.kind !== 'address' && t.kind !== 'cidr') return false;
  return inRange(address, t.host.split('/')[0], t.prefix);
}

const portOk = (t, port) => t.port === null || t.port === port;

/**
 * First step of a request: may this agent ask for `host`:`port` at all (before any lookup)?
 * @param policy `{ agent, mode, targets }` or undefined (an unknown source).
 * @returns `{ ok: true, kind, host }` (then look the name up and call {@link checkAddress} for the
 *   answers), or `{ ok: false, rule, why }` (`rule` as the `egress` trace event names it).
 */
function checkRequest(policy, rawHost, port) {
  if (!policy) return { ok: false, rule: 'not_allowed', why: 'unknown source: not an agent of this engine' };
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { ok: false, rule: 'not_allowed', why: `port ${port} is not 1–65535` };
  const host = parseHost(rawHost);
  if (host.error) return { ok: false, rule: 'not_allowed', why: host.error };
  if (policy.mode === 'open') return { ok: true, kind: host.kind, host: host.host };
  if (policy.mode !== 'allowlist')
    return { ok: false, rule: 'not_allowed', why: 'egress none: the agent reaches only its gateway' };
  const listed =
    host.kind === 'name'
      ? policy.targets.some((t) => nameMatches(t, host.host) && portOk(t, port))
      : policy.targets.some((t) => addressMatches(t, host.host) && portOk(t, port));
  if (!listed) return { ok: false, rule: 'not_allowed', why: 'not on the allowlist' };
  return { ok: true, kind: host.kind, host: host.host };
}

/**
 * Second step: may the agent connect to `address` (a dotted quad the name resolved to, or the literal)?
 * Refused in every mode: the never-allowed ranges (`table.never`: loopback, "this network", link-local,
 * multicast, reserved), the engine's own networks (`table.networks`: agent_network) and the engine host's
 * addresses (`table.hosts`: host_service). Private ranges are refused unless an address or CIDR entry of
 * the allowlist covers the address (a name entry is not enough: its answer may point anywhere).
 * @returns `{ ok: true }` or `{ ok: false, rule, why }`.
 */
function checkAddress(table, policy, address, port) {
  if (ipv4ToInt(address) === null) return { ok: false, rule: 'not_allowed', why: `${address} is not IPv4` };
  for (const r of table.never || [])
    if (inRange(address, r.network, r.prefix))
      return {
        ok: false,
        rule: inRange(address, '169.254.0.0', 16) ? 'link_local' : 'agent_network',
        why: r.why,
      };
  for (const h of table.hosts || [])
    if (h === address) return { ok: false, rule: 'host_service', why: 'the engine host itself' };
  for (const r of table.networks || [])
    if (inRange(address, r.network, r.prefix))
      return { ok: false, rule: 'agent_network', why: "the engine's own networks" };
  if (PRIVATE.some((r) => inRange(address, r.network, r.prefix))) {
    const named =
      policy.mode === 'allowlist' &&
      policy.targets.some((t) => addressMatches(t, address) && portOk(t, port));
    if (!named)
      return {
        ok: false,
        rule: 'not_allowed',
        why: 'a private address (RFC 1918, 100.64/10) is reachable only through an entry naming it',
      };
  }
  return { ok: true };
}

/**
 * Parses a request head (up to the blank line): `CONNECT host:port` or an absolute-form
 * `METHOD http://host[:port]/path`. @returns `{ connect, host, port, rest }` (`rest`: the head to send
 * upstream for plain HTTP, origin-form, `Connection: close`), or `{ error }`.
 */
function parseHead(head) {
  const lines = head.split('\r\n');
  const m = /^([A-Z]{3,12}) (\S+) HTTP\/1\.[01]$/.exec(lines[0] || '');
  if (!m) return { error: 'not an HTTP/1.x request line' };
  const [, method, target] = m;
  if (method === 'CONNECT') {
    const c = /^(\[[^\]]*\]|[^:\s]+):(\d{1,5})$/.exec(target);
    if (!c) return { error: 'CONNECT needs host:port' };
    return { connect: true, host: c[1], port: Number(c[2]), rest: '' };
  }
  const u = /^http:\/\/(\[[^\]]*\]|[^:/?#\s@]+)(?::(\d{1,5}))?([/?][^\s#]*)?$/i.exec(target);
  if (!u) return { error: 'only CONNECT and absolute http:// requests are proxied' };
  const path = u[3] ? (u[3].startsWith('/') ? u[3] : `/${u[3]}`) : '/';
  const headers = lines
    .slice(1)
    .filter((l) => l && !/^(proxy-connection|proxy-authorization|connection|keep-alive):/i.test(l));
  const rest = [`${method} ${path} HTTP/1.1`, ...headers, 'Connection: close', '', ''].join('\r\n');
  return { connect: false, host: u[1], port: u[2] ? Number(u[2]) : 80, rest };
}

/**
 * The agent a connection comes from.
 * - On a per-agent port (a remote Incus: `table.ports` maps the port the connection arrived on to the
 *   agent's key in `table.agents`): the port names the agent, and the source must be one of
 *   `table.portSources` (the engine host's address towards the proxy, where incusd's forkproxy connects
 *   from for the agent's proxy device; the agent has no address of its own and cannot pick the port).
 * - Else (a remote Docker engine): its source address on the agents' network reverse-resolved by the
 *   engine's DNS (Docker answers `<container>.<network>` for a container's address), then the table's
 *   entry for that container. Agents have no capabilities, so they cannot send from another address.
 * @param localPort the proxy port the connection arrived on, when it is a per-agent port (else undefined).
 */
async function agentOf(table, source, reverse, localPort) {
  const address = source.startsWith('::ffff:') ? source.slice(7) : source;
  const own = (o, k) => !!o && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);
  if (localPort !== undefined) {
    if (!own(table.ports, String(localPort))) return null;
    if (!Array.isArray(table.portSources) || !table.portSources.includes(address)) return null;
    const key = table.ports[String(localPort)];
    return own(table.agents, key) ? table.agents[key] : null;
  }
  const net0 = table.agentNetwork;
  if (!net0 || !inRange(address, net0.network, net0.prefix)) return null;
  let names;
  try {
    names = await reverse(address);
  } catch {
    return null;
  }
  const suffix = `.${net0.name}`;
  for (const n of names) {
    const name = n.endsWith('.') ? n.slice(0, -1) : n;
    if (!name.endsWith(suffix)) continue;
    const container = name.slice(0, -suffix.length);
    const policy = own(table.agents, container) ? table.agents[container] : undefined;
    if (policy) return policy;
  }
  return null;
}

/**
 * Decides one request end to end: the agent, the host and port, then the name's addresses (looked up
 * once; the connection goes to the checked address, so a second answer cannot differ).
 * `localPort`: the per-agent port the connection arrived on (see {@link agentOf}), else undefined.
 * @returns `{ ok: true, address, policy }` or `{ ok: false, rule, why, policy, address }`.
 */
async function decide(table, source, host, port, io, localPort) {
  const policy = await agentOf(table, source, io.reverse, localPort);
  const first = checkRequest(policy, host, port);
  if (!first.ok) {
    const literal = parseHost(host);
    return { ...first, policy, address: literal.kind === 'address' ? literal.host : null };
  }
  let addresses;
  if (first.kind === 'address') addresses = [first.host];
  else {
    try {
      addresses = (await io.lookup(first.host)).filter((a) => ipv4ToInt(a) !== null);
    } catch {
      addresses = [];
    }
    if (!addresses.length)
      return {
        ok: false,
        rule: 'not_allowed',
        why: `${first.host} has no IPv4 address`,
        policy,
        address: null,
      };
  }
  let refusal = null;
  for (const a of addresses) {
    const c = checkAddress(table, policy, a, port);
    if (c.ok) return { ok: true, address: a, policy };
    refusal ??= { ...c, address: a };
  }
  return { ...refusal, policy };
}

/** An empty table: every request is refused. */
const EMPTY = {
  agentNetwork: null,
  never: [],
  networks: [],
  hosts: [],
  agents: {},
  ports: {},
  portSources: [],
};

/** Per-agent ports the proxy listens on besides its main port: `table.ports`' keys that are 1024–65535. */
function agentPorts(table, mainPort) {
  if (!table.ports || typeof table.ports !== 'object') return [];
  return Object.keys(table.ports)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p >= 1024 && p <= 65535 && p !== mainPort);
}

/** Reads the table file; a missing or broken file is the empty table (fail closed). */
function readTable(file) {
  try {
    const t = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!t || typeof t !== 'object' || typeof t.agents !== 'object') throw new Error('no agents');
    return { ...EMPTY, ...t };
  } catch (err) {
    process.stderr.write(`egress table ${file} unreadable (${err.message}): refusing everything\n`);
    return EMPTY;
  }
}

/**
 * Runs the proxy: `node -e <source> agentdesk-egress-proxy <port> <table file>`. It listens on `<port>`
 * (agents named by their source address) and on each per-agent port of the table (agents named by the
 * port: {@link agentOf}), opening and closing those as the table changes.
 */
function main(argv) {
  const port = Number(argv[0]);
  const file = argv[1];
  let table = readTable(file);
  /** Per-agent port → its server. */
  const servers = new Map();
  const reload = () => {
    table = readTable(file);
    syncPorts();
  };
  process.on('SIGHUP', reload);
  fs.watchFile(file, { interval: 2000 }, reload);
  const io = {
    reverse: (a) => dns.promises.reverse(a),
    lookup: (name) =>
      dns.promises.lookup(name, { family: 4, all: true }).then((r) => r.map((x) => x.address)),
  };
  const refuse = (c, status, why) => {
    c.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
  };
  const held = new Map();
  let total = 0;
  const handle = (localPort) => (c) => {
    c.setTimeout(HEAD_TIMEOUT_MS, () => c.destroy());
    c.on('error', () => c.destroy());
    // On a per-agent port every connection comes from the engine host: the port is the "source".
    const source = localPort === undefined ? c.remoteAddress || '' : `port ${localPort}`;
    held.set(source, (held.get(source) || 0) + 1);
    total++;
    c.on('close', () => {
      total--;
      const n = (held.get(source) || 1) - 1;
      if (n > 0) held.set(source, n);
      else held.delete(source);
    });
    if (total > MAX_CONNECTIONS) return c.destroy();
    if (held.get(source) > MAX_PER_SOURCE)
      return refuse(c, '429 Too Many Requests', `more than ${MAX_PER_SOURCE} connections at once`);
    let buf = Buffer.alloc(0);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > HEAD_MAX) {
          c.off('data', onData);
          refuse(c, '431 Request Header Fields Too Large', `the request head is over ${HEAD_MAX} bytes`);
        }
        return;
      }
      c.off('data', onData);
      c.pause();
      if (end + 4 > HEAD_MAX)
        return refuse(c, '431 Request Header Fields Too Large', `the request head is over ${HEAD_MAX} bytes`);
      const req = parseHead(buf.subarray(0, end).toString('latin1'));
      const body = buf.subarray(end + 4);
      if (req.error) return refuse(c, '400 Bad Request', req.error);
      void decide(table, c.remoteAddress || '', req.host, req.port, io, localPort).then((d) => {
        if (!d.ok) {
          if (d.policy)
            process.stdout.write(
              `${JSON.stringify({ agent: d.policy.agent, mode: d.policy.mode, host: String(req.host).slice(0, 300), address: d.address, port: req.port, rule: d.rule })}\n`,
            );
          return refuse(
            c,
            '403 Forbidden',
            `Agent Desk egress: ${req.host}:${req.port} refused (${d.rule}): ${d.why}`,
          );
        }
        const u = net.connect({ host: d.address, port: req.port, noDelay: true });
        u.setTimeout(CONNECT_TIMEOUT_MS, () => u.destroy(new Error('connect timeout')));
        const close = () => {
          c.destroy();
          u.destroy();
        };
        let connected = false;
        u.on('error', () => {
          if (connected) close();
          else refuse(c, '502 Bad Gateway', `could not connect to ${req.host}:${req.port}`);
        });
        u.on('connect', () => {
          connected = true;
          u.setTimeout(IDLE_TIMEOUT_MS, close);
          c.setTimeout(IDLE_TIMEOUT_MS, close);
          if (req.connect) c.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          else u.write(req.rest);
          if (body.length) u.write(body);
          c.pipe(u);
          u.pipe(c);
          c.resume();
          c.on('close', close);
          u.on('close', close);
        });
      });
    };
    c.on('data', onData);
  };
  const server = net.createServer({ noDelay: true }, handle(undefined));
  server.maxConnections = MAX_CONNECTIONS;
  server.listen(port, '0.0.0.0');
  function syncPorts() {
    const want = new Set(agentPorts(table, port));
    for (const [p, s] of servers)
      if (!want.has(p)) {
        s.close();
        servers.delete(p);
      }
    for (const p of want) {
      if (servers.has(p)) continue;
      const s = net.createServer({ noDelay: true }, handle(p));
      s.maxConnections = MAX_PER_SOURCE;
      s.on('error', (err) => {
        process.stderr.write(`egress proxy: port ${p}: ${err.message}\n`);
        servers.delete(p);
      });
      s.listen(p, '0.0.0.0');
      servers.set(p, s);
    }
  }
  syncPorts();
  process.on('SIGTERM', () => process.exit(0));
}

module.exports = {
  parseHost,
  checkRequest,
  checkAddress,
  parseHead,
  agentOf,
  decide,
  readTable,
  agentPorts,
  inRange,
  PRIVATE,
  HEAD_MAX,
  main,
};
if (process.argv[1] === 'agentdesk-egress-proxy') main(process.argv.slice(2));
