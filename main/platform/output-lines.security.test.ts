// Lines of a child's output: a secret is scrubbed before a long line is cut, so no prefix of it survives.
import { describe, expect, it } from 'vitest';
import { LineSplitter } from './output-lines';
import { SecretRedactor } from './secret-redactor';

describe('LineSplitter with scrub', () => {
  const SECRET = 'Qm7vT2pL9xpL9xpL9xpL9xpL9x';
  const r = new SecretRedactor();
  r.add(SECRET);

  it('a secret across the length cut of a long line is redacted whole, in any chunking', () => {
    for (const before of [1, 5, 20]) {
      const text = `${'y'.repeat(100 - before)}${SECRET} tail\n`;
      for (const size of [1, 13, 64, text.length]) {
        const out: string[] = [];
        const s = new LineSplitter(
          (l) => out.push(l),
          100,
          (t) => r.scrub(t),
        );
        for (let i = 0; i < text.length; i += size) s.push(text.slice(i, i + size));
        s.end();
        const all = out.join('|');
        // Not even its first two characters (the line is cut to 100 after the redaction).
        expect(all, `${before} / ${size}`).not.toContain(SECRET.slice(0, 2));
        if (before >= 10) expect(all).toContain('[REDACTED]');
      }
    }
  });

  it('without scrub, a long line is cut and its rest dropped (as before)', () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l), 10);
    s.push('0123456789abcdef');
    s.push('\nnext\n');
    expect(out).toEqual(['0123456789', 'next']);
  });
});
