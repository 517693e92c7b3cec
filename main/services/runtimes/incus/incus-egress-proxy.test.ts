// Ports of the remote Incus egress proxy: each agent keeps its port while listed, a new one takes the lowest free port.
import { describe, expect, it } from 'vitest';
import { assignPorts, FIRST_AGENT_PORT, LAST_AGENT_PORT } from './incus-egress-proxy';

describe('assignPorts', () => {
  it('keeps held ports, gives new agents the lowest free one, frees the ports of agents gone', () => {
    const first = assignPorts({}, ['a', 'b']);
    expect(first).toEqual({ a: FIRST_AGENT_PORT, b: FIRST_AGENT_PORT + 1 });
    // a gone, c new: c takes a's freed port, b keeps its own (its device still connects there).
    expect(assignPorts(first, ['b', 'c'])).toEqual({ b: FIRST_AGENT_PORT + 1, c: FIRST_AGENT_PORT });
  });

  it('never gives two agents one port, and ignores inherited names', () => {
    const held = { a: FIRST_AGENT_PORT + 2 };
    const out = assignPorts(held, ['toString', 'a', '__proto__', 'x']);
    expect(new Set(Object.values(out)).size).toBe(4);
    expect(out.a).toBe(FIRST_AGENT_PORT + 2);
  });

  it('fails clearly when there are more agents than ports', () => {
    const many = Array.from({ length: LAST_AGENT_PORT - FIRST_AGENT_PORT + 2 }, (_, i) => `c${i}`);
    expect(() => assignPorts({}, many)).toThrow(/more than \d+ agents on this remote's egress proxy/);
  });
});
