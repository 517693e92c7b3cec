// Every contract method has a handler and answers over both transports (IPC and HTTP) against one real core.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChannels } from '../../contract/api';
import type { Result } from '../../contract/errors';
import { electronMock, FakeWebContents } from '../../test/electron-mock';
import { EXAMPLE_INPUTS } from '../../test/contract-examples';
import { startCore } from '../app/bootstrap';
import type { Core } from '../app/bootstrap';
import { serve } from '../cli/serve';
import type { Served } from '../cli/serve';
import { registerIpcTransport } from './ipc/ipc-transport';
import type { IpcMainLike } from './ipc/ipc-transport';
import { createSenderCheck } from './ipc/sender-check';
import { testOptions } from '../../test/app-options';

// Two cores with fresh data dirs, one per transport, so each sees the table's calls once, in order
// (stateful examples such as providers.add then providers.remove stay meaningful).
let home: string;
let ipcHome: string;
let served: Served;
let ipcCore: Core;
let window: FakeWebContents;

beforeAll(async () => {
  // `images.build` must be refused at once, not start a real debootstrap (test/contract-examples.ts): the
  // cores get a recipe folder that does not exist.
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-both-'));
  ipcHome = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-both-ipc-'));
  served = await serve({
    home,
    app: testOptions({ AGENTDESK_IMAGE_RECIPE_DIR: '/nonexistent-agentdesk-recipe' }),
    port: 0,
    healthIntervalMs: 0,
  });
  ipcCore = await startCore({
    home: ipcHome,
    app: testOptions({ AGENTDESK_IMAGE_RECIPE_DIR: '/nonexistent-agentdesk-recipe' }),
    mode: 'electron',
    healthIntervalMs: 0,
  });
});
afterAll(async () => {
  await served.stop();
  await ipcCore.shutdown();
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(ipcHome, { recursive: true, force: true });
});

function registerIpc(): void {
  window = new FakeWebContents();
  window.mainFrame.url = 'app://agentdesk/index.html';
  const getWebContents = () => [window];
  registerIpcTransport({
    ipcMain: electronMock.ipcMain as unknown as IpcMainLike,
    dispatcher: ipcCore.dispatcher,
    bus: ipcCore.bus,
    isTrustedSender: createSenderCheck({ trustedOrigins: ['app://agentdesk'], getWebContents }),
    getWebContents,
    log: ipcCore.log,
  });
}

async function overHttp(channel: string, input: unknown): Promise<{ status: number; body: Result<unknown> }> {
  const [group, method] = channel.split('.');
  const res = await fetch(`${served.http.url}/api/${group}/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as Result<unknown> };
}

/** An answer from a handler: a value, or a domain error — never "no handler" and never INTERNAL. */
function expectAnswered(channel: string, r: Result<unknown>): void {
  if (!r.ok) {
    expect(r.error.code, `${channel}: ${r.error.message}`).not.toBe('INTERNAL');
    expect(r.error.message, channel).not.toMatch(/No handler|Unknown method|Unknown API group/);
  }
}

describe('both transports', () => {
  it.each(listChannels())('%s answers over IPC and over HTTP alike', async (channel) => {
    registerIpc();
    const input = EXAMPLE_INPUTS[channel];
    const ipc = (await electronMock.ipcMain.invoke(
      `api:${channel}`,
      { senderFrame: window.mainFrame, sender: window },
      input,
    )) as Result<unknown>;
    const http = await overHttp(channel, input);
    expectAnswered(channel, ipc);
    expectAnswered(channel, http.body);
    expect(http.body.ok, channel).toBe(ipc.ok);
    if (!ipc.ok && !http.body.ok) expect(http.body.error.code).toBe(ipc.error.code);
    expect(http.status, channel).toBe(http.body.ok ? 200 : http.status);
  });
});
