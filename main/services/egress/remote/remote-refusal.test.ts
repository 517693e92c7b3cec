// Refusal lines of a remote engine's egress proxy, from the side of a hostile engine host writing them.
import { describe, expect, it } from 'vitest';
import { remoteRefusal } from '../egress-refusals';

const MINE = 'a-mine';
const parse = (line: string) =>
  remoteRefusal(
    line,
    (id) => id === MINE,
    () => 'allowlist',
  );

describe('remote refusal lines', () => {
  it('turns a well-formed line of an agent of this core into a refusal, the mode taken from the core', () => {
    expect(
      parse(
        JSON.stringify({
          agent: MINE,
          mode: 'open',
          host: 'x.example.com',
          address: '93.184.216.34',
          port: 443,
          rule: 'not_allowed',
        }),
      ),
    ).toEqual({
      agentId: MINE,
      protocol: 'tcp',
      address: '93.184.216.34',
      port: 443,
      host: 'x.example.com',
      mode: 'allowlist',
      rule: 'not_allowed',
    });
  });

  it('ignores lines for another core’s or another engine’s agent, unknown rules, and non-objects', () => {
    for (const line of [
      JSON.stringify({ agent: 'someone-else', rule: 'not_allowed', port: 1 }),
      JSON.stringify({ agent: MINE, rule: 'dns_direct', port: 53 }),
      JSON.stringify({ agent: MINE, rule: '__proto__' }),
      JSON.stringify({ agent: { id: MINE }, rule: 'not_allowed' }),
      'null',
      '42',
      '"text"',
      '[]',
      'not json',
      '',
    ])
      expect(parse(line), line).toBeNull();
  });

  it('cleans the fields it keeps: a bad port or address becomes null, a long host is cut', () => {
    const r = parse(
      JSON.stringify({
        agent: MINE,
        rule: 'link_local',
        port: 70000,
        address: '169.254.169.254.evil',
        host: 'h'.repeat(5000),
      }),
    );
    expect(r).toMatchObject({ port: null, address: null, rule: 'link_local' });
    expect(r?.host).toHaveLength(300);
    expect(
      parse(
        JSON.stringify({
          agent: MINE,
          rule: 'host_service',
          port: 1.5,
          address: '10.0.0.1',
          host: '10.0.0.1',
        }),
      ),
    ).toMatchObject({
      port: null,
      address: '10.0.0.1',
      host: null,
    });
  });
});
