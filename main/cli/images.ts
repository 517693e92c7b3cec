// `agentdesk images status|build|export|import`: the base image agents run from, offline; `build --framework openclaw` for OpenClaw's.
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Client } from '../../contract/client';
import { appRoot, resolveDataDir, resourcesDir } from '../platform/paths';
import { OpenClawImageBuilder } from '../services/images/framework-image';
import { connectDocker } from '../services/runtimes/docker/docker-client';
import type { RunnerIo } from './command-runner';
import { commandRunner, printer } from './command-runner';

type Status = Awaited<ReturnType<Client['images']['status']>>;

/** One line per runtime: `docker  agentdesk/agent-base:2  present`. */
export function formatImages(st: Status): string {
  return st.images
    .map((i) => {
      const state = i.building
        ? 'building…'
        : i.present === null
          ? `unknown (${i.detail})`
          : i.present
            ? 'present'
            : 'missing';
      return `${i.runtime.padEnd(7)} ${i.ref.padEnd(24)} ${state}`;
    })
    .join('\n');
}

/** Polls `images.status` every second until no build runs; prints a dot line per 10 s when `progress`. */
async function waitBuilt(c: Client, io: RunnerIo, progress: boolean): Promise<Status> {
  const t0 = Date.now();
  let lastNote = 0;
  for (;;) {
    const st = await c.images.status({});
    if (!st.images.some((i) => i.building)) return st;
    if (progress && Date.now() - lastNote >= 10_000) {
      io.err.write(`building the base image… ${Math.round((Date.now() - t0) / 1000)} s\n`);
      lastNote = Date.now();
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Builds `agentdesk/openclaw:<version>` in this process with the Docker engine (the same builder and
 * cache as the core: `AGENTDESK_IMAGE_CACHE`, else `<data>/images`), after making the core build the
 * base image when Docker lacks it. Progress lines go to stderr. @returns the image ref.
 */
async function buildOpenClawImage(c: Client, io: RunnerIo, home: string, progress: boolean): Promise<string> {
  const conn = connectDocker(process.env);
  try {
    const builder = new OpenClawImageBuilder({
      docker: () => conn.docker,
      recipeDir: path.join(
        process.env.AGENTDESK_IMAGE_RECIPE_DIR ?? path.join(appRoot(), 'scripts', 'images'),
        'openclaw',
      ),
      harnessFile: path.join(
        process.env.AGENTDESK_FRAMEWORKS_DIR ?? path.join(resourcesDir(), 'frameworks'),
        'openclaw',
        'harness.mjs',
      ),
      cacheDir: process.env.AGENTDESK_IMAGE_CACHE ?? path.join(home, 'images'),
      ensureBase: async () => {
        const st = await c.images.status({});
        if (st.images.some((i) => i.runtime === 'docker' && i.present)) return;
        await c.images.build({ runtimes: ['docker'] });
        await waitBuilt(c, io, progress);
      },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    let last = '';
    await builder.build((fraction, message) => {
      if (!progress || message === last) return;
      last = message;
      io.err.write(`${fraction === null ? '' : `${Math.round(fraction * 100)}% `}${message}\n`);
    });
    return builder.ref;
  } finally {
    conn.agent.destroy();
  }
}

/** Builds the `images` command tree (see {@link commandRunner} for exit codes). */
export function imagesCommand(io: RunnerIo, globalHome: () => string | undefined): Command {
  const cmd = new Command('images')
    .description('the base image agents run from: status, build, export and import (offline)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
  cmd.option('--home <dir>', 'data directory');
  const run = commandRunner(io, cmd, globalHome);
  const print = printer(io);
  const runtimeOpt = () =>
    new Option('--runtime <kind...>', 'only this container runtime').choices(['docker', 'incus']);

  cmd
    .command('status')
    .description('whether the base image is present in Docker and Incus')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      run(
        'status',
        async (c, json) => {
          const st = await c.images.status({});
          print(json, st, formatImages(st));
          return st.images.some((i) => i.present) ? 0 : 1;
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('build')
    .description('build the base image with debootstrap (needs root; minutes) and import it')
    .addOption(runtimeOpt())
    .addOption(
      new Option(
        '--framework <id>',
        "build a framework's image instead (Docker only; npm on this machine)",
      ).choices(['openclaw']),
    )
    .option('--json', 'print JSON')
    .action((o: { json?: boolean; runtime?: ('docker' | 'incus')[]; framework?: 'openclaw' }) =>
      run(
        'build',
        async (c, json) => {
          if (o.framework) {
            if (o.runtime && o.runtime.some((r) => r !== 'docker'))
              throw new Error(`the ${o.framework} image is built for docker only; valid --runtime: docker`);
            const home = resolveDataDir(cmd.opts<{ home?: string }>().home ?? globalHome());
            const ref = await buildOpenClawImage(c, io, home, !json);
            print(json, { runtime: 'docker', ref, present: true }, `docker  ${ref}  present`);
            return 0;
          }
          await c.images.build(o.runtime ? { runtimes: o.runtime } : {});
          const st = await waitBuilt(c, io, !json);
          print(json, st, formatImages(st));
          const wanted = st.images.filter((i) => !o.runtime || o.runtime.includes(i.runtime));
          return wanted.every((i) => i.present !== false) ? 0 : 1;
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('export')
    .description('write the base image to a tarball, to carry it to a machine with no network')
    .argument('<file>')
    .action((file: string) =>
      run('export', async (c) => {
        const r = await c.images.export({ file: path.resolve(file) });
        print(false, null, `wrote ${r.file} (${Math.round(r.bytes / 1024 / 1024)} MiB)`);
      })(),
    );

  cmd
    .command('import')
    .description('import the base image from a tarball made by `agentdesk images export`')
    .argument('<file>')
    .addOption(runtimeOpt())
    .action((file: string, o: { runtime?: ('docker' | 'incus')[] }) =>
      run('import', async (c) => {
        const st = await c.images.import({
          file: path.resolve(file),
          ...(o.runtime ? { runtimes: o.runtime } : {}),
        });
        print(false, null, formatImages(st));
      })(),
    );

  return cmd;
}
