import type { StreamEvent } from '@spool/shared';

/**
 * One event as it leaves the process: decoded once, serialized once, whatever the number of watchers.
 * Each transport builds its own frame from `json` and may keep it here, so that every watcher of the
 * stream on that transport is written the same bytes.
 */
export class EncodedEvent {
  readonly event: StreamEvent;
  /** `JSON.stringify(event)`: the bytes tRPC itself would serialize for this value. */
  readonly json: string;
  /** The SSE frame, built by the first SSE watcher that needs it (`transports/trpc-wire.ts`). */
  sseFrame: Buffer | undefined;
  /** The WebSocket data frame after the subscription's id, built by the first WebSocket watcher. */
  wsData: string | undefined;

  constructor(event: StreamEvent) {
    this.event = event;
    this.json = JSON.stringify(event);
  }
}
