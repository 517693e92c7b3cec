// The egress helper image agentdesk/egress-helper:<recipe>: the base image plus Debian's iptables (.debs cached) and the helper program, built offline by Docker.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { AppError } from '../../../contract/errors';
import { withDirLock } from '../../platform/locks';
import type { Logger } from '../../platform/logging';

/** Image label naming the recipe an image was built from ({@link EgressHelperImage.recipeHash}). */
export const HELPER_RECIPE_LABEL = 'agentdesk.egress-helper.recipe';
/** Files of the recipe folder (scripts/images/egress-helper). */
const RECIPE_FILES = ['Dockerfile', 'packages'];
/** Where apt leaves downloaded packages inside the base image. */
const APT_ARCHIVES = '/var/cache/apt/archives';
/** Deadline of the one-time download of the packages (ms). */
const FETCH_TIMEOUT_MS = 10 * 60_000;

/** Constructor dependencies of {@link EgressHelperImage}. */
export interface EgressHelperImageDeps {
  docker: () => Dockerode;
  /** scripts/images/egress-helper (Dockerfile, packages). */
  recipeDir: string;
  /** The helper program, out/egress-helper/egress-helper.cjs (scripts/build-runtime.mjs). */
  helperFile: string;
  /** The image cache: `.debs` go to `<cacheDir>/downloads/egress-helper-<hash>/`. */
  cacheDir: string;
  /** The base image the helper is built FROM (it must be in Docker: {@link ensureBase}). */
  baseRef: string;
  /** Makes sure the base image is in Docker (builds or imports it when missing). */
  ensureBase: () => Promise<void>;
  log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Downloads forbidden (`AGENTDESK_OFFLINE=1`): the packages must be in the cache. */
  offline?: boolean;
}

/**
 * Builds the egress helper image locally (docs/decisions/009-egress.md, "Without root"):
 * 1. the Debian packages of `packages` and what they need beyond the base image, downloaded once by apt
 *    inside a throw-away container of the base image (so they match its Debian release and apt checks
 *    their signatures), kept in the image cache with a SHA256SUMS file; a cached set is reused with no
 *    network (`AGENTDESK_OFFLINE=1` forbids the download: the error says where to put the files);
 * 2. `docker build` (networking off) of the recipe's Dockerfile FROM the base image with those .debs
 *    and the helper program, labelled with the recipe hash.
 * One build at a time per process (callers join it) and across processes (a lock folder in the cache).
 * Errors: AppError UNAVAILABLE (no helper program, packages cannot be downloaded), INTERNAL (build failed).
 */
export class EgressHelperImage {
  private building: Promise<void> | null = null;

  constructor(private readonly d: EgressHelperImageDeps) {}

  /** `agentdesk/egress-helper:<first 12 of the recipe hash>`. */
  get ref(): string {
    return `agentdesk/egress-helper:${this.recipeHash().slice(0, 12)}`;
  }

  /**
   * SHA-256 (hex) of the recipe files, the helper program and the base image reference.
   * @throws AppError UNAVAILABLE when the helper program has not been built.
   */
  recipeHash(): string {
    if (!fs.existsSync(this.d.helperFile))
      throw new AppError(
        'UNAVAILABLE',
        `The egress helper program ${this.d.helperFile} is missing; build it with \`node scripts/build-runtime.mjs\` (npm run build) or reinstall Agent Desk`,
      );
    const h = crypto.createHash('sha256');
    for (const f of RECIPE_FILES) h.update(f).update(fs.readFileSync(path.join(this.d.recipeDir, f)));
    return h.update('helper').update(fs.readFileSync(this.d.helperFile)).update(this.d.baseRef).digest('hex');
  }

