// Browsers have their own; bundlers pick this file through the "browser" condition of `#event-source`.
// Some runtimes that take that condition have none (workers): then SSE is not offered.
export const EventSource: typeof globalThis.EventSource | undefined = globalThis.EventSource;
