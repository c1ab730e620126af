import { isTerminalEvent, type StreamEventBody } from '@spool/shared';

/** A batch whose terminal event is not its last would append events after the end: a bug in the caller. */
export function assertTerminalLast(bodies: readonly StreamEventBody[]): void {
  const terminal = bodies.findIndex((body) => isTerminalEvent(body));
  if (terminal !== -1 && terminal !== bodies.length - 1) {
    throw new RangeError(`a batch of ${bodies.length} events has its terminal event at ${terminal}, not last`);
  }
}
