import type { SendMessageOutput } from '@spool/shared';
import { useCallback, useEffect, useState } from 'react';
import { type SpoolError, toSpoolError } from '../errors.ts';
import { useSpoolClient } from './provider.ts';
import { type SpoolStreamStatus, useSpoolStream } from './use-spool-stream.ts';

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  /** 'streaming' for the answer being written; 'failed' for one that ended in an error. */
  status: 'complete' | 'streaming' | 'failed';
}

export interface UseChatOptions {
  /** Go on with an existing conversation. */
  conversationId?: string;
  /** Keep the transcript in `sessionStorage` under this key: a reload shows it and resumes the answer being written. */
  storageKey?: string;
}

export interface ChatState {
  messages: ChatMessage[];
  conversationId: string | undefined;
  /** 'sending' until the server accepts the message, then the answer's stream status. */
  status: 'sending' | SpoolStreamStatus;
  error: SpoolError | undefined;
  /** The answer being written, if any: its stream and the last index read. */
  streamId: string | undefined;
  lastIndex: number;
  /** Sends a message; refused while an answer is still being written. */
  send(content: string): Promise<void>;
  /** Stops the answer being written (it ends as cancelled, with its partial text). */
  cancel(): Promise<void>;
}

interface Transcript {
  conversationId: string | undefined;
  messages: ChatMessage[];
  /** The answer being written. */
  pending: SendMessageOutput | undefined;
}

/** A whole chat: the transcript, the answer streaming into it, send and cancel. */
export function useChat(options: UseChatOptions = {}): ChatState {
  const client = useSpoolClient();
  const { storageKey } = options;
  const [transcript, setTranscript] = useState<Transcript>(
    () => loadTranscript(storageKey) ?? { conversationId: options.conversationId, messages: [], pending: undefined },
  );
  const [sending, setSending] = useState<{ error: SpoolError | undefined; busy: boolean }>({
    busy: false,
    error: undefined,
  });
  const answer = useSpoolStream(transcript.pending?.streamId);

  useEffect(() => {
    if (storageKey) sessionStorage.setItem(storageKey, JSON.stringify(transcript));
  }, [storageKey, transcript]);

  // The answer has ended: it joins the transcript.
  const { pending } = transcript;
  const ended = pending && (answer.status === 'done' || answer.status === 'error');
  useEffect(() => {
    if (!ended || !pending) return;
    setTranscript((previous) => ({
      ...previous,
      pending: undefined,
      messages: [
        ...previous.messages,
        {
          id: pending.assistantMessageId,
          role: 'assistant',
          content: answer.text,
          status: answer.status === 'done' ? 'complete' : 'failed',
        },
      ],
    }));
  }, [ended, pending, answer.text, answer.status]);

  const send = useCallback(
    async (content: string) => {
      if (transcript.pending || sending.busy) throw new Error('useChat: wait for the answer being written to end');
      setSending({ busy: true, error: undefined });
      try {
        const sent = await client.sendMessage({ content, conversationId: transcript.conversationId });
        setTranscript((previous) => ({
          conversationId: sent.conversationId,
          pending: sent,
          messages: [...previous.messages, { id: sent.userMessageId, role: 'user', content, status: 'complete' }],
        }));
        setSending({ busy: false, error: undefined });
      } catch (error) {
        setSending({ busy: false, error: toSpoolError(error) });
      }
    },
    [client, transcript, sending.busy],
  );

  const cancel = useCallback(async () => {
    if (pending) await client.cancel(pending.streamId);
  }, [client, pending]);

  const writing: ChatMessage[] =
    pending && !ended
      ? [{ id: pending.assistantMessageId, role: 'assistant', content: answer.text, status: 'streaming' }]
      : [];
  return {
    messages: [...transcript.messages, ...writing],
    conversationId: transcript.conversationId,
    status: sending.busy ? 'sending' : answer.status,
    error: sending.error ?? answer.error,
    streamId: pending?.streamId,
    lastIndex: answer.lastIndex,
    send,
    cancel,
  };
}

function loadTranscript(storageKey: string | undefined): Transcript | undefined {
  const saved = storageKey ? globalThis.sessionStorage?.getItem(storageKey) : null;
  if (!saved) return undefined;
  try {
    return JSON.parse(saved) as Transcript;
  } catch {
    return undefined; // damaged: start a new transcript
  }
}
