// Browsers have their own; bundlers pick this file through the "browser" condition of `#event-source`.
export const EventSource: typeof globalThis.EventSource = globalThis.EventSource;
