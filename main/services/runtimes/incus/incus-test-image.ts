// Test support: a tiny Incus split image (metadata + rootfs tarballs) made offline from this host's own files.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Files of a split image. */
export interface TestImageFiles {
  metadata: string;
  rootfs: string;
}

/**
 * The init of the test image (a shell script, as the real image's init comes from elsewhere):
 * prints to stdout and stderr (the console), runs `$AGENTDESK_COMMAND` with `sh -c` in the background,
 * exits on SIGPWR/SIGTERM (Incus's clean stop) unless `AGENTDESK_TEST_IGNORE_PWR=1`, which makes it
 * an init that ignores SIGPWR, on which `incus stop` hangs.
 */
const INIT = `#!/bin/sh
trap 'echo "init: stopping"; exit 0' PWR TERM
[ "$AGENTDESK_TEST_IGNORE_PWR" = 1 ] && trap '' PWR TERM
echo "init: started"
echo "init: to stderr" >&2
[ -n "$AGENTDESK_COMMAND" ] && /bin/sh -c "$AGENTDESK_COMMAND" &
while :; do /usr/bin/sleep 1000 & wait $!; done
`;

/**
 * Builds the test image in `dir`: a rootfs with dash as /bin/sh, coreutils' sleep and this host's
 * node (for TCP clients/servers inside), each with the shared libraries `ldd` lists, and the
 * {@link INIT} as /sbin/init; `metadata.tar` holds metadata.yaml (architecture x86_64, creation_date,
 * properties). No network, no package manager. `variant` changes the metadata, hence the fingerprint.
 * @throws Error when a host file or `tar`/`ldd` is missing.
 */
export function buildTestImage(dir: string, variant = 'a'): TestImageFiles {
  const root = path.join(dir, `rootfs-${variant}`);
  for (const d of ['bin', 'sbin', 'usr/bin', 'tmp', 'proc', 'sys', 'dev', 'etc', 'root', 'home/agent', 'run'])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  const bins: [string, string][] = [
    [fs.realpathSync('/bin/sh'), 'bin/sh'],
    ['/usr/bin/sleep', 'usr/bin/sleep'],
    [fs.realpathSync(process.execPath), 'usr/bin/node'],
  ];
  for (const [from, to] of bins) {
    fs.copyFileSync(from, path.join(root, to));
    fs.chmodSync(path.join(root, to), 0o755);
    for (const lib of sharedLibraries(from)) {
      const dest = path.join(root, lib);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (!fs.existsSync(dest)) fs.copyFileSync(fs.realpathSync(lib), dest);
    }
  }
  fs.writeFileSync(path.join(root, 'sbin/init'), INIT, { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'etc/hostname'), 'agentdesk-test\n');
  const meta = path.join(dir, `meta-${variant}`);
  fs.mkdirSync(meta, { recursive: true });
  fs.writeFileSync(
    path.join(meta, 'metadata.yaml'),
    `architecture: x86_64\ncreation_date: ${Math.floor(Date.now() / 1000)}\nproperties:\n` +
      `  description: Agent Desk test image (${variant})\n  os: agentdesk-test\n  release: "${variant}"\n`,
  );
  const files = {
    metadata: path.join(dir, `metadata-${variant}.tar`),
    rootfs: path.join(dir, `rootfs-${variant}.tar`),
  };
  execFileSync('tar', ['-C', meta, '-cf', files.metadata, 'metadata.yaml']);
  execFileSync('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', files.rootfs, '.']);
  fs.rmSync(root, { recursive: true, force: true });
  return files;
}

/** Absolute paths of the shared libraries (and the loader) `ldd` lists for a binary. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}
