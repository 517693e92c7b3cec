// Component tests of the create form, rendered to HTML: slug and taken name, emoji quick pick, models by provider, errors.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { LlmStatus } from '../../../../contract/llm';
import type { ComponentHealth } from '../../../../contract/health';
import type { CreateErrors } from '../../stores/agents';
import { SAMPLE_CLAUDE_CODE, SAMPLE_HARNESS, SAMPLE_LLM_STATUS, sampleAgent } from '../../test/fake-client';
import { CreateAgentForm } from './CreateAgentForm';
import type { CreateDraft } from './create-form';
import { countOf, tagOf, textOf } from './test-html';

function render(
  opts: {
    status?: LlmStatus | null;
    initial?: Partial<CreateDraft>;
    errors?: CreateErrors;
    defaultRuntime?: 'docker' | 'incus';
    runtimeHealth?: ComponentHealth[];
  } = {},
): string {
  return renderToStaticMarkup(
    <CreateAgentForm
      harnesses={[SAMPLE_HARNESS, SAMPLE_CLAUDE_CODE]}
      status={opts.status === undefined ? SAMPLE_LLM_STATUS : opts.status}
      providerNames={{ scripted: 'Scripted LLM' }}
      agents={[sampleAgent({ name: 'Helper', slug: 'helper' })]}
      onSubmit={() => Promise.resolve(null)}
      onBusy={() => undefined}
      {...(opts.initial ? { initial: opts.initial } : {})}
      {...(opts.errors ? { initialErrors: opts.errors } : {})}
      {...(opts.defaultRuntime ? { defaultRuntime: opts.defaultRuntime } : {})}
      {...(opts.runtimeHealth ? { runtimeHealth: opts.runtimeHealth } : {})}
    />,
  );
}

