// The actions of an agent row on one line: icon buttons for what is used often, a "More" menu for the rest.
import { useEffect, useRef, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import type { Agent } from '../../../../contract/agents';
import {
  ChatIcon,
  MoreIcon,
  NetworkIcon,
  StartIcon,
  StopIcon,
  TasksIcon,
  TraceIcon,
} from '../../components/Icons';
import type { AgentPaneKind, RowBusy, rowActions } from '../../stores/agents';
import type { RowHandlers } from './AgentRow';

const BUSY_LABEL: Record<RowBusy, string> = {
  start: 'Starting…',
  stop: 'Stopping…',
  restart: 'Restarting…',
  archive: 'Archiving…',
  restore: 'Restoring…',
  purge: 'Purging…',
};

/** A square icon button; its name is `label` (also the tooltip), so screen readers say what it does. */
function IconButton({
  label,
  icon,
  onClick,
  testId,
  pressed,
  title,
}: {
  label: string;
  icon: ReactNode;
  onClick: () => void;
  testId: string;
  pressed?: boolean;
  title?: string;
}): ReactElement {
  return (
    <button
      type="button"
      className="button button--small button--icon"
      aria-label={label}
      title={title ?? label}
      {...(pressed === undefined ? {} : { 'aria-pressed': pressed })}
      onClick={onClick}
      data-testid={testId}
    >
      {icon}
    </button>
  );
}

/**
 * "More" (`agent-more-<slug>`): a disclosure button with a small list under it, placed with fixed
 * coordinates so the table's scroll box never clips it. Closes on a choice, Escape, a click outside,
 * a scroll or a resize; Escape gives focus back to the button.
 */
function RowMenu({ slug, children }: { slug: string; children: ReactNode }): ReactElement {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const b = button.current?.getBoundingClientRect();
    if (b && list.current) {
      list.current.style.top = `${Math.round(b.bottom + 4)}px`;
      list.current.style.right = `${Math.round(window.innerWidth - b.right)}px`;
    }
    const close = (e: Event): void => {
      if (
        e.type === 'pointerdown' &&
        (list.current?.contains(e.target as Node) || button.current?.contains(e.target as Node))
      )
        return;
      setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    window.addEventListener('resize', close);
    document.addEventListener('scroll', close, true);
    return () => {
      document.removeEventListener('pointerdown', close);
      window.removeEventListener('resize', close);
      document.removeEventListener('scroll', close, true);
    };
  }, [open]);
  return (
    <div
      className="row-menu"
      onKeyDown={(e) => {
        if (e.key !== 'Escape' || !open) return;
        e.stopPropagation();
        setOpen(false);
        button.current?.focus();
      }}
    >
      <button
        ref={button}
        type="button"
        className="button button--small button--icon"
        aria-label="More actions"
        title="More actions"
        aria-expanded={open}
        aria-controls={`agent-menu-${slug}`}
        onClick={() => setOpen((o) => !o)}
        data-testid={`agent-more-${slug}`}
      >
        <MoreIcon />
      </button>
      <div
        ref={list}
        id={`agent-menu-${slug}`}
        className="row-menu__list"
        hidden={!open}
        onClick={() => setOpen(false)}
      >
        {children}
      </div>
    </div>
  );
}

/** The row's actions, as {@link rowActions} allows them; `busy` shows what runs instead of the buttons that would race it. */
export function AgentRowActions({
  agent,
  can,
  busy,
  selected,
  nameId,
  handlers,
}: {
  agent: Agent;
  can: ReturnType<typeof rowActions>;
  busy: RowBusy | undefined;
  selected: AgentPaneKind | null;
  nameId: string;
  handlers: RowHandlers;
}): ReactElement {
  const slug = agent.slug;
  const pane = (kind: AgentPaneKind) => () => handlers.onPane(agent.id, kind);
  const settings = Boolean(handlers.onSettings) && ['running', 'stopped', 'failed'].includes(agent.phase);
  const more = can.logs || can.archive || settings;
  return (
    <div className="row-actions" role="group" aria-labelledby={nameId}>
      {busy ? (
        <span className="muted small" aria-live="polite" data-testid={`agent-busy-${slug}`}>
          {BUSY_LABEL[busy]}
        </span>
      ) : null}
      {can.start ? (
        <IconButton
          label="Start"
          icon={<StartIcon />}
          onClick={() => handlers.onStart(agent.id)}
          testId={`agent-start-${slug}`}
        />
      ) : null}
      {can.retry ? (
        <button
          type="button"
          className="button button--small button--primary"
          onClick={() => handlers.onStart(agent.id)}
          data-testid={`agent-retry-${slug}`}
        >
          Retry
        </button>
      ) : null}
      {can.stop ? (
        <IconButton
          label="Stop"
          icon={<StopIcon />}
          onClick={() => handlers.onStop(agent.id)}
          testId={`agent-stop-${slug}`}
        />
      ) : null}
      {can.chat ? (
        <IconButton
          label="Chat"
          icon={<ChatIcon />}
          pressed={selected === 'chat'}
          onClick={pane('chat')}
          testId={`agent-chat-${slug}`}
        />
      ) : null}
      <IconButton
        label="Trace"
        icon={<TraceIcon />}
        pressed={selected === 'trace'}
        onClick={pane('trace')}
        testId={`agent-trace-${slug}`}
      />
      <IconButton
        label="Tasks"
        icon={<TasksIcon />}
        pressed={selected === 'tasks'}
        onClick={pane('tasks')}
        testId={`agent-tasks-${slug}`}
      />
      <IconButton
        label="Network"
        title={`Network access: ${agent.egress.mode}`}
        icon={<NetworkIcon />}
        pressed={selected === 'network'}
        onClick={pane('network')}
        testId={`agent-network-${slug}`}
      />
      {more ? (
        <RowMenu slug={slug}>
          {settings ? (
            <button
              type="button"
              className="row-menu__item"
              onClick={() => handlers.onSettings?.(agent)}
              data-testid={`agent-settings-${slug}`}
            >
              Settings
            </button>
          ) : null}
          {can.logs ? (
            <button
              type="button"
              className="row-menu__item"
              onClick={() => handlers.onLogs(agent.id)}
              data-testid={`agent-logs-${slug}`}
            >
              Logs
            </button>
          ) : null}
          {handlers.onFolders && can.logs ? (
            <button
              type="button"
              className="row-menu__item"
              onClick={() => handlers.onFolders?.(agent)}
              data-testid={`agent-folders-${slug}`}
            >
              Shared folders
            </button>
          ) : null}
          {can.archive ? (
            <button
              type="button"
              className="row-menu__item"
              onClick={() => handlers.onArchive(agent)}
              data-testid={`agent-archive-${slug}`}
            >
              Archive
            </button>
          ) : null}
        </RowMenu>
      ) : null}
    </div>
  );
}
