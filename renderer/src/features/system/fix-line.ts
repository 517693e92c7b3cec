// Splits a component's one-line fix into prose and shell commands, so commands show in monospace.

/** A piece of a fix line; `command` pieces are shown as code with a copy button. */
export interface FixSegment {
  text: string;
  command: boolean;
}

/** First words that mark the start of a shell command in a fix line. */
const COMMAND_WORDS = new Set([
  'sudo',
  'apt',
  'apt-get',
  'dnf',
  'yum',
  'pacman',
  'zypper',
  'brew',
  'snap',
  'flatpak',
  'winget',
  'choco',
  'systemctl',
  'service',
  'docker',
  'podman',
  'incus',
  'lxd',
  'usermod',
  'newgrp',
  'groups',
  'pip',
  'pip3',
  'pipx',
  'python',
  'python3',
  'uv',
  'npm',
  'npx',
  'node',
  'agentdesk',
  'litellm',
  'export',
  'curl',
  'gnome-keyring-daemon',
  'dbus-run-session',
  'chmod',
  'chown',
  'sh',
  'bash',
  'set',
  'source',
  'ls',
]);

function looksLikeCommand(text: string): boolean {
  const first = text.trim().split(/\s+/)[0] ?? '';
  return COMMAND_WORDS.has(first) || /^(\/|\.\/|~\/)\S+/.test(first) || /^[A-Z_][A-Z0-9_]*=\S*/.test(first);
}

/**
 * Splits `fix` into segments. Text in backticks is a command; without backticks, the part after the
 * last `: ` is a command when it starts with a known command word, a path or `VAR=value`; so is a
 * whole line that does. Anything else is prose. Only styling depends on this guess.
 */
export function splitFix(fix: string): FixSegment[] {
  if (fix.includes('`')) {
    const parts = fix.split('`');
    return parts
      .map((text, i) => ({ text, command: i % 2 === 1 && i < parts.length - 1 }))
      .filter((s) => s.text.length > 0);
  }
  const colon = fix.lastIndexOf(': ');
  if (colon >= 0 && looksLikeCommand(fix.slice(colon + 2))) {
    return [
      { text: fix.slice(0, colon + 2), command: false },
      { text: fix.slice(colon + 2), command: true },
    ];
  }
  if (looksLikeCommand(fix)) return [{ text: fix, command: true }];
  return fix.length > 0 ? [{ text: fix, command: false }] : [];
}
