import type { SendMessageOutput } from '@spool/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type SpoolError, toSpoolError } from '../errors.ts';
import { useSpoolClient } from './provider.ts';
import { readStored, writeStored } from './session-storage.ts';
import { forgetProgress } from './stream-progress.ts';
import { type SpoolStreamStatus, useSpoolStream } from './use-spool-stream.ts';

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  /** 'streaming' for the answer being written; 'failed' for one that ended in an error. */
  status: 'complete' | 'streaming' | 'failed';
  /** Why a failed answer failed. */
  error?: { code: string; message: string };
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
  /** The last failure: a message refused, an answer failed, or watching it stopped (`disconnected`). */
  error: SpoolError | undefined;
  /** The answer being written, if any: its stream and the last index read. */
  streamId: string | undefined;
  lastIndex: number;
  /** Sends a message; a refusal shows in `error`. Throws if an answer is still being written. */
  send(content: string): Promise<void>;
  /** Stops the answer being written (it ends as cancelled, with its partial text). */
  cancel(): Promise<void>;
  /** After `disconnected`: watch the answer being written again. */
  reconnect(): void;
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
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<SpoolError>();
  // Set at once, so that a second send() in the same tick sees the first.
  const busy = useRef(transcript.pending !== undefined);
  const answer = useSpoolStream(transcript.pending?.streamId);
  const { pending } = transcript;

  useEffect(() => {
    if (storageKey) writeStored(storageKey, transcript);
  }, [storageKey, transcript]);

  // The answer has ended: it joins the transcript.
  const ended = pending !== undefined && (answer.status === 'done' || answer.status === 'error');
  useEffect(() => {
    if (!ended || !pending) return;
    const failed = answer.status === 'error';
    setTranscript((previous) => {
      if (previous.pending?.streamId !== pending.streamId) return previous;
      const reply: ChatMessage = {
        id: pending.assistantMessageId,
        role: 'assistant',
        content: answer.text,
        status: failed ? 'failed' : 'complete',
        ...(failed && answer.error ? { error: { code: answer.error.code, message: answer.error.message } } : {}),
      };
      return { ...previous, pending: undefined, messages: [...previous.messages, reply] };
    });
    setFailure(failed ? answer.error : undefined);
    forgetProgress(pending.streamId);
    busy.current = false;
  }, [ended, pending, answer.text, answer.status, answer.error]);

  const send = useCallback(
    async (content: string) => {
      if (busy.current) throw new Error('useChat: wait for the answer being written to end');
      busy.current = true;
      setSending(true);
      setFailure(undefined);
      try {
        const sent = await client.sendMessage({ content, conversationId: transcript.conversationId });
        setTranscript((previous) => ({
          conversationId: sent.conversationId,
          pending: sent,
          messages: [...previous.messages, { id: sent.userMessageId, role: 'user', content, status: 'complete' }],
        }));
      } catch (error) {
        busy.current = false;
        setFailure(toSpoolError(error));
      } finally {
        setSending(false);
      }
    },
    [client, transcript.conversationId],
  );

  const cancel = useCallback(async () => {
    if (!pending) return;
    try {
      await client.cancel(pending.streamId);
    } catch (error) {
      setFailure(toSpoolError(error));
    }
  }, [client, pending]);

  const writing: ChatMessage[] =
    pending && !ended
      ? [{ id: pending.assistantMessageId, role: 'assistant', content: answer.text, status: 'streaming' }]
      : [];
  return {
    messages: [...transcript.messages, ...writing],
    conversationId: transcript.conversationId,
    status: sending ? 'sending' : answer.status,
    error: failure ?? (answer.status === 'disconnected' ? answer.error : undefined),
    streamId: pending?.streamId,
    lastIndex: answer.lastIndex,
    send,
    cancel,
    reconnect: answer.reconnect,
  };
}

function loadTranscript(storageKey: string | undefined): Transcript | undefined {
  const saved = storageKey ? (readStored(storageKey) as Partial<Transcript> | undefined) : undefined;
  return saved && Array.isArray(saved.messages)
    ? { conversationId: saved.conversationId, messages: saved.messages, pending: saved.pending }
    : undefined;
}
