// Unit tests of the fix-line splitter.
import { describe, expect, it } from 'vitest';
import { splitFix } from './fix-line';

describe('splitFix', () => {
  it('treats backticked text as commands', () => {
    expect(splitFix('Run `systemctl start docker` and retry')).toEqual([
      { text: 'Run ', command: false },
      { text: 'systemctl start docker', command: true },
      { text: ' and retry', command: false },
    ]);
  });

  it('finds a command after the last colon', () => {
    expect(splitFix('Install Docker: sudo apt install docker.io')).toEqual([
      { text: 'Install Docker: ', command: false },
      { text: 'sudo apt install docker.io', command: true },
    ]);
  });

  it('recognises a line that is a command, a path, or a variable assignment', () => {
    expect(splitFix('sudo usermod -aG incus-admin $USER')).toEqual([
      { text: 'sudo usermod -aG incus-admin $USER', command: true },
    ]);
    expect(splitFix('Set the path: /opt/litellm/bin/litellm')[1]).toEqual({
      text: '/opt/litellm/bin/litellm',
      command: true,
    });
    expect(splitFix('Or: AGENTDESK_KEY_OPENAI=… agentdesk serve')[1]?.command).toBe(true);
  });

  it('leaves prose alone, including prose with a colon', () => {
    expect(splitFix('Wait a few seconds')).toEqual([{ text: 'Wait a few seconds', command: false }]);
    expect(splitFix('Note: the keychain is locked')).toEqual([
      { text: 'Note: the keychain is locked', command: false },
    ]);
    expect(splitFix('')).toEqual([]);
  });

  it('keeps an unmatched backtick as prose', () => {
    expect(splitFix('odd ` quote')).toEqual([
      { text: 'odd ', command: false },
      { text: ' quote', command: false },
    ]);
  });
});
