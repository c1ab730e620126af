export * from './close-codes.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './history.ts';
export * from './limits.ts';
export * from './procedures.ts';
export * from './text.ts';
