import { commitFinalAnswers, type FinalAnswer } from './answers.ts';
import { type AnswerPathDatabase, commitExchanges, type Exchange } from './exchanges.ts';
import { GroupCommit } from './group-commit.ts';

/** Exchanges or final answers in one statement at most: the arrays stay well inside a message's size. */
const maxBatch = 500;

/**
 * The two writes every answer makes, each group-committed on the answer path's connections (half of
 * them each): the exchange as `sendMessage` starts it, the final answer as it ends.
 */
export class AnswerWrites {
  readonly #exchanges: GroupCommit<Exchange, undefined>;
  readonly #finals: GroupCommit<FinalAnswer, boolean>;

  constructor(db: AnswerPathDatabase) {
    const maxInFlight = Math.max(1, Math.floor(db.statements.size / 2));
    this.#exchanges = new GroupCommit({ maxInFlight, maxBatch, commit: (batch) => commitExchanges(db, batch) });
    this.#finals = new GroupCommit({
      maxInFlight,
      maxBatch,
      commit: (batch) => commitFinalAnswers(db.statements, batch),
    });
  }

  /**
   * Saves the user message and the answer's `streaming` placeholder, creating the conversation or
   * checking that the caller owns it (`ConversationNotFoundError`); `DuplicateClientMessageError`
   * if the caller's `clientMessageId` is saved already.
   */
  saveExchange(exchange: Exchange): Promise<void> {
    return this.#exchanges.write(exchange);
  }

  /** Writes the final answer over its placeholder. False: it was final already (someone else saved it). */
  saveFinalAnswer(answer: FinalAnswer): Promise<boolean> {
    return this.#finals.write(answer);
  }
}
