export { type SpoolServer, type StartOptions, startSpool } from './app.ts';
export { loadConfig, type SpoolConfig } from './config.ts';
export type { ModelProvider, ProviderChunk } from './generation/provider.ts';
export type { StreamStore } from './store/types.ts';
export { type AppRouter, createSpoolRouter, type RouterDeps } from './trpc/router.ts';
