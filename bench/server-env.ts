/** Every benchmark request comes from the one development user: lift the per-user limits off it. */
export const unlimitedUser: Record<string, string> = {
  SPOOL_MAX_STREAMS_PER_USER: '100000',
  SPOOL_REQUESTS_PER_MINUTE: '1000000',
  SPOOL_MAX_CONNECTIONS_PER_USER: '1000000',
  SPOOL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '100000',
};
