// Electron-style event objects for the Electron mock.

/** An Electron event object: `preventDefault()` plus the event's params. */
export type FakeEvent<P extends object = object> = P & { defaultPrevented: boolean; preventDefault(): void };

/** Makes an Electron-style event carrying `params`. */
export function fakeEvent<P extends object>(params: P = {} as P): FakeEvent<P> {
  const event = {
    ...params,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}
