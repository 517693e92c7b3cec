// Electron mock, desktop side: native images, menus, the tray and notifications.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { vi } from 'vitest';
import { fakeEvent } from './events';

/** A `NativeImage` made from a file path or a buffer; `empty` when the file did not exist (as Electron does). */
export class FakeNativeImage {
  templateImage = false;
  constructor(
    readonly source: string,
    private readonly empty: boolean,
  ) {}
  isEmpty(): boolean {
    return this.empty;
  }
  setTemplateImage(on: boolean): void {
    this.templateImage = on;
  }
}

/** `nativeImage`: `createFromPath` gives an empty image for a missing file, like Electron. */
export const nativeImage = {
  createFromPath: vi.fn((p: string) => new FakeNativeImage(p, !existsSync(p))),
  createEmpty: vi.fn(() => new FakeNativeImage('', true)),
};

/** A menu item template as `Menu.buildFromTemplate` takes it (the subset Agent Desk uses). */
export interface FakeMenuItemOptions {
  id?: string;
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  enabled?: boolean;
  toolTip?: string;
  click?: (...args: unknown[]) => void;
  submenu?: FakeMenuItemOptions[];
  role?: string;
}

/** A `Menu` built from a template: `items` is the template, `click(labels…)` runs an item found by its label path. */
export class FakeMenu {
  constructor(readonly items: FakeMenuItemOptions[]) {}
  static buildFromTemplate(template: FakeMenuItemOptions[]): FakeMenu {
    return new FakeMenu(template);
  }
  /** The labels of the top-level items (separators as `---`). */
  labels(): string[] {
    return this.items.map((i) => (i.type === 'separator' ? '---' : (i.label ?? '')));
  }
  /** Finds an item by its label path (`['🤖 Ada · running', 'Stop']`). @throws when there is none. */
  find(...labels: string[]): FakeMenuItemOptions {
    let items = this.items;
    let found: FakeMenuItemOptions | undefined;
    for (const label of labels) {
      found = items.find((i) => i.label === label);
      if (!found) throw new Error(`no menu item "${label}" among ${items.map((i) => i.label).join(', ')}`);
      items = found.submenu ?? [];
    }
    if (!found) throw new Error('no label given');
    return found;
  }
  /** Clicks the item at the label path, as a user would (refuses a disabled item). */
  click(...labels: string[]): void {
    const item = this.find(...labels);
    if (item.enabled === false) throw new Error(`menu item "${labels.join(' › ')}" is disabled`);
    item.click?.(item, undefined, {});
  }
}

/** A `Tray`: its image, tooltip and context menu; `created` lists every instance since the last reset. */
export class FakeTray extends EventEmitter {
  static created: FakeTray[] = [];
  image: FakeNativeImage | string;
  toolTip = '';
  contextMenu: FakeMenu | null = null;
  private destroyed = false;
  constructor(image: FakeNativeImage | string) {
    super();
    this.image = image;
    FakeTray.created.push(this);
  }
  setImage(image: FakeNativeImage | string): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.toolTip = text;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.contextMenu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** A `Notification`: records its options and whether it was shown; `shown` lists every shown one since the last reset. */
export class FakeNotification extends EventEmitter {
  static shown: FakeNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  constructor(readonly options: { title?: string; body?: string; silent?: boolean; icon?: unknown } = {}) {
    super();
  }
  get title(): string {
    return this.options.title ?? '';
  }
  get body(): string {
    return this.options.body ?? '';
  }
  show(): void {
    FakeNotification.shown.push(this);
    this.emit('show', fakeEvent());
  }
  close(): void {
    this.emit('close', fakeEvent());
  }
  /** Simulates the user clicking the notification. */
  click(): void {
    this.emit('click', fakeEvent());
  }
}
