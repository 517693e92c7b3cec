// docs/harnesses.md shows the example harness the tests load, file by file, as it is.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness } from '../../../test/fixtures/harnesses/example';
import { HarnessRegistry } from './registry';

const doc = fs.readFileSync(path.join(process.cwd(), 'docs', 'harnesses.md'), 'utf8');

describe('docs/harnesses.md', () => {
  const blocks: [string, string][] = [...doc.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map(
    (m) => [m[1]!, m[2]!],
  );

  it('shows every file of the example harness exactly as the tests load it', () => {
    expect(blocks.map(([file]) => path.basename(file))).toEqual([
      'manifest.json',
      'index.ts',
      'Dockerfile',
      'package.json',
      'harness.mjs',
    ]);
    for (const [file, text] of blocks)
      expect(text, file).toBe(fs.readFileSync(path.join(process.cwd(), file), 'utf8').trimEnd());
  });

  it('describes a harness the registry loads', () => {
    const r = new HarnessRegistry({}, [harness]);
    expect(r.errors).toEqual([]);
    expect(r.get('example')?.manifest).toMatchObject({ emoji: '🧪', models: ['scripted/*'] });
  });
});
