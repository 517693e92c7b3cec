// Component tests of the create form in a DOM: slug and taken name, emoji quick pick by keyboard, models by provider, errors, validation on submit.
// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import type { AgentCreateInput } from '../../../../contract/agents';
import type { LlmStatus } from '../../../../contract/llm';
import type { ComponentHealth } from '../../../../contract/health';
import type { Engine, EngineMember } from '../../../../contract/engines';
import type { CreateErrors } from '../../stores/agents';
import { render, screen, userEvent, within } from '../../test/dom';
import { SAMPLE_CLAUDE_CODE, SAMPLE_HARNESS, SAMPLE_LLM_STATUS, sampleAgent } from '../../test/fake-client';
import { CREATE_FORM_ID, CreateAgentForm } from './CreateAgentForm';
import type { CreateDraft } from './create-form';

function renderForm(
  opts: {
    status?: LlmStatus | null;
    initial?: Partial<CreateDraft>;
    errors?: CreateErrors;
    defaultRuntime?: 'docker' | 'incus';
    runtimeHealth?: ComponentHealth[];
    engines?: (Pick<Engine, 'id' | 'name' | 'kind' | 'health'> & { member?: string | null })[];
    loadMembers?: (engine: string) => Promise<EngineMember[]>;
    onSubmit?: (input: AgentCreateInput) => Promise<CreateErrors | null>;
  } = {},
) {
  const onSubmit = vi.fn(opts.onSubmit ?? (() => Promise.resolve(null)));
  const view = render(
    <>
      <CreateAgentForm
        harnesses={[SAMPLE_HARNESS, SAMPLE_CLAUDE_CODE]}
        status={opts.status === undefined ? SAMPLE_LLM_STATUS : opts.status}
        providerNames={{ scripted: 'Scripted LLM' }}
        agents={[sampleAgent({ name: 'Helper', slug: 'helper' })]}
        onSubmit={onSubmit}
        onBusy={() => undefined}
        {...(opts.initial ? { initial: opts.initial } : {})}
        {...(opts.errors ? { initialErrors: opts.errors } : {})}
        {...(opts.defaultRuntime ? { defaultRuntime: opts.defaultRuntime } : {})}
        {...(opts.runtimeHealth ? { runtimeHealth: opts.runtimeHealth } : {})}
        {...(opts.engines ? { engines: opts.engines } : {})}
        {...(opts.loadMembers ? { loadMembers: opts.loadMembers } : {})}
      />
      {/* As in the dialog: the footer's button submits the form by its id. */}
      <button type="submit" form={CREATE_FORM_ID}>
        Create agent
      </button>
    </>,
  );
  return { ...view, onSubmit };
}

const quickPicks = (): HTMLElement[] => within(screen.getByRole('radiogroup')).getAllByRole('radio');

