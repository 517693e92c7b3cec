// `agentdesk images status|build|export|import`: the base image agents run from, offline; `build --harness ID` for a harness's own image.
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Client } from '../../contract/client';
import type { RunnerIo } from './command-runner';
import { commandGroup } from './command-runner';

type Status = Awaited<ReturnType<Client['images']['status']>>;

/** One line per image and runtime: `docker  agentdesk/agent-base:2  present` (harness images name their harness). */
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
      const what = i.harness ? `${i.harness}: ${i.ref}` : i.ref;
      return `${i.runtime.padEnd(7)} ${what.padEnd(24)} ${state}${i.building && i.harness ? ` ${i.detail}` : ''}`;
    })
    .join('\n');
}

/**
 * Polls `images.status` every second until no build of `harness`'s image (`null`: the base image) runs;
 * when `progress`, prints the build's step as it changes (harness images) or a line per 10 s.
 */
async function waitBuilt(
  c: Client,
  io: RunnerIo,
  progress: boolean,
  harness: string | null,
): Promise<Status> {
  const t0 = Date.now();
  let lastNote = 0;
  let lastDetail = '';
  for (;;) {
    const st = await c.images.status({});
    const mine = st.images.filter((i) => i.harness === harness && i.building);
    if (!mine.length) return st;
    const detail = harness ? (mine[0]?.detail ?? '') : '';
    if (progress && (detail ? detail !== lastDetail : Date.now() - lastNote >= 10_000)) {
      io.err.write(
        `building ${harness ? `the ${harness} image` : 'the base image'}… ${Math.round((Date.now() - t0) / 1000)} s${detail ? ` ${detail}` : ''}\n`,
      );
      lastNote = Date.now();
      lastDetail = detail;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Builds the `images` command tree (see {@link commandRunner} for exit codes). */
export function imagesCommand(io: RunnerIo, globalHome: () => string | undefined): Command {
  const { cmd, run, print } = commandGroup(
    io,
    'images',
    'the images agents run from: status, build, export and import (offline)',
    globalHome,
  );
  const runtimeOpt = () =>
    new Option('--runtime <kind...>', 'only this container runtime').choices(['docker', 'incus']);

  cmd
    .command('status')
    .description('whether the base image (Docker, Incus) and the harness images (Docker) are present')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      run(
        'status',
        async (c, json) => {
          const st = await c.images.status({});
          print(json, st, formatImages(st));
          return st.images.some((i) => i.harness === null && i.present) ? 0 : 1;
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('build')
    .description('build the base image with debootstrap (needs root; minutes) and import it')
    .addOption(runtimeOpt())
    .option(
      '--harness <id>',
      "build that harness's own image instead, FROM the base image (npm on the core's machine; see `agentdesk agents harnesses`)",
    )
    .option('--json', 'print JSON')
    .action((o: { json?: boolean; runtime?: ('docker' | 'incus')[]; harness?: string }) =>
      run(
        'build',
        async (c, json) => {
          await c.images.build({
            ...(o.runtime ? { runtimes: o.runtime } : {}),
            ...(o.harness ? { harness: o.harness } : {}),
          });
          const harness = o.harness ?? null;
          const st = await waitBuilt(c, io, !json, harness);
          const wanted = st.images.filter(
            (i) => i.harness === harness && (!o.runtime || o.runtime.includes(i.runtime)),
          );
          print(json, { images: wanted }, formatImages({ images: wanted }));
          return wanted.length > 0 && wanted.every((i) => i.present !== false) ? 0 : 1;
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