describe('CreateAgentForm', () => {
  it('shows the container name the typed name gives', () => {
    const html = render({ initial: { name: 'Zoë’s Research Bot' } });
    expect(textOf(html, 'agent-slug')).toBe('agentdesk-zoe-s-research-bot');
    expect(html).not.toContain('data-testid="agent-name-error"');
  });

  it('says when a live agent already holds the slug', () => {
    const html = render({ initial: { name: 'HELPER!' } });
    expect(textOf(html, 'agent-name-error')).toBe(
      'An agent named “Helper” already uses the name helper; choose another name',
    );
    expect(tagOf(html, 'agent-name')).toContain('aria-invalid="true"');
  });

  it('offers 12 quick picks as a radio group, the harness default first, checked and the only tab stop', () => {
    const html = render();
    expect(tagOf(html, 'emoji-quick-pick')).toContain('role="radiogroup"');
    expect(countOf(html, 'emoji-quick-')).toBe(13); // 12 radios + the group
    const first = tagOf(html, 'emoji-quick-0');
    expect(first).toContain('aria-checked="true"');
    expect(first).toContain('aria-label="robot, default of Agent Desk runtime"');
    expect(first).toContain('tabindex="0"');
    expect(tagOf(html, 'emoji-quick-1')).toContain('tabindex="-1"');
    expect(textOf(html, 'agent-emoji-value')).toBe('🤖');
    expect(tagOf(html, 'emoji-more')).toContain('aria-expanded="false"');
  });

  it('shows a picked emoji outside the grid with no radio checked but the first still reachable', () => {
    const html = render({ initial: { emoji: '🦄' } });
    expect(textOf(html, 'agent-emoji-value')).toBe('🦄');
    expect(html).not.toContain('aria-checked="true"');
    expect(tagOf(html, 'emoji-quick-0')).toContain('tabindex="0"');
  });

  it('groups the served models by provider name', () => {
    const html = render({
      status: {
        ...SAMPLE_LLM_STATUS,
        litellm: { ...SAMPLE_LLM_STATUS.litellm, models: ['scripted/b', 'other/x', 'scripted/a'] },
      },
    });
    const groups = [...html.matchAll(/<optgroup label="([^"]+)">(.*?)<\/optgroup>/g)].map((m) => [
      m[1],
      [...m[2]!.matchAll(/value="([^"]+)"/g)].map((o) => o[1]),
    ]);
    expect(groups).toEqual([
      ['other', ['other/x']],
      ['Scripted LLM', ['scripted/a', 'scripted/b']],
    ]);
    tagOf(html, 'agent-fallbacks-toggle');
  });

  it('says why there is no model and links to Providers when LiteLLM serves none', () => {
    const html = render({
      status: { ...SAMPLE_LLM_STATUS, litellm: { ...SAMPLE_LLM_STATUS.litellm, state: 'idle', models: [] } },
    });
    expect(html).not.toContain('data-testid="agent-model"');
    expect(textOf(html, 'agent-no-models')).toContain('No model is served yet: no provider has models.');
    expect(tagOf(html, 'agent-no-models-link')).toContain('href="#/providers"');
  });

  it('puts the core’s field errors under their fields and the rest above the buttons', () => {
    const html = render({
      errors: {
        fields: {
          model: '"scripted/x" must be <provider-id>/<model-id>',
          memory_mib: 'Too big',
          emoji: 'not one emoji',
        },
        rest: { code: 'UNAVAILABLE', message: 'Docker is not reachable', unreachable: false },
      },
    });
    expect(textOf(html, 'agent-model-error')).toBe('"scripted/x" must be <provider-id>/<model-id>');
    expect(textOf(html, 'agent-memory-error')).toBe('Too big');
    expect(textOf(html, 'agent-emoji-error')).toBe('not one emoji');
    expect(textOf(html, 'create-agent-error')).toBe('UNAVAILABLE Docker is not reachable');
  });

  it('lists every harness with its emoji, the built-in first', () => {
    const html = render();
    expect(html).toContain('>🤖 Agent Desk runtime</option>');
    expect(html).toContain('>✳️ Claude Code</option>');
    expect(html.indexOf('🤖 Agent Desk runtime')).toBeLessThan(html.indexOf('✳️ Claude Code'));
  });

  it('takes the chosen harness’s emoji, memory bounds and what it needs', () => {
    const html = render({ initial: { harness: 'claude-code', memory: '2048' } });
    expect(textOf(html, 'agent-emoji-note')).toContain('Claude Code');
    expect(textOf(html, 'agent-emoji-value')).toBe('✳️');
    expect(tagOf(html, 'agent-memory')).toContain('min="768"');
    expect(html).toContain('Runs on docker. Needs at least 768 MiB.');
  });

  it('offers the runtime per agent, Settings’ one checked, and says when the chosen one is down', () => {
    const html = render({ defaultRuntime: 'incus' });
    expect(tagOf(html, 'agent-runtime-incus')).toContain('checked');
    expect(tagOf(html, 'agent-runtime-docker')).not.toContain('checked');
    expect(html).toContain('Incus, the default in Settings.');
    const down = render({
      initial: { runtime: 'docker' },
      defaultRuntime: 'incus',
      runtimeHealth: [
        {
          name: 'docker',
          state: 'missing',
          detail: 'no socket at /var/run/docker.sock',
          fix: 'start dockerd',
        },
      ],
    });
    expect(tagOf(down, 'agent-runtime-docker')).toContain('checked');
    expect(down).toContain('Docker is not usable here: no socket at /var/run/docker.sock — start dockerd');
  });

  it('starts with the default limits and their bounds', () => {
    const html = render();
    expect(tagOf(html, 'agent-memory')).toContain('value="1024"');
    expect(tagOf(html, 'agent-memory')).toContain('min="256"');
    expect(tagOf(html, 'agent-memory')).toContain('max="65536"');
    expect(tagOf(html, 'agent-cpus')).toContain('value="1"');
    expect(tagOf(html, 'agent-cpus')).toContain('min="0.1"');
  });
});
