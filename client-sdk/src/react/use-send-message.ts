import type { SendMessageInput, SendMessageOutput } from '@spool/shared';
import { useCallback, useState } from 'react';
import { type SpoolError, toSpoolError } from '../errors.ts';
import { useSpoolClient } from './provider.ts';

export interface SendMessageState {
  /** Sends a message; resolves with its ids once the server has accepted it (the answer streams on). */
  send(input: SendMessageInput): Promise<SendMessageOutput>;
  status: 'idle' | 'sending' | 'sent' | 'error';
  /** The ids of the last message sent. */
  data: SendMessageOutput | undefined;
  error: SpoolError | undefined;
}

/** `sendMessage` with its state, for a form's button. */
export function useSendMessage(): SendMessageState {
  const client = useSpoolClient();
  const [state, setState] = useState<Omit<SendMessageState, 'send'>>({
    status: 'idle',
    data: undefined,
    error: undefined,
  });
  const send = useCallback(
    async (input: SendMessageInput) => {
      setState((previous) => ({ ...previous, status: 'sending', error: undefined }));
      try {
        const data = await client.sendMessage(input);
        setState({ status: 'sent', data, error: undefined });
        return data;
      } catch (error) {
        setState((previous) => ({ ...previous, status: 'error', error: toSpoolError(error) }));
        throw error;
      }
    },
    [client],
  );
  return { ...state, send };
}
