export { createSpoolClient, type SpoolClient, type SpoolClientOptions, type StreamOptions } from './client.ts';
export type { Transport } from './transports.ts';
