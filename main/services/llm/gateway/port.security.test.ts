// Attacker tests: another process squats the gateway's port before the core starts; the gateway never moves silently and nothing is sent to the squatter.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../../test/agents';
import { litellmInstalled, post, startLlmStack } from '../../../../test/llm-stack';
import type { LlmStack } from '../../../../test/llm-stack';
import { skipUnlessReal } from '../../../../test/real';
import { squat } from '../../../../test/squatter';
import type { Squatter } from '../../../../test/squatter';
import { freePort } from '../../../platform/free-port';
import { healthOf } from '../llm-status';

const skip = skipUnlessReal(litellmInstalled(), 'LiteLLM (the app venv: scripts/bootstrap-linux.sh)');

describe.skipIf(skip)('the gateway port of last time, taken by another process', () => {
  let s: LlmStack | null = null;
  let squatter: Squatter | null = null;
  afterEach(async () => {
    await s?.close();
    await squatter?.stop();
    s = squatter = null;
  });

  const leaveGatewayPort = (port: number) => (home: string) => {
    fs.mkdirSync(path.join(home, 'litellm'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, 'litellm', 'gateway.json'), JSON.stringify({ port }));
  };

  it('with agents depending on it: error naming the process, agents refused, the port taken back once free', async () => {
    const port = await freePort();
    squatter = await squat(port);
    s = await startLlmStack({
      wait: false,
      prepare: leaveGatewayPort(port),
      deps: { gateway: {}, gatewayDependents: () => true, gatewayRetryMs: 200 },
    });
    const st = s.llm.status();
    expect(st.gateway.state).toBe('error');
    expect(st.gateway.detail).toContain(`Port ${port} on 127.0.0.1 is used by process ${squatter.child.pid}`);
    const health = healthOf(st).gateway;
    expect(health.state).toBe('error');
    expect(health.fix).toContain(`kill ${squatter.child.pid}`);
    expect(s.llm.gatewayRefusal()).toContain(`Port ${port}`);
    expect(s.llm.gateway.port).toBe(0); // it did not move to another port
    expect(JSON.parse(fs.readFileSync(path.join(s.home, 'litellm', 'gateway.json'), 'utf8'))).toEqual({
      port,
    });
    expect(squatter.requests).toEqual([]);

    await squatter.stop();
    await until(
      () => s!.llm.status().gateway,
      (g) => g.state === 'listening',
      10_000,
      'the gateway to take its port back',
    );
    expect(s.llm.gateway.port).toBe(port);
    expect(s.llm.gatewayRefusal()).toBeNull();
    const key = s.keys.mint({ owner: 'agent-a', models: ['*'] }).key;
    const r = await post(
      `http://127.0.0.1:${port}/v1/chat/completions`,
      { model: 'scripted/gpt-test-mini' },
      {
        authorization: `Bearer ${key}`,
      },
    );
    expect(r.text).not.toContain('squatted'); // our gateway answers now (503 or 200, LiteLLM may be starting)
  });

  it('with no agent depending on it: a free port is taken instead (nothing points at the old one)', async () => {
    const port = await freePort();
    squatter = await squat(port);
    s = await startLlmStack({
      wait: false,
      prepare: leaveGatewayPort(port),
      deps: { gateway: {}, gatewayDependents: () => false },
    });
    expect(s.llm.status().gateway.state).toBe('listening');
    expect(s.llm.gateway.port).not.toBe(port);
    expect(s.llm.gatewayRefusal()).toBeNull();
  });
});
