// Global Electron mock (vitest setupFile): in-memory fakes of the Electron APIs Agent Desk uses, reset before every test.
//
// `vi.mock('electron')` here applies to every test file of the project that lists this file in
// `setupFiles`. Code under test imports 'electron' as usual and gets the fakes below; tests import
// `electronMock` from this file to drive them (invoke an ipcMain handler, fire will-navigate, …).
// The factory runs lazily (first import of 'electron'), after this module has finished evaluating.
import { beforeEach, vi } from 'vitest';
import { app, ipcMain, ipcRenderer } from './electron-mock/app';
import { FakeMenu, FakeNotification, FakeTray, nativeImage } from './electron-mock/desktop';
import { fakeEvent } from './electron-mock/events';
import {
  FakeBrowserWindow,
  FakeWebContents,
  FakeWebFrameMain,
  net,
  protocol,
  resetNet,
  session,
} from './electron-mock/web';

export type { FakeEvent } from './electron-mock/events';
export type { FakeMenuItemOptions } from './electron-mock/desktop';
export { app, FakeApp, FakeIpcMain, FakeIpcRenderer, ipcMain, ipcRenderer } from './electron-mock/app';
export { FakeMenu, FakeNativeImage, FakeNotification, FakeTray, nativeImage } from './electron-mock/desktop';
export { fakeEvent } from './electron-mock/events';
export {
  FakeBrowserWindow,
  FakeProtocol,
  FakeSession,
  FakeWebContents,
  FakeWebFrameMain,
  net,
  protocol,
  session,
} from './electron-mock/web';

export const shell = {
  openExternal: vi.fn((_url: string) => Promise.resolve()),
  openPath: vi.fn((_p: string) => Promise.resolve('')),
};
export const dialog = {
  showErrorBox: vi.fn(),
  showMessageBox: vi.fn(() => Promise.resolve({ response: 0, checkboxChecked: false })),
};
/** `contextBridge`: `exposed` holds what the preload put in the main world, by key. */
export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    if (key in contextBridge.exposed)
      throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    contextBridge.exposed[key] = api;
  }),
};

/** Everything the mock offers, for tests: `electronMock.ipcMain.invoke(...)`, `electronMock.app.setReady()`, … */
export const electronMock = {
  app,
  BrowserWindow: FakeBrowserWindow,
  ipcMain,
  ipcRenderer,
  protocol,
  session,
  shell,
  net,
  dialog,
  contextBridge,
  Tray: FakeTray,
  Menu: FakeMenu,
  Notification: FakeNotification,
  nativeImage,
  fakeEvent,
  FakeWebFrameMain,
  FakeWebContents,
};

/** Puts every fake back to its initial state (run before each test). */
export function resetElectronMock(): void {
  app.reset();
  FakeBrowserWindow.created = [];
  ipcMain.reset();
  ipcRenderer.reset();
  protocol.reset();
  session.defaultSession.reset();
  shell.openExternal.mockClear();
  shell.openPath.mockClear();
  resetNet();
  dialog.showErrorBox.mockClear();
  dialog.showMessageBox.mockClear();
  contextBridge.exposed = {};
  contextBridge.exposeInMainWorld.mockClear();
  FakeTray.created = [];
  FakeNotification.shown = [];
  FakeNotification.supported = true;
  nativeImage.createFromPath.mockClear();
  nativeImage.createEmpty.mockClear();
}

const electronModule = {
  app,
  BrowserWindow: FakeBrowserWindow,
  ipcMain,
  ipcRenderer,
  protocol,
  session,
  shell,
  net,
  dialog,
  contextBridge,
  Tray: FakeTray,
  Menu: FakeMenu,
  Notification: FakeNotification,
  nativeImage,
};

vi.mock('electron', () => ({ ...electronModule, default: electronModule }));

beforeEach(() => {
  resetElectronMock();
});
