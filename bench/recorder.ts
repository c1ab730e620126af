import { errorMessage } from './ipc.ts';
import { type Percentiles, percentiles } from './stats.ts';

/** What the client side needs of an event: a Spool `StreamEvent`, or the floor's JSON of the same shape. */
export interface WireEvent {
  index: number;
  type: string;
  text?: string;
}

export interface Recording {
  expectedTokens: number;
  /** Distinct token indexes received. */
  delivered: number;
  /** Streams whose `done` arrived: with `delivered`, the events the server delivered. */
  ended: number;
  missing: number;
  /** Events whose index had already arrived on that stream. */
  duplicates: number;
  /** Events with an index below one already received on that stream. */
  outOfOrder: number;
  /** Events that are neither a token nor the `done` at index `tokens` (an `error`, say), or of no watched stream. */
  unexpected: number;
  /** Streams that ended neither with `done` nor with a subscription error. */
  unfinishedStreams: number;
  failedStreams: number;
  /** Subscriptions that went back to connecting after being connected: reconnects. */
  reconnects: number;
  latency: Percentiles | null;
  /** Delivered tokens per second, from the first token's append to the last token's receipt. */
  throughput: number | null;
  errors: string[];
}

const keptErrors = 5;

/**
 * Counts and times what the subscribers receive. Stream k's token j must arrive once, as index j, its
 * latency being its receipt time minus the append time written in its text (corrected by the clock offset
 * between the generator's process and this one); index `tokens` must be the `done`.
 */
export class Recorder {
  readonly #streams: number;
  readonly #tokens: number;
  readonly #seen: Uint8Array;
  readonly #highest: Int32Array;
  readonly #finished: Uint8Array;
  readonly #latencies: Float64Array;
  readonly #allFinished = Promise.withResolvers<void>();
  #count = 0;
  #ended = 0;
  #finishedCount = 0;
  #clockOffsetMs = 0;
  #firstAppendMs = Number.POSITIVE_INFINITY;
  #lastReceiptMs = Number.NEGATIVE_INFINITY;
  #duplicates = 0;
  #outOfOrder = 0;
  #unexpected = 0;
  #failed = 0;
  #reconnects = 0;
  readonly #errors: string[] = [];

  constructor(streams: number, tokens: number) {
    this.#streams = streams;
    this.#tokens = tokens;
    this.#seen = new Uint8Array(streams * (tokens + 1));
    this.#highest = new Int32Array(streams).fill(-1);
    this.#finished = new Uint8Array(streams);
    this.#latencies = new Float64Array(streams * tokens);
  }

  /** Resolves when every stream has received its `done` or failed. */
  get allFinished(): Promise<void> {
    return this.#allFinished.promise;
  }

  get errorCount(): number {
    return this.#failed + this.#unexpected;
  }

  /** The generator's clock minus this process's, from `measureOffset`. */
  setClockOffset(offsetMs: number): void {
    this.#clockOffsetMs = offsetMs;
  }

  event(stream: number, event: WireEvent, receivedAtMs: number): void {
    const { index } = event;
    if (!Number.isInteger(index) || index < 0 || index > this.#tokens) {
      this.#note(`stream ${stream}: index ${index} (${event.type}) outside 0..${this.#tokens}`);
      this.#unexpected++;
      return;
    }
    const slot = stream * (this.#tokens + 1) + index;
    if (this.#seen[slot]) {
      this.#duplicates++;
      return;
    }
    this.#seen[slot] = 1;
    const highest = this.#highest[stream] ?? -1;
    if (index < highest) this.#outOfOrder++;
    else this.#highest[stream] = index;

    if (event.type === 'token' && index < this.#tokens) {
      const appendedAtMs = Number(event.text) - this.#clockOffsetMs;
      this.#latencies[this.#count++] = receivedAtMs - appendedAtMs;
      this.#firstAppendMs = Math.min(this.#firstAppendMs, appendedAtMs);
      this.#lastReceiptMs = Math.max(this.#lastReceiptMs, receivedAtMs);
    } else if (event.type === 'done' && index === this.#tokens) {
      this.#ended++;
      this.#finish(stream);
    } else {
      this.#note(`stream ${stream}: unexpected ${event.type} at index ${index}`);
      this.#unexpected++;
      if (event.type === 'error') this.#finish(stream);
    }
  }

  fail(stream: number, error: unknown): void {
    this.#failed++;
    this.#note(`stream ${stream}: subscription failed: ${errorMessage(error)}`);
    this.#finish(stream);
  }

  /** An event for no stream this client watches. */
  stray(description: string): void {
    this.#note(`event for no watched stream: ${description}`);
    this.#unexpected++;
  }

  reconnected(): void {
    this.#reconnects++;
  }

  result(): Recording {
    const expectedTokens = this.#streams * this.#tokens;
    const spanMs = this.#lastReceiptMs - this.#firstAppendMs;
    return {
      expectedTokens,
      delivered: this.#count,
      ended: this.#ended,
      missing: expectedTokens - this.#count,
      duplicates: this.#duplicates,
      outOfOrder: this.#outOfOrder,
      unexpected: this.#unexpected,
      unfinishedStreams: this.#streams - this.#finishedCount,
      failedStreams: this.#failed,
      reconnects: this.#reconnects,
      latency: percentiles(this.#latencies, this.#count),
      throughput: this.#count > 0 && spanMs > 0 ? (this.#count * 1000) / spanMs : null,
      errors: [...this.#errors],
    };
  }

  #finish(stream: number): void {
    if (this.#finished[stream]) return;
    this.#finished[stream] = 1;
    if (++this.#finishedCount === this.#streams) this.#allFinished.resolve();
  }

  #note(message: string): void {
    if (this.#errors.length < keptErrors) this.#errors.push(message);
  }
}
