/** Hard limits of the contract, shared by server validation and client-side checks. */
export const limits = {
  /** Characters in one user message. */
  maxContentChars: 32_000,
  /** Characters in a caller-chosen id such as `clientMessageId`. */
  maxClientIdChars: 128,
  /** Characters in a model name. */
  maxModelChars: 128,
  /** Characters in one `log` or `error` message. */
  maxMessageChars: 4_000,
  /** Items in one page of `listConversations` or `listMessages`. */
  maxPageSize: 100,
  defaultPageSize: 20,
  /** Characters of the first message kept as a new conversation's title. */
  maxTitleChars: 80,
} as const;
