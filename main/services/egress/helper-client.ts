// The core's side of the egress helper: keeps its container running and talks to it over a `docker exec` session (stdin/stdout).
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { EgressHelperImage } from '../images/egress-helper-image';
import { HELPER_RECIPE_LABEL } from '../images/egress-helper-image';
import { HELPER_PROTOCOL, parseReply } from './helper-protocol';
import type { Backend, HelperReply, HelperRequest } from './helper-protocol';
import { IptablesCommandError } from './iptables';
import type { IpFamily, IptablesExecutor } from './iptables';
import type { FirewallTable } from './rule-guard';

/** Label marking the helper container, with the core (`agentdesk.instance`) it serves. */
export const HELPER_ROLE = { key: 'agentdesk.role', value: 'egress-helper' } as const;
/** The helper program inside the image (scripts/images/egress-helper/Dockerfile). */
const HELPER_COMMAND = ['/usr/local/bin/node', '/opt/agentdesk/egress-helper.cjs'];
/** Deadline of one request (ms): an iptables command has 20 s of its own. */
const REQUEST_TIMEOUT_MS = 45_000;
/** Longest reply line read (a `-S` of a large table). */
const REPLY_LINE_MAX = 32 * 1024 * 1024;

type Request = HelperRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Ok = Extract<HelperReply, { ok: true }>;
type Answer = Extract<HelperReply, { id: number }>;

/**
 * The long-lived helper container of one core, `agentdesk-egress-<instance>`: the helper image, the
 * host's network namespace (`--network host`, where Docker's and Incus's rules live), capabilities
 * NET_ADMIN and NET_RAW (iptables; NET_RAW for the legacy backend) and SYSLOG (`/dev/kmsg` under
 * `kernel.dmesg_restrict=1`) and no other, `/dev/kmsg` as a read-only device, read-only root, no
 * new privileges, no logs kept (`LogConfig none`), restarted unless stopped. It mounts nothing of the
 * data dir; only the host's xtables lock file, when there is one, so the legacy backend waits for
 * Docker's own iptables calls.
 */
export class EgressHelperContainer {
  constructor(
    private readonly d: {
      docker: () => Dockerode;
      image: EgressHelperImage;
      instanceId: string;
      log: Pick<Logger, 'info' | 'warn'>;
    },
  ) {}

  /** `agentdesk-egress-<instance>`. */
  get name(): string {
    return `agentdesk-egress-${this.d.instanceId}`;
  }

  /**
   * Builds the image when missing, then makes the container exist (of this recipe) and run.
   * @throws AppError CONFLICT when a container of that name is not this core's helper; image errors.
   */
  async ensureRunning(): Promise<void> {
    const docker = this.d.docker();
    if (!(await this.d.image.present())) await this.d.image.build();
    const hash = this.d.image.recipeHash();
    const c = docker.getContainer(this.name);
    let info: Dockerode.ContainerInspectInfo | null = await c
      .inspect()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return null;
        throw err;
      });
    if (info) {
      const labels = info.Config.Labels ?? {};
      if (labels[HELPER_ROLE.key] !== HELPER_ROLE.value || labels['agentdesk.instance'] !== this.d.instanceId)
        throw new AppError(
          'CONFLICT',
          `A container named ${this.name} exists and is not this Agent Desk's egress helper; remove or rename it`,
        );
      if (labels[HELPER_RECIPE_LABEL] !== hash) {
        await c.remove({ force: true });
        info = null;
      }
    }
    if (!info) {
      const lock = '/run/xtables.lock';
      await docker.createContainer({
        name: this.name,
        Image: this.d.image.ref,
        Cmd: ['hold'],
        User: '0:0',
        Labels: {
          'agentdesk.managed': 'true',
          [HELPER_ROLE.key]: HELPER_ROLE.value,
          'agentdesk.instance': this.d.instanceId,
          [HELPER_RECIPE_LABEL]: hash,
        },
        HostConfig: {
          NetworkMode: 'host',
          CapDrop: ['ALL'],
          CapAdd: ['NET_ADMIN', 'NET_RAW', 'SYSLOG'],
          Devices: [{ PathOnHost: '/dev/kmsg', PathInContainer: '/dev/kmsg', CgroupPermissions: 'r' }],
          SecurityOpt: ['no-new-privileges'],
          ReadonlyRootfs: true,
          Tmpfs: { '/run': 'rw,noexec,nosuid,size=1m', '/tmp': 'rw,noexec,nosuid,size=8m' },
          Binds: fs.existsSync(lock) ? [`${lock}:${lock}`] : [],
          RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
          LogConfig: { Type: 'none', Config: {} },
          Memory: 256 * 1024 * 1024,
          PidsLimit: 64,
        },
      });
      this.d.log.info({ container: this.name }, 'egress helper container created');
    }
    const state = info?.State;
    if (!state?.Running)
      await c.start().catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // already started
      });
  }
}

