// Paths: the app root is found from any depth of the build output; the data dir follows the platform rules.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, findAppRoot, resolveDataDir, resolveOptions } from './paths';

const repo = path.resolve(__dirname, '..', '..');

describe('paths', () => {
  it('finds the app root from the source tree and from a nested build chunk folder', () => {
    expect(findAppRoot(__dirname)).toBe(repo);
    expect(findAppRoot(path.join(repo, 'out', 'main', 'chunks'))).toBe(repo);
  });

  it('resolves the data dir: explicit, then AGENTDESK_HOME, then the platform default', () => {
    expect(resolveDataDir('/x/y', { AGENTDESK_HOME: '/z' })).toBe('/x/y');
    expect(resolveDataDir(null, { AGENTDESK_HOME: '/z' })).toBe('/z');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/agentdesk');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' })).toContain('agentdesk');
    expect(defaultDataDir('darwin', {})).toMatch(/Library\/Application Support\/agentdesk$/);
  });

  it('reads the ssh_config file every ssh gets (AGENTDESK_SSH_CONFIG); empty = unset', () => {
    expect(resolveOptions({ AGENTDESK_SSH_CONFIG: '/t/ssh_config' }).sshConfigFile).toBe('/t/ssh_config');
    expect(resolveOptions({ AGENTDESK_SSH_CONFIG: '' }).sshConfigFile).toBeNull();
    expect(resolveOptions({}).sshConfigFile).toBeNull();
  });
});
