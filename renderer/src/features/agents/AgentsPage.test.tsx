// Interaction tests of the Agents page against a fake core: archiving asks first, Cancel does nothing, Archive calls the core.
// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { agentsStore } from '../../stores/agents';
import { setClient } from '../../stores/client';
import { render, screen, userEvent, waitFor, within } from '../../test/dom';
import { createFakeCore, handleAgents, handleTraceTotals, sampleAgent } from '../../test/fake-client';
import type { FakeCore } from '../../test/fake-client';
import { chatHashFor } from '../chat';
import { AgentsPage } from './AgentsPage';

const FOX = sampleAgent({
  id: '00000000-0000-4000-8000-00000000f0c5',
  name: 'Fox',
  slug: 'fox',
  emoji: '🦊',
});

let core: FakeCore;

beforeEach(() => {
  core = createFakeCore();
  handleAgents(core, [FOX]);
  handleTraceTotals(core);
  core.handle('providers.list', () => []);
  setClient(core.client);
  agentsStore.setState(agentsStore.getInitialState(), true);
});

const archiveCalls = (): unknown[] =>
  core.calls.filter((c) => c.channel === 'agents.archive').map((c) => c.input);

/** Opens the row's "More" menu and clicks Archive; returns the confirmation dialog. */
async function askToArchive(user: ReturnType<typeof userEvent.setup>): Promise<HTMLElement> {
  await user.click(await screen.findByTestId('agent-more-fox'));
  await user.click(screen.getByTestId('agent-archive-fox'));
  return screen.getByRole('dialog', { name: /^Archive\s+Fox\?$/ });
}

describe('Agents page: archive', () => {
  it('asks before archiving; Cancel closes the question and changes nothing', async () => {
    const user = userEvent.setup();
    render(<AgentsPage />);
    const dialog = await askToArchive(user);
    expect(dialog.textContent).toContain('Its files are kept');
    // Focus starts on Cancel, so Enter alone never confirms.
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(archiveCalls()).toEqual([]);
    expect(screen.getByTestId('agent-row-fox').getAttribute('data-phase')).toBe('running');
  });

  it('archives on "Archive": the core is called with the agent, and it moves to the Archived panel', async () => {
    const user = userEvent.setup();
    render(<AgentsPage />);
    const dialog = await askToArchive(user);
    await user.click(within(dialog).getByRole('button', { name: 'Archive' }));
    expect(archiveCalls()).toEqual([{ id: FOX.id }]);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await screen.findByTestId(`archived-row-${FOX.id}`);
    expect(screen.queryByTestId('agent-row-fox')).toBeNull();
  });
});

describe('Agents page: chat', () => {
  it('opens the Chat page with the agent selected from the row’s Chat button', async () => {
    const user = userEvent.setup();
    window.location.hash = '#/agents';
    render(<AgentsPage />);
    await user.click(await screen.findByTestId('agent-chat-fox'));
    expect(window.location.hash).toBe(chatHashFor(FOX.id));
    expect(screen.queryByTestId('agent-pane')).toBeNull();
    window.location.hash = '';
  });
});
