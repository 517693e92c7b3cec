// `--folder PATH[:ro|rw]`: the mode suffix, the default, absolute paths.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectFolder, parseFolderArg } from './agent-folders';

describe('--folder PATH[:ro|rw]', () => {
  it('reads the mode suffix, defaults to read-only and makes the path absolute', () => {
    expect(parseFolderArg('/srv/site:rw')).toEqual({ path: '/srv/site', mode: 'rw' });
    expect(parseFolderArg('/srv/site:ro')).toEqual({ path: '/srv/site', mode: 'ro' });
    expect(parseFolderArg('/srv/site')).toEqual({ path: '/srv/site', mode: 'ro' });
    expect(parseFolderArg('/srv/a:b')).toEqual({ path: '/srv/a:b', mode: 'ro' });
    expect(parseFolderArg('docs:rw')).toEqual({ path: path.resolve('docs'), mode: 'rw' });
    expect(() => parseFolderArg(':rw')).toThrow(/PATH\[:ro\|rw\]/);
  });

  it('collects repeated options in order', () => {
    expect(collectFolder('/b:rw', collectFolder('/a'))).toEqual([
      { path: '/a', mode: 'ro' },
      { path: '/b', mode: 'rw' },
    ]);
  });
});
