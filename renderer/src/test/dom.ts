// Testing Library for the renderer's component tests (files marked `@vitest-environment happy-dom`): unmounts after each test.
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// React warns about updates outside act() unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

afterEach(() => {
  cleanup();
});

export { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
export { default as userEvent } from '@testing-library/user-event';
