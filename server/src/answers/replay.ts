import type { StreamEvent } from '@spool/shared';
import type { ReplayData } from '../db/entities.ts';

/** An answer as the log carried it: its text, and what is needed to cut it back into the same events. */
export interface RecordedAnswer {
  content: string;
  replay: ReplayData;
}

/** Collects an answer's events as they are appended (or as they are read back from the log). */
export class AnswerRecorder {
  readonly #texts: string[] = [];
  readonly #replay: ReplayData = { tokenLengths: [], events: [] };

  /** Token events recorded so far. */
  get tokens(): number {
    return this.#texts.length;
  }

  /** The index the next event gets: events recorded so far. */
  get nextIndex(): number {
    return replayLength(this.#replay);
  }

  record(event: StreamEvent): void {
    if (event.index !== this.nextIndex) {
      throw new Error(`answer events out of order: expected index ${this.nextIndex}, got ${event.index}`);
    }
    if (event.type === 'token') {
      this.#texts.push(event.text);
      this.#replay.tokenLengths.push(event.text.length);
    } else {
      this.#replay.events.push(event);
    }
  }

  answer(): RecordedAnswer {
    return {
      content: this.#texts.join(''),
      replay: { tokenLengths: [...this.#replay.tokenLengths], events: [...this.#replay.events] },
    };
  }
}

/** Records a whole log. */
export function recordAll(events: readonly StreamEvent[]): RecordedAnswer {
  const recorder = new AnswerRecorder();
  for (const event of events) recorder.record(event);
  return recorder.answer();
}

/** Events in a saved answer. */
export function replayLength(replay: ReplayData): number {
  return replay.tokenLengths.length + replay.events.length;
}

/** The saved answer's events from `fromIndex` on: the same events, with the same indexes, as it streamed. */
export function* replayEvents(answer: RecordedAnswer, fromIndex: number): Generator<StreamEvent, void> {
  const { content, replay } = answer;
  const others = new Map(replay.events.map((event) => [event.index, event]));
  let offset = 0;
  let token = 0;
  for (let index = 0; index < replayLength(replay); index++) {
    const other = others.get(index);
    if (other) {
      if (index >= fromIndex) yield other;
      continue;
    }
    const length = replay.tokenLengths[token++] ?? 0;
    if (index >= fromIndex) yield { type: 'token', index, text: content.slice(offset, offset + length) };
    offset += length;
  }
}
