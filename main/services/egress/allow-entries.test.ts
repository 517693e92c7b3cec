// Allowlist entries: what is accepted, how it is normalised, what is refused and with which message.
import { describe, expect, it } from 'vitest';
import {
  AgentPolicyInput,
  AllowEntry,
  allowEntryFor,
  inCidr,
  parseAllowEntry,
} from '../../../contract/egress';

describe('allowlist entries (HOST[:PORT])', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM.:443', 'api.example.com:443'],
    ['*.example.com', '*.example.com'],
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.0/24:8080', '203.0.113.0/24:8080'],
    [' nas:5000 ', 'nas:5000'],
  ])('%s → %s', (raw, normalised) => {
    expect(AllowEntry.parse(raw)).toBe(normalised);
  });

  it.each([
    ['', /empty/],
    ['api.example.com:0', /port "0" is not 1–65535/],
    ['api.example.com:70000', /port "70000"/],
    ['[::1]:443', /IPv6/],
    ['2001:db8::1', /IPv6/],
    ['169.254.169.254', /link-local.*metadata/],
    ['127.0.0.1:8080', /loopback/],
    ['10.0.0.0/4', /too broad/],
    ['203.0.113.7/24', /host bits.*203\.0\.113\.0\/24/],
    ['a*.example.com', /"\*" may only stand alone/],
    ['localhost', /container itself/],
    ['*.com', /two labels/],
    ['exa mple.com', /not a DNS name/],
    ['224.0.0.1', /multicast/],
    ['0.0.0.0/8', /this network/],
  ])('refuses %j', (raw, why) => {
    const t = parseAllowEntry(raw);
    expect('error' in t && t.error).toMatch(why);
    expect('error' in t && t.error).toMatch(/Use HOST\[:PORT\]/);
  });

  it('a CIDR containing a never-allowed range is refused too', () => {
    expect(parseAllowEntry('169.0.0.0/8')).toHaveProperty('error', expect.stringMatching(/link-local/));
  });

  it('inCidr', () => {
    expect(inCidr('10.1.2.3', '10.1.0.0', 16)).toBe(true);
    expect(inCidr('10.2.0.1', '10.1.0.0', 16)).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0', 0)).toBe(true);
    expect(inCidr('1.2.3.4', '1.2.3.4', 32)).toBe(true);
  });
});

describe('agents.policy input', () => {
  it('needs something to change', () => {
    const r = AgentPolicyInput.safeParse({ id: crypto.randomUUID() });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/give egress, allow or remove/);
  });

  it('normalises entries and names the bad one', () => {
    const id = crypto.randomUUID();
    expect(AgentPolicyInput.parse({ id, allow: ['Example.com:443'] }).allow).toEqual(['example.com:443']);
    const r = AgentPolicyInput.safeParse({ id, allow: ['ok.example', '169.254.169.254'] });
    expect(r.error?.issues[0]?.path).toEqual(['allow', 1]);
  });
});

describe('"allow this host" from an egress event', () => {
  const base = {
    protocol: 'tcp',
    address: '203.0.113.7',
    port: 443,
    host: null,
    mode: 'allowlist',
    count: 1,
  } as const;
  it('prefers the name the agent resolved, keeps the port', () => {
    expect(allowEntryFor({ ...base, rule: 'not_allowed', host: 'api.example.com' })).toBe(
      'api.example.com:443',
    );
    expect(allowEntryFor({ ...base, rule: 'not_allowed' })).toBe('203.0.113.7:443');
    expect(
      allowEntryFor({
        ...base,
        protocol: 'dns',
        address: null,
        port: null,
        host: 'x.example',
        rule: 'not_allowed',
      }),
    ).toBe('x.example');
  });
  it('offers nothing for what no allowlist can open', () => {
    for (const rule of ['host_service', 'agent_network', 'link_local', 'dns_direct'] as const)
      expect(allowEntryFor({ ...base, rule })).toBeNull();
  });
});