describe('CreateAgentForm', () => {
  it('shows the container name the typed name gives', () => {
    renderForm({ initial: { name: 'Zoë’s Research Bot' } });
    expect(screen.getByTestId('agent-slug').textContent).toBe('agentdesk-zoe-s-research-bot');
    expect(screen.queryByTestId('agent-name-error')).toBeNull();
  });

  it('says when a live agent already holds the slug', () => {
    renderForm({ initial: { name: 'HELPER!' } });
    expect(screen.getByTestId('agent-name-error').textContent).toBe(
      'An agent named “Helper” already uses the name helper; choose another name',
    );
    expect(screen.getByTestId('agent-name').getAttribute('aria-invalid')).toBe('true');
  });

  it('offers 12 quick picks as a radio group, the harness default first, checked and the only tab stop', () => {
    renderForm();
    const group = screen.getByTestId('emoji-quick-pick');
    expect(group.getAttribute('role')).toBe('radiogroup');
    expect(screen.getAllByTestId(/^emoji-quick-/)).toHaveLength(13); // 12 radios + the group
    const first = screen.getByRole('radio', { name: 'robot, default of Agent Desk runtime' });
    expect(first).toBe(screen.getByTestId('emoji-quick-0'));
    expect(first.getAttribute('aria-checked')).toBe('true');
    expect(first.getAttribute('tabindex')).toBe('0');
    expect(screen.getByTestId('emoji-quick-1').getAttribute('tabindex')).toBe('-1');
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe('🤖');
    expect(screen.getByRole('button', { name: 'More…' }).getAttribute('aria-expanded')).toBe('false');
  });

  it('shows a picked emoji outside the grid with no radio checked but the first still reachable', () => {
    renderForm({ initial: { emoji: '🦄' } });
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe('🦄');
    expect(quickPicks().filter((r) => r.getAttribute('aria-checked') === 'true')).toEqual([]);
    expect(screen.getByTestId('emoji-quick-0').getAttribute('tabindex')).toBe('0');
  });

  it('picks an emoji with the keyboard: Tab into the grid, arrows move and choose, End and Home jump, Space keeps', async () => {
    const user = userEvent.setup();
    renderForm();
    const radios = quickPicks();
    radios[0]!.focus();
    await user.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(radios[1]);
    expect(radios[1]!.getAttribute('aria-checked')).toBe('true');
    expect(radios[0]!.getAttribute('aria-checked')).toBe('false');
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe(radios[1]!.dataset.emoji);
    // One tab stop: the checked radio.
    expect(radios.filter((r) => r.getAttribute('tabindex') === '0')).toEqual([radios[1]]);
    await user.keyboard('{End}');
    expect(document.activeElement).toBe(radios[11]);
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe(radios[11]!.dataset.emoji);
    // Wraps around from the last to the first.
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(radios[0]);
    expect(radios[0]!.getAttribute('aria-checked')).toBe('true');
    await user.keyboard('{ArrowLeft}');
    expect(radios[11]!.getAttribute('aria-checked')).toBe('true');
    await user.keyboard('{Home}');
    expect(radios[0]!.getAttribute('aria-checked')).toBe('true');
    await user.keyboard('{ArrowRight}{ }');
    expect(radios[1]!.getAttribute('aria-checked')).toBe('true');
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe(radios[1]!.dataset.emoji);
  });

  it('takes a typed emoji, and refuses text that is not one emoji beside the field', async () => {
    const user = userEvent.setup();
    renderForm();
    const typed = screen.getByLabelText('Or type one');
    await user.type(typed, '🦄');
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe('🦄');
    expect(quickPicks().filter((r) => r.getAttribute('aria-checked') === 'true')).toEqual([]);
    await user.clear(typed);
    await user.type(typed, 'ab');
    expect(within(screen.getByTestId('agent-emoji')).getByRole('alert').textContent).not.toBe('');
    // The last good emoji stays chosen.
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe('🦄');
  });

  it('groups the served models by provider name', () => {
    renderForm({
      status: {
        ...SAMPLE_LLM_STATUS,
        litellm: { ...SAMPLE_LLM_STATUS.litellm, models: ['scripted/b', 'other/x', 'scripted/a'] },
      },
    });
    const groups = [...screen.getByTestId('agent-model').querySelectorAll('optgroup')].map((g) => [
      g.label,
      within(g)
        .getAllByRole('option')
        .map((o) => (o as HTMLOptionElement).value),
    ]);
    expect(groups).toEqual([
      ['other', ['other/x']],
      ['Scripted LLM', ['scripted/a', 'scripted/b']],
    ]);
    screen.getByTestId('agent-fallbacks-toggle');
  });

  it('says why there is no model and links to Providers when LiteLLM serves none', () => {
    renderForm({
      status: { ...SAMPLE_LLM_STATUS, litellm: { ...SAMPLE_LLM_STATUS.litellm, state: 'idle', models: [] } },
    });
    expect(screen.queryByTestId('agent-model')).toBeNull();
    expect(screen.getByTestId('agent-no-models').textContent).toContain(
      'No model is served yet: no provider has models.',
    );
    expect(screen.getByTestId('agent-no-models-link').getAttribute('href')).toBe('#/providers');
  });

  it('puts the core’s field errors under their fields and the rest above the buttons', () => {
    renderForm({
      errors: {
        fields: {
          model: '"scripted/x" must be <provider-id>/<model-id>',
          memory_mib: 'Too big',
          emoji: 'not one emoji',
        },
        rest: { code: 'UNAVAILABLE', message: 'Docker is not reachable', unreachable: false },
      },
    });
    expect(screen.getByTestId('agent-model-error').textContent).toBe(
      '"scripted/x" must be <provider-id>/<model-id>',
    );
    expect(screen.getByTestId('agent-memory-error').textContent).toBe('Too big');
    expect(screen.getByTestId('agent-emoji-error').textContent).toBe('not one emoji');
    expect(screen.getByTestId('create-agent-error').textContent).toBe('UNAVAILABLE Docker is not reachable');
  });

  it('refuses to submit a memory limit out of range, saying the range beside the field', async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderForm({ initial: { name: 'Scout' } });
    const memory = screen.getByLabelText(/^Memory/);
    await user.clear(memory);
    await user.type(memory, '10');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    const error = screen.getByTestId('agent-memory-error');
    expect(error.textContent).toBe('Memory must be a whole number of MiB from 128 to 65536; “10” is not');
    expect(memory.getAttribute('aria-invalid')).toBe('true');
    expect(memory.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    expect(onSubmit).not.toHaveBeenCalled();
    // A value in range is sent.
    await user.clear(memory);
    await user.type(memory, '2048');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(onSubmit.mock.calls[0]![0]).toMatchObject({ memory_mib: 2048 });
    expect(screen.queryByTestId('agent-memory-error')).toBeNull();
  });

  it('refuses to submit a name another live agent holds', async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderForm();
    await user.type(screen.getByLabelText(/^Name/), 'Helper');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(screen.getByTestId('agent-name-error').textContent).toContain('already uses the name helper');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('offers "Runs on" only when another engine exists, and sends the engine instead of a runtime', async () => {
    const first = renderForm({ initial: { name: 'Scout' } });
    expect(screen.queryByTestId('agent-engine')).toBeNull();
    first.unmount();
    const user = userEvent.setup();
    const { onSubmit } = renderForm({
      initial: { name: 'Scout' },
      engines: [
        {
          id: 'lab',
          name: 'Lab box',
          kind: 'docker',
          health: { name: 'engine:lab', state: 'missing', detail: 'down', fix: 'start it' },
        },
      ],
    });
    const picker = screen.getByTestId('agent-engine');
    expect(
      within(picker)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['This machine', 'Lab box (docker, missing)']);
    await user.selectOptions(picker, 'lab');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    const sent = onSubmit.mock.calls[0]![0];
    expect(sent).toMatchObject({ engine: 'lab' });
    expect(sent).not.toHaveProperty('runtime');
  });

  it('offers a "Member" picker for an Incus cluster engine, default: Incus places it', async () => {
    const user = userEvent.setup();
    const ok = { name: 'engine:cl', state: 'ok', detail: 'answers', fix: '' } as const;
    const loadMembers = vi.fn((engine: string) =>
      Promise.resolve(
        engine === 'cl'
          ? [
              { name: 'm1', status: 'Online', online: true, message: 'Fully operational' },
              { name: 'm2', status: 'Offline', online: false, message: 'No heartbeat' },
            ]
          : [],
      ),
    );
    const { onSubmit } = renderForm({
      initial: { name: 'Scout' },
      engines: [
        { id: 'one', name: 'Single', kind: 'incus', health: { ...ok, name: 'engine:one' } },
        { id: 'cl', name: 'Cluster', kind: 'incus', health: ok },
        { id: 'lab', name: 'Lab box', kind: 'docker', health: { ...ok, name: 'engine:lab' } },
      ],
      loadMembers,
    });
    expect(screen.queryByTestId('agent-member')).toBeNull();
    // A single server lists no members: no picker.
    await user.selectOptions(screen.getByTestId('agent-engine'), 'one');
    expect(loadMembers).toHaveBeenCalledWith('one');
    expect(screen.queryByTestId('agent-member')).toBeNull();
    await user.selectOptions(screen.getByTestId('agent-engine'), 'cl');
    const picker = await screen.findByTestId('agent-member');
    expect(
      within(picker)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Let Incus place it', 'm1', 'm2 (offline)']);
    expect((picker as HTMLSelectElement).value).toBe('');
    await user.selectOptions(picker, 'm1');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(onSubmit.mock.calls[0]![0]).toMatchObject({ engine: 'cl', member: 'm1' });
    // A Docker engine is never asked for members, and the chosen member is not sent there.
    await user.selectOptions(screen.getByTestId('agent-engine'), 'lab');
    expect(screen.queryByTestId('agent-member')).toBeNull();
    expect(loadMembers).not.toHaveBeenCalledWith('lab');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(onSubmit.mock.calls[1]![0]).not.toHaveProperty('member');
  });

  it('names the engine’s default member as the default choice, and sends no member for it', async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderForm({
      initial: { name: 'Scout', engine: 'cl' },
      engines: [
        {
          id: 'cl',
          name: 'Cluster',
          kind: 'incus',
          member: 'm2',
          health: { name: 'engine:cl', state: 'ok', detail: 'answers', fix: '' },
        },
      ],
      loadMembers: () =>
        Promise.resolve([
          { name: 'm1', status: 'Online', online: true, message: '' },
          { name: 'm2', status: 'Online', online: true, message: '' },
        ]),
    });
    const picker = await screen.findByTestId('agent-member');
    expect(within(picker).getAllByRole('option')[0]!.textContent).toBe('The engine’s default (m2)');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    const sent = onSubmit.mock.calls[0]![0];
    expect(sent).toMatchObject({ engine: 'cl' });
    expect(sent).not.toHaveProperty('member');
  });

  it('lists every harness with its emoji, the built-in first', () => {
    renderForm();
    const names = within(screen.getByTestId('agent-harness'))
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(names).toContain('🤖 Agent Desk runtime');
    expect(names).toContain('✳️ Claude Code');
    expect(names.indexOf('🤖 Agent Desk runtime')).toBeLessThan(names.indexOf('✳️ Claude Code'));
  });

  it('takes the chosen harness’s emoji, memory bounds and what it needs', () => {
    renderForm({ initial: { harness: 'claude-code', memory: '2048' } });
    expect(screen.getByTestId('agent-emoji-note').textContent).toContain('Claude Code');
    expect(screen.getByTestId('agent-emoji-value').textContent).toBe('✳️');
    expect(screen.getByTestId('agent-memory').getAttribute('min')).toBe('768');
    screen.getByText('Runs on docker. Needs at least 768 MiB.', { exact: false });
  });

  it('offers the runtime per agent, Settings’ one checked, and says when the chosen one is down', () => {
    const view = renderForm({ defaultRuntime: 'incus' });
    expect(screen.getByTestId<HTMLInputElement>('agent-runtime-incus').checked).toBe(true);
    expect(screen.getByTestId<HTMLInputElement>('agent-runtime-docker').checked).toBe(false);
    screen.getByText('Incus, the default in Settings.', { exact: false });
    view.unmount();
    renderForm({
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
    expect(screen.getByTestId<HTMLInputElement>('agent-runtime-docker').checked).toBe(true);
    screen.getByText('Docker is not usable here: no socket at /var/run/docker.sock — start dockerd', {
      exact: false,
    });
  });

  it('starts with the default limits and their bounds', () => {
    renderForm();
    const memory = screen.getByTestId<HTMLInputElement>('agent-memory');
    expect(memory.value).toBe('1024');
    expect(memory.getAttribute('min')).toBe('256');
    expect(memory.getAttribute('max')).toBe('65536');
    const cpus = screen.getByTestId<HTMLInputElement>('agent-cpus');
    expect(cpus.value).toBe('1');
    expect(cpus.getAttribute('min')).toBe('0.1');
  });
});
