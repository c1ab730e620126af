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
  /** The WebSocket data frame's payload after the subscription's id, built by the first WebSocket watcher. */
  wsData: Buffer | undefined;

  /** `json`: the event's JSON when it is at hand already (as the Redis log keeps it), saving a stringify. */
  constructor(event: StreamEvent, json = JSON.stringify(event)) {
    this.event = event;
    this.json = json;
  }
}