  /** Whether the image of this recipe is in Docker. */
  async present(): Promise<boolean> {
    try {
      const info = await this.d.docker().getImage(this.ref).inspect();
      return info.Config?.Labels?.[HELPER_RECIPE_LABEL] === this.recipeHash();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  /** Builds the image unless present (see the class doc); a call during a build joins it. */
  build(): Promise<void> {
    this.building ??= withDirLock(
      path.join(this.d.cacheDir, '.egress-helper-build.lock'),
      () => this.buildNow(),
      {
        waitMs: 15 * 60_000,
        timeout: (pid) =>
          new AppError('UNAVAILABLE', `The egress helper image is being built by process ${pid}`),
      },
    ).finally(() => {
      this.building = null;
    });
    return this.building;
  }

  /** The packages named by the recipe (one per line, `#` comments). */
  private packages(): string[] {
    const names = fs
      .readFileSync(path.join(this.d.recipeDir, 'packages'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
    for (const n of names)
      if (!/^[a-z0-9][a-z0-9.+-]*$/.test(n))
        throw new AppError('INTERNAL', `bad package name in the recipe: ${n}`);
    return names;
  }

  private async buildNow(): Promise<void> {
    if (await this.present()) return;
    await this.d.ensureBase();
    const debs = await this.debs();
    const dir = path.join(this.d.cacheDir, `.egress-helper-build-${crypto.randomBytes(4).toString('hex')}`);
    try {
      fs.mkdirSync(path.join(dir, 'debs'), { recursive: true });
      fs.copyFileSync(path.join(this.d.recipeDir, 'Dockerfile'), path.join(dir, 'Dockerfile'));
      fs.copyFileSync(this.d.helperFile, path.join(dir, 'egress-helper.cjs'));
      for (const f of fs.readdirSync(debs).filter((f) => f.endsWith('.deb')))
        fs.copyFileSync(path.join(debs, f), path.join(dir, 'debs', f));
      await this.dockerBuild(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The folder of the cached .debs, downloaded first when missing or damaged. */
  private async debs(): Promise<string> {
    const packages = this.packages();
    const key = crypto
      .createHash('sha256')
      .update(`${this.d.baseRef}\n${packages.join('\n')}`)
      .digest('hex');
    const dir = path.join(this.d.cacheDir, 'downloads', `egress-helper-${key.slice(0, 12)}`);
    if (sumsMatch(dir)) return dir;
    if (this.d.offline)
      throw new AppError(
        'UNAVAILABLE',
        `The egress helper image needs the Debian packages ${packages.join(', ')} (and what they depend on) for ${this.d.baseRef}; AGENTDESK_OFFLINE=1 forbids downloading them. Copy the .deb files into ${dir} with a SHA256SUMS file (sha256sum *.deb > SHA256SUMS), or allow the download once`,
      );
    fs.rmSync(dir, { recursive: true, force: true });
    const part = `${dir}.part-${process.pid}`;
    fs.rmSync(part, { recursive: true, force: true });
    fs.mkdirSync(part, { recursive: true });
    try {
      await this.fetchDebs(packages, part);
      const files = fs
        .readdirSync(part)
        .filter((f) => f.endsWith('.deb'))
        .sort();
      if (!files.length)
        throw new AppError('UNAVAILABLE', `apt downloaded no package for ${packages.join(', ')}`);
      const sums = files.map((f) => `${sha256(path.join(part, f))}  ${f}`).join('\n');
      fs.writeFileSync(path.join(part, 'SHA256SUMS'), `${sums}\n`);
      fs.renameSync(part, dir);
    } finally {
      fs.rmSync(part, { recursive: true, force: true });
    }
    this.d.log.info({ dir }, 'egress helper packages downloaded');
    return dir;
  }

  /** apt in a throw-away container of the base image downloads the packages; its archive folder is copied out. */
  private async fetchDebs(packages: string[], into: string): Promise<void> {
    const docker = this.d.docker();
    this.d.log.info({ packages }, 'downloading the egress helper packages with apt (once)');
    const c = await docker.createContainer({
      name: `agentdesk-egress-debs-${crypto.randomBytes(4).toString('hex')}`,
      Image: this.d.baseRef,
      User: '0:0',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: [
        `apt-get update -qq && apt-get install --download-only --no-install-recommends -y -qq ${packages.join(' ')}`,
      ],
      Labels: { 'agentdesk.managed': 'true' },
      HostConfig: { NetworkMode: 'bridge' },
    });
    try {
      await c.start();
      const done = (await Promise.race([
        c.wait(),
        new Promise((_r, reject) =>
          setTimeout(() => reject(new Error('timed out')), FETCH_TIMEOUT_MS).unref(),
        ),
      ])) as { StatusCode: number };
      if (done.StatusCode !== 0) {
        const logs = (await c.logs({ stdout: true, stderr: true, tail: 10 })).toString('utf8');
        throw new AppError(
          'UNAVAILABLE',
          `Downloading ${packages.join(', ')} for the egress helper failed (apt exit ${done.StatusCode}): ${logs
            .replace(/[^\x20-\x7e\n]/g, '')
            .trim()
            .split('\n')
            .slice(-3)
            .join(
              ' | ',
            )}. The Debian mirror must be reachable once, or the .debs copied into the image cache (see docs/security/egress.md)`,
        );
      }
      const archive = (await c.getArchive({ path: APT_ARCHIVES })) as unknown as Readable;
      await untarDebs(archive, into);
    } finally {
      await c.remove({ force: true }).catch(() => undefined);
    }
  }

  private async dockerBuild(dir: string): Promise<void> {
    const docker = this.d.docker();
    const tar = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stream = await docker.buildImage(tar.stdout, {
      t: this.ref,
      buildargs: { BASE_IMAGE: this.d.baseRef },
      labels: { 'agentdesk.managed': 'true', [HELPER_RECIPE_LABEL]: this.recipeHash() },
      rm: true,
      forcerm: true,
      networkmode: 'none',
    });
    const tail: string[] = [];
    // Set by the progress callback (a plain `let` would be narrowed to null by the compiler).
    const result: { failure: string | null } = { failure: null };
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (e: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (e.error) result.failure = e.errorDetail?.message ?? e.error;
          for (const line of (e.stream ?? '').split('\n').filter((l) => l.trim())) {
            tail.push(line);
            if (tail.length > 20) tail.shift();
            this.d.log.debug({ line }, 'egress helper image build');
          }
        },
      );
    });
    if (result.failure)
      throw new AppError(
        'INTERNAL',
        `Building ${this.ref} failed: ${result.failure}. Last lines: ${tail.slice(-6).join(' | ')}`,
      );
    this.d.log.info({ ref: this.ref }, 'egress helper image built');
  }
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** True when `dir/SHA256SUMS` exists and every .deb it lists is there with that sum. */
function sumsMatch(dir: string): boolean {
  try {
    const lines = fs.readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
    if (!lines.length || !lines[0]) return false;
    return lines.every((l) => {
      const [sum, file] = l.split(/\s+/);
      return !!file && /^[\w.+~:-]+\.deb$/.test(file) && sha256(path.join(dir, file)) === sum;
    });
  } catch {
    return false;
  }
}

/** Extracts the `*.deb` files of a Docker archive of the apt archive folder (`archives/…`) into `into`. */
function untarDebs(archive: Readable, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn(
      'tar',
      ['-x', '-C', into, '--no-same-owner', '--strip-components=1', '--wildcards', 'archives/*.deb'],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let err = '';
    tar.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    archive.on('error', reject);
    archive.pipe(tar.stdin);
    tar.on('error', reject);
    tar.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`tar of the packages failed: ${err.trim()}`)),
    );
  });
}
