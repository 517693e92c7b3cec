// The tray: icon, tooltip and menu kept in step with the agents and LiteLLM through the event bus (debounced).
import { Menu, Tray } from 'electron';
import type { EventBus } from '../platform/event-bus';
import { trayIcon } from './tray-icon';
import { trayMenuTemplate, trayState, trayTooltip } from './tray-menu';
import type { AgentSchedule, TrayActions, TrayAgent, TrayCore, TrayLlm, TrayState } from './tray-menu';

/** What the tray reads and subscribes to (main/app/bootstrap.ts `Core` fits through {@link TrayDeps}). */
export interface TrayDeps {
  bus: Pick<EventBus, 'on'>;
  /** Current agents (`AgentService.list`). */
  agents: () => readonly TrayAgent[];
  /** Current LiteLLM/gateway status (`LlmService.status`). */
  llm: () => TrayLlm;
  actions: TrayActions;
  /** Each agent's next task run and running task (default none); read again on `tasks.changed` and `tasks.run`. */
  schedule?: () => ReadonlyMap<string, AgentSchedule>;
  /** The remote core this desktop is attached to and whether it is reachable; absent or `null`: this computer's core. Read at each render. */
  core?: () => TrayCore | null;
  /** Delay between the first event of a burst and the rebuild that covers the whole burst, in ms (default 150). */
  debounceMs?: number;
  /** Folder of the icons (default `<resources>/icons`). */
  iconDir?: string;
  log: { warn(obj: object, msg: string): void };
}

/**
 * Owns the Electron `Tray`. Built at once from `agents()` and `llm()`; each `agents.changed` and
 * `llm.status` event stores the snapshot it carries; the first of a burst schedules one rebuild
 * `debounceMs` later that shows the latest of each (a deploy emits several events in a row; LiteLLM
 * reports every ~2 s while starting), so the menu is never rebuilt per event nor late by more. The icon
 * is only replaced when the overall state changes.
 */
export class TrayController {
  private readonly tray: Tray;
  private agents: readonly TrayAgent[];
  private llm: TrayLlm;
  private state: TrayState | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Re-renders every minute while a next run is shown ("next run in …" counts down). */
  private readonly minute: NodeJS.Timeout;
  private readonly unsubscribe: (() => void)[] = [];
  private disposed = false;

  constructor(private readonly d: TrayDeps) {
    this.agents = d.agents();
    this.llm = d.llm();
    this.state = trayState(this.agents, this.llm, d.core?.() ?? null);
    this.tray = new Tray(this.icon(this.state));
    this.tray.on('click', () => d.actions.open());
    this.unsubscribe.push(
      d.bus.on('agents.changed', (e) => {
        this.agents = e.agents;
        this.schedule();
      }),
      d.bus.on('llm.status', (st) => {
        this.llm = st;
        this.schedule();
      }),
      d.bus.on('tasks.changed', () => this.schedule()),
      d.bus.on('tasks.run', () => this.schedule()),
    );
    this.minute = setInterval(() => {
      if (
        [...(d.schedule?.() ?? new Map<string, AgentSchedule>()).values()].some((s) => s.nextRunAt !== null)
      )
        this.render();
    }, 60_000);
    this.minute.unref?.();
    this.render();
  }

  /** The overall state the icon shows now. */
  currentState(): TrayState {
    return trayState(this.agents, this.llm, this.d.core?.() ?? null);
  }

  /** Rebuilds icon, tooltip and menu now (pending debounced rebuilds are dropped). */
  render(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const core = this.d.core?.() ?? null;
    const state = trayState(this.agents, this.llm, core);
    if (state !== this.state) this.tray.setImage(this.icon(state));
    this.state = state;
    this.tray.setToolTip(trayTooltip(this.agents, this.llm, core));
    this.tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate(
          this.agents,
          this.llm,
          this.d.actions,
          this.d.schedule?.() ?? new Map(),
          Date.now(),
          core,
        ),
      ),
    );
  }

  /** Unsubscribes and removes the tray icon. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.minute);
    for (const u of this.unsubscribe.splice(0)) u();
    this.tray.destroy();
  }

  private schedule(): void {
    if (this.disposed || this.timer) return;
    this.timer = setTimeout(() => this.render(), this.d.debounceMs ?? 150);
  }

  private icon(state: TrayState) {
    return trayIcon(state, (file) => this.d.log.warn({ file }, 'tray icon missing'), this.d.iconDir);
  }
}
