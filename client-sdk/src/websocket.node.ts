import { WebSocket as NodeWebSocket } from 'ws';

// Node 22.4 and later have a global WebSocket; before that (or with it turned off), the `ws` package
// is one, with the same interface as far as tRPC's client uses it.
export const WebSocket: typeof globalThis.WebSocket | undefined =
  globalThis.WebSocket ?? (NodeWebSocket as unknown as typeof globalThis.WebSocket);
