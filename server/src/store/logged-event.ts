import { type StreamEvent, streamEventSchema } from '@spool/shared';
import { EncodedEvent } from '../delivery/encoded-event.ts';
import { parseJson } from '../json.ts';

const eventTypes: ReadonlySet<unknown> = new Set(streamEventSchema.options.map((option) => option.shape.type.value));

/**
 * An event as the Redis log keeps it (and publishes it), with its JSON kept for the wire. Every body
 * was validated where it entered Spool and the index was set by the append script, so this checks only
 * what routing needs (a known type, an index) instead of running the schema again on every delivery.
 * Undefined for anything else.
 */
export function decodeLoggedEvent(raw: string): EncodedEvent | undefined {
  const value = parseJson(raw) as Partial<Record<keyof StreamEvent, unknown>> | undefined;
  if (typeof value !== 'object' || value === null || !eventTypes.has(value.type)) return undefined;
  if (!Number.isSafeInteger(value.index) || (value.index as number) < 0) return undefined;
  return new EncodedEvent(value as StreamEvent, raw);
}
