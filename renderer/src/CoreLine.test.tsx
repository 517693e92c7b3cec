// The sidebar says which core the window shows: a remote one by its label, or this computer's.
// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreInfo } from '../../contract/health';
import { render, within } from './test/dom';
import { systemStore } from './stores/system';
import { CoreLine } from './App';

const INFO: CoreInfo = {
  version: '0.1.0',
  data_dir: '/srv/agentdesk',
  platform: 'linux',
  mode: 'headless',
  pid: 42,
  started_at: 0,
  schema_version: 1,
};

afterEach(() => systemStore.setState({ info: null }));

describe('CoreLine', () => {
  it('names the remote core the desktop is attached to', () => {
    systemStore.setState({ info: { ...INFO, remote_core: 'deploy@server' } });
    const { container } = render(<CoreLine />);
    const el = within(container).getByTestId('sidebar-core-location');
    expect(el.textContent).toBe('Core: deploy@server');
    expect(el.getAttribute('data-remote')).toBe('true');
  });

  it('says "This computer" for the local core (no remote_core, or null)', () => {
    for (const remote_core of [undefined, null]) {
      systemStore.setState({ info: { ...INFO, remote_core } });
      const { container, unmount } = render(<CoreLine />);
      expect(within(container).getByTestId('sidebar-core-location').textContent).toBe('This computer');
      unmount();
    }
  });
});