/** One `docker exec … egress-helper.cjs serve`: requests written to its stdin, replies read from its stdout. */
class HelperSession {
  closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Answer) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly stream: Duplex,
    private readonly onEvent: (message: string) => void,
  ) {}

  /** Starts the session in container `name`. @throws engine errors. */
  static async open(
    docker: Dockerode,
    name: string,
    onEvent: (message: string) => void,
    log: Pick<Logger, 'warn'>,
  ): Promise<HelperSession> {
    const exec = await docker.getContainer(name).exec({
      Cmd: [...HELPER_COMMAND, 'serve'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: '0:0',
    });
    const stream: Duplex = await exec.start({ hijack: true, stdin: true });
    const session = new HelperSession(stream, onEvent);
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    let partial = '';
    out.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        session.deliver(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
      if (partial.length > REPLY_LINE_MAX) session.fail(new Error('the egress helper sent a line too long'));
    });
    err
      .setEncoding('utf8')
      .on('data', (chunk: string) => log.warn({ stderr: chunk.slice(0, 2000) }, 'egress helper'));
    const end = () => session.fail(new Error('the egress helper session ended'));
    stream
      .on('end', end)
      .on('close', end)
      .on('error', (e: Error) => session.fail(e));
    return session;
  }

  private deliver(line: string): void {
    const r = parseReply(line);
    if (!r) return;
    if ('event' in r) return this.onEvent(r.message);
    const p = this.pending.get(r.id);
    this.pending.delete(r.id);
    p?.resolve(r);
  }

  /** Ends the session: pending requests are rejected with `err`. */
  fail(err: Error): void {
    if (!this.closed) {
      this.closed = true;
      this.stream.destroy();
    }
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Sends one request. @throws Error when the session ends or the reply misses its deadline. */
  request(body: Request): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error('the egress helper session ended'));
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error('the egress helper did not answer in time')),
        REQUEST_TIMEOUT_MS,
      );
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.stream.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }
}

/**
 * iptables through the helper container ({@link EgressHelperContainer}): every query and restore is one
 * request on a `docker exec` session, checked again by the helper (rule-guard.ts) before it runs. A
 * session that ended (container restarted, Docker back) is opened again, the container started or
 * re-created first; kernel log following is resumed on the new session.
 */
export class HelperIptables implements IptablesExecutor {
  readonly kind = 'helper' as const;
  private session: HelperSession | null = null;
  private opening: Promise<HelperSession> | null = null;
  private onKmsg: ((message: string) => void) | null = null;
  /** Why the kernel log is not followed (null = it is, or nobody asked). */
  private kmsgWhy: string | null = null;
  /** What `hello` answered: the helper's iptables version line. */
  version = '';

  constructor(
    private readonly d: {
      docker: () => Dockerode;
      container: EgressHelperContainer;
      /** The host's iptables backend (iptables.ts hostIptablesBackend); null = nf_tables. */
      backend: Backend | null;
      log: Pick<Logger, 'info' | 'warn'>;
    },
  ) {}

  /** Opens a session now (container started, `hello` answered). @throws IptablesCommandError why not. */
  async connect(): Promise<void> {
    await this.open();
  }

  private open(): Promise<HelperSession> {
    if (this.session && !this.session.closed) return Promise.resolve(this.session);
    this.opening ??= (async () => {
      try {
        await this.d.container.ensureRunning();
        const s = await HelperSession.open(
          this.d.docker(),
          this.d.container.name,
          (m) => this.onKmsg?.(m),
          this.d.log,
        );
        const hello = await s.request({ op: 'hello', backend: this.d.backend });
        if (!hello.ok) throw new Error(hello.error);
        if (hello.protocol !== HELPER_PROTOCOL)
          throw new Error(`the helper speaks protocol ${hello.protocol}, the core ${HELPER_PROTOCOL}`);
        this.version = hello.version ?? '';
        this.session = s;
        if (this.onKmsg) await this.requestKmsg(s);
        return s;
      } catch (err) {
        throw new IptablesCommandError(
          `the egress helper container ${this.d.container.name} is not usable: ${(err as Error).message}`,
          null,
        );
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  /** Sends a request, opening a session first; a session that ends meanwhile is retried once. */
  private async call(body: Request): Promise<Ok> {
    for (let attempt = 0; ; attempt++) {
      const s = await this.open();
      let reply: Answer;
      try {
        reply = await s.request(body);
      } catch (err) {
        if (attempt === 0) continue;
        throw new IptablesCommandError(`egress helper: ${(err as Error).message}`, null);
      }
      if (!reply.ok)
        throw new IptablesCommandError(
          reply.error,
          reply.exitCode,
          reply.stderr ?? '',
          reply.refused ?? false,
        );
      return reply;
    }
  }

  async query(family: IpFamily, table: FirewallTable, args: string[]): Promise<string> {
    return (await this.call({ op: 'query', family, table, args })).stdout ?? '';
  }

  async restore(family: IpFamily, input: string): Promise<void> {
    await this.call({ op: 'restore', family, input });
  }

  private async requestKmsg(s: HelperSession): Promise<void> {
    const r = await s.request({ op: 'kmsg' });
    this.kmsgWhy = r.ok
      ? null
      : `the egress helper cannot read the kernel log (${(r as { error: string }).error}); refused connections are not traced`;
    if (this.kmsgWhy) this.d.log.warn(this.kmsgWhy);
  }

  async followKernelLog(onMessage: (message: string) => void): Promise<string | null> {
    const open = this.session && !this.session.closed ? this.session : null;
    this.onKmsg = onMessage;
    try {
      if (open) await this.requestKmsg(open);
      else await this.open(); // asks for the kernel log itself
      return this.kmsgWhy;
    } catch (err) {
      return (err as Error).message;
    }
  }

  close(): void {
    this.onKmsg = null;
    this.session?.fail(new Error('closed'));
    this.session = null;
  }
}
