// Browsers have their own; bundlers pick this file through the "browser" condition of `#websocket`.
export const WebSocket: typeof globalThis.WebSocket | undefined = globalThis.WebSocket;
