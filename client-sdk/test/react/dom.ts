import { configure } from '@testing-library/react';
import { JSDOM } from 'jsdom';

/**
 * A DOM for React in this Node test process, without vitest's jsdom environment: that one
 * replaces Node's own globals (URL, AbortController, fetch's classes...) for everything in the
 * process, the Spool server under test included. Here only what a page has and Node lacks is added.
 * Imported before React and Testing Library, so both find `document`.
 */
const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://127.0.0.1/' });
Object.assign(globalThis, {
  window: dom.window,
  document: dom.window.document,
  sessionStorage: dom.window.sessionStorage,
  IS_REACT_ACT_ENVIRONMENT: true,
});

// waitFor's 1 s default is short for a real server on a busy 2-core machine.
configure({ asyncUtilTimeout: 10_000 });
