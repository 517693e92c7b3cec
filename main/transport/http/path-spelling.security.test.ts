// Attacker's side of the control API over a real socket to a real `agentdesk serve` child: no spelling of an /api path reaches a handler without the token.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildCore, startChildCore } from '../../../test/faults/child-core';
import type { ChildCore } from '../../../test/faults/child-core';
import { rawRequest } from '../../../test/security/raw-http';

let home: string;
let core: ChildCore;
let port = 0;
let token = '';
let removeBundle = () => {};

beforeAll(async () => {
  const bundle = await buildChildCore();
  removeBundle = bundle.remove;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-spelling-'));
  core = await startChildCore(bundle.entry, home, {});
  const m = /http:\/\/127\.0\.0\.1:(\d+)\/#token=(\S+)/.exec(core.output())!;
  port = Number(m[1]);
  token = m[2]!;
}, 180_000);

afterAll(async () => {
  core?.kill();
  await core?.exited;
  removeBundle();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** Sends `method target` with our Host and, when `withToken`, the bearer token; POST carries a JSON body. */
function send(
  method: string,
  target: string,
  withToken: boolean,
  opts: Parameters<typeof rawRequest>[3] = {},
  body = method === 'POST' ? '{}' : '',
) {
  const headers = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  if (withToken) headers.push(`Authorization: Bearer ${token}`);
  if (body) headers.push('Content-Type: application/json');
  return rawRequest(port, headers.join('\r\n'), body, opts);
}

/** Causes a bus event (`settings.changed`) through the canonical, authorised path. */
let retention = 10;
async function causeEvent(): Promise<void> {
  retention = retention === 10 ? 11 : 10;
  const r = await send(
    'POST',
    '/api/settings/update',
    true,
    {},
    JSON.stringify({ trace_retention_days: retention }),
  );
  expect(r.status).toBe(200);
}

/** Spellings of `/api/settings/get` that are not its canonical form: refused with 400 before routing. */
const NON_CANONICAL_METHOD = (p: number) => [
  '/%61pi/settings/get',
  '/%41PI/settings/get',
  '/api/%73ettings/get',
  '/api/settings/%67et',
  '/api/settings/ge%74',
  '//api/settings/get',
  '/api//settings/get',
  '/api/settings//get',
  '/./api/settings/get',
  '/api/./settings/get',
  '/x/../api/settings/get',
  '/api/x/../settings/get',
  '/%2e/api/settings/get',
  '/%2e%2e/api/settings/get',
  '/%2E%2E/api/settings/get',
  '/x/%2e%2e/api/settings/get',
  '/api%2fsettings%2fget',
  '/api%2Fsettings/get',
  '%2Fapi/settings/get',
  '/api/settings%5Cget',
  '/api\\settings\\get',
  '\\api\\settings\\get',
  '/api/settings/get%09',
  '/api/settings%09/get',
  '/api/settings/get%20',
  '/api/settings/get%00',
  '/api/settings/get#x',
  `http://127.0.0.1:${p}/api/settings/get`,
  `HTTP://127.0.0.1:${p}/api/settings/get`,
  '*',
  '/API/settings/get',
  '/Api/settings/get',
];

/** Other spellings (case, trailing slash, `;`, query, raw tab): routed, but never to the settings without the token. */
const OTHER_METHOD = [
  '/%2561pi/settings/get',
  '/api/%2573ettings/get',
  '/api/settings/get/',
  '/api/settings/get?x',
  '/api/settings/get?',
  '/api/settings/get;x',
  '/api/Settings/get',
  '/api/settings/GET',
  '/api/settings/get\t',
  '/api/settings/get /x',
];

const NON_CANONICAL_EVENTS = (p: number) => [
  '/%61pi/events',
  '/api/%65vents',
  '/api/event%73',
  '//api/events',
  '/api//events',
  '/./api/events',
  '/x/../api/events',
  '/%2e%2e/api/events',
  '/api/events%20',
  '/api/events%09',
  '/api%2Fevents',
  '/api\\events',
  '/api/events#x',
  `http://127.0.0.1:${p}/api/events`,
  '/API/events',
];

const OTHER_EVENTS = ['/api/events/', '/api/events?x', '/api/events;x', '/api/Events', '/api/EVENTS'];

/** True when the answer carries event-stream bytes (the first comment or an event). */
const eventBytes = (text: string) => text.includes(': connected') || /\nevent: /.test(text);

describe('control API: path spellings over a real socket (attacker without the token)', () => {
  it('the harness sees a 2xx, settings and event bytes on the canonical paths with the token (positive control)', async () => {
    const get = await send('POST', '/api/settings/get', true);
    expect(get.status).toBe(200);
    expect(get.text).toContain('"ok":true');
    const refused = await send('POST', '/api/settings/get', false);
    expect(refused.status).toBe(401);
    const events = await send('GET', '/api/events', true, {
      deadlineMs: 10_000,
      whileOpen: causeEvent,
      doneWhen: (t) => t.includes('event: settings.changed'),
    });
    expect(events.status).toBe(200);
    expect(eventBytes(events.text)).toBe(true);
    expect(events.text).toContain('event: settings.changed');
  });

  it.each(['POST', 'GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'])(
    '%s on every spelling of /api/settings/get: no 2xx, no settings',
    async (method) => {
      const answers: string[] = [];
      for (const target of [...NON_CANONICAL_METHOD(port), ...OTHER_METHOD]) {
        const r = await send(method, target, false);
        answers.push(`${method} ${JSON.stringify(target)} → ${r.status}`);
        expect(
          r.status,
          `${method} ${JSON.stringify(target)}: ${r.text.slice(0, 300)}`,
        ).toBeGreaterThanOrEqual(400);
        expect(r.text).not.toContain('"ok":true');
        expect(r.text).not.toContain('trace_retention_days');
      }
      expect(answers.length).toBe(NON_CANONICAL_METHOD(port).length + OTHER_METHOD.length);
    },
  );

  it.each(['GET', 'HEAD', 'POST'])(
    '%s on every spelling of /api/events: no 2xx, no event bytes even while events happen',
    async (method) => {
      for (const target of [...NON_CANONICAL_EVENTS(port), ...OTHER_EVENTS]) {
        const r = await send(method, target, false, { deadlineMs: 5000, whileOpen: causeEvent });
        const label = `${method} ${JSON.stringify(target)}: ${r.text.slice(0, 300)}`;
        expect(r.status, label).toBeGreaterThanOrEqual(400);
        expect(eventBytes(r.text), label).toBe(false);
        expect(r.closed, label).toBe(true);
      }
    },
  );

  it('non-canonical spellings are refused with a 400 envelope even with the token (before routing, not by auth)', async () => {
    for (const target of [...NON_CANONICAL_METHOD(port), ...NON_CANONICAL_EVENTS(port)]) {
      const r = await send('POST', target, true);
      const label = `POST ${JSON.stringify(target)}: ${r.text.slice(0, 300)}`;
      expect(r.status, label).toBe(400);
      const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)) as {
        ok?: boolean;
        error: { code: string; message: string } | string;
      };
      // A target that is not origin-form at all (`%2F…`, `\…`) is refused by Node's HTTP parser itself.
      if (typeof body.error === 'string') {
        expect(target.startsWith('/'), label).toBe(false);
        continue;
      }
      expect(body.ok, label).toBe(false);
      expect(typeof body.error === 'object' && body.error.code, label).toBe('INVALID_INPUT');
      expect(typeof body.error === 'object' && body.error.message, label).toMatch(
        /not in canonical form|not valid/,
      );
    }
  });
});
