// Comments cite what is in this repository or say the reason themselves: no design files kept outside it,
// no issue numbers (the brief of every helper, "How we work").
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const dirs = [
  'main',
  'renderer',
  'preload',
  'contract',
  'resources',
  'scripts',
  'test',
  'e2e',
  'bench',
  'bin',
  '.ci',
];
const exts = ['.ts', '.tsx', '.mjs', '.sh', '.css', '.yml'];
/** Files without an extension that are still code: the container's init and the CI entry. */
const bareNames = new Set(['Dockerfile', 'agentdesk-init', 'run']);
const skipDirs = new Set(['node_modules', 'out', 'dist', '.git']);

// Built from pieces so this file does not match its own patterns.
const outsideDocs = ['ARCHI' + 'TECTURE', 'CONVEN' + 'TIONS', 'PLATFORM' + '-NOTES', '\\.\\./' + 'shared'];
const outsideDoc = new RegExp(`\\b(${outsideDocs.join('|')})`);
const issueNumber = new RegExp(`(?:^|[^a-z])${'iss' + 'ue'}\\s+#?\\d+`, 'i');
/** Whether a comment cites a design file kept outside the repository or an issue number. */
const citation = { test: (text: string): boolean => outsideDoc.test(text) || issueNumber.test(text) };

function codeFiles(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name)) codeFiles(full, out);
    } else if (entry.isFile()) {
      if (exts.some((e) => entry.name.endsWith(e)) || bareNames.has(entry.name)) out.push(full);
    }
  }
  return out;
}

/**
 * The comment text of one line, or '' if it holds none. Whole-line comments (`//`, `/*`, ` *`, `#`,
 * `<!--`) and trailing `//` or `/*` comments after code; strings are not comments (test names and
 * messages shown to users are not checked here).
 */
export function commentOf(line: string, hashComments: boolean): string {
  const t = line.trim();
  if (/^(\/\/|\/\*|\*|<!--)/.test(t)) return t;
  if (hashComments && t.startsWith('#')) return t;
  const trailing = /\s(\/\/|\/\*)\s.*$/.exec(line);
  if (trailing && !/['"`][^'"`]*$/.test(line.slice(0, trailing.index))) return trailing[0].trim();
  if (hashComments) {
    const hash = /\s#\s.*$/.exec(line);
    if (hash) return hash[0].trim();
  }
  return '';
}

/** Every `file:line: text` of a comment citing an outside design file or an issue number. */
export function findCitations(): string[] {
  const hits: string[] = [];
  for (const file of dirs.flatMap((d) => codeFiles(path.join(root, d)))) {
    if (file === __filename) continue;
    const hashComments = !/\.(ts|tsx|mjs|css)$/.test(file);
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const comment = commentOf(line, hashComments);
        if (comment && citation.test(comment))
          hits.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

describe('comment citations', () => {
  it('recognises the citations it looks for', () => {
    expect(citation.test(`see ${outsideDocs[0]} §5`)).toBe(true);
    expect(citation.test(`(${'iss' + 'ue'} 7)`)).toBe(true);
    expect(citation.test(`${'Iss' + 'ue'} #12`)).toBe(true);
    expect(citation.test('docs/architecture.md, "The key rule"')).toBe(false);
    expect(commentOf("  it('counts files', () => {", false)).toBe('');
    expect(commentOf('const a = 1; // why', false)).toBe('// why');
    expect(commentOf('  # a shell comment', true)).toBe('# a shell comment');
  });

  it('finds no comment citing a file outside the repository or an issue number', () => {
    expect(findCitations()).toEqual([]);
  });
});
