// The user's message is saved while the model is called (the first token does not wait for the disk); saves still land in order, and a failed one still ends the turn.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { KEY, MODEL, tempHome, testConfig } from './testkit';
import type { Thread } from './threads';
import { ThreadStore } from './threads';
import { ToolBox } from './tools';
import { TraceClient } from './trace';
import type { TurnEvent } from './turn';
import { runTurn } from './turn';
import { Workspace } from './workspace';

const up = new ScriptedUpstream({ key: KEY, models: [MODEL] });
/** What happened, in order: the model request and each save's start and end. */
const log: string[] = [];
let modelCalled: () => void = () => undefined;

beforeAll(async () => {
  up.on('POST', '/v1/chat/completions', (_req, res) => {
    log.push('model called');
    modelCalled();
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hello there' } }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  up.on('POST', '/v1/agentdesk/trace', (req, res) =>
    up.json(res, 200, { accepted: (JSON.parse(req.body) as { events: unknown[] }).events.length }),
  );
  await up.start();
});
afterAll(() => up.stop());

/** A thread store whose first save waits until the model is called (at most 3 s), or fails. */
class SlowFirstSave extends ThreadStore {
  private saves = 0;
  constructor(
    dir: string,
    private readonly firstFails = false,
  ) {
    super(dir);
  }
  override async save(thread: Thread): Promise<void> {
    const n = ++this.saves;
    log.push(`save ${n} start (${thread.messages.length} messages)`);
    if (n === 1) {
      await new Promise<void>((resolve) => {
        modelCalled = resolve;
        setTimeout(resolve, 3000);
      });
      if (this.firstFails) {
        log.push('save 1 failed');
        throw new Error('disk full (test)');
      }
    }
    await super.save(thread);
    log.push(`save ${n} end`);
  }
}

async function oneTurn(store: ThreadStore, home: string): Promise<TurnEvent[]> {
  const config = testConfig(up.v1, home, { AGENTDESK_TOOLS: '0' });
  const events: TurnEvent[] = [];
  const trace = new TraceClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, backoffMs: [10] });
  await runTurn(
    {
      config,
      threads: store,
      tools: new ToolBox({
        workspace: new Workspace(config.workspace),
        shellTimeoutMs: 5000,
        homeDir: home,
      }),
      trace,
    },
    { text: 'Say hello', threadId: 't1', emit: (e) => events.push(e), signal: new AbortController().signal },
  );
  return events;
}

describe('thread saves of a turn', () => {
  it('calls the model while the user message is written, then saves the answer after it', async () => {
    log.length = 0;
    const home = await tempHome();
    try {
      const store = new SlowFirstSave(path.join(home, '.agentdesk', 'threads'));
      const events = await oneTurn(store, home);
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { reply: 'Hello there' } });
      expect(log).toEqual([
        'save 1 start (1 messages)',
        'model called',
        'save 1 end',
        'save 2 start (2 messages)',
        'save 2 end',
      ]);
      const saved = JSON.parse(
        await fs.readFile(path.join(home, '.agentdesk', 'threads', 't1.json'), 'utf8'),
      ) as Thread;
      expect(saved.messages).toEqual([
        { role: 'user', content: 'Say hello' },
        { role: 'assistant', content: 'Hello there' },
      ]);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });

  it('ends the turn with the error of a failed save of the user message, and saves the thread once more', async () => {
    log.length = 0;
    const home = await tempHome();
    try {
      const store = new SlowFirstSave(path.join(home, '.agentdesk', 'threads'), true);
      const events = await oneTurn(store, home);
      expect(events.at(-1)).toEqual({ event: 'error', data: { message: 'disk full (test)' } });
      expect(events.some((e) => e.event === 'done')).toBe(false);
      expect(log.slice(-2)).toEqual(['save 2 start (2 messages)', 'save 2 end']);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
