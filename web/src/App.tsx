import type { ActiveTransport, Transport } from '@spool/client';
import { useChat, useSpoolClient } from '@spool/client/react';
import { type FormEvent, useEffect, useRef, useState } from 'react';

const storageKey = 'spool-chat';
const transportNames: Record<ActiveTransport, string> = { ws: 'WebSocket', sse: 'Server-Sent Events' };
const speakers = { user: 'You', assistant: 'Spool' } as const;

/** A chat with Spool: answers stream in, the transport in use shows, and a button drops the connection to show the resume. */
export function App(props: { transport: Transport }) {
  const client = useSpoolClient();
  const chat = useChat({ storageKey });
  const [draft, setDraft] = useState('');
  const [inUse, setInUse] = useState<ActiveTransport>();
  const [drops, setDrops] = useState(0);
  const [resumedAt, setResumedAt] = useState<number>();
  const input = useRef<HTMLInputElement>(null);
  const reconnectedFrom = useRef<number>(undefined);
  const writing = chat.streamId !== undefined;

  useEffect(() => {
    void client.activeTransport().then(setInUse);
  }, [client]);

  // "Resumed" once an event arrives after a reconnect, with the index it resumed at.
  useEffect(() => {
    if (chat.status === 'reconnecting') reconnectedFrom.current ??= chat.lastIndex;
    else if (reconnectedFrom.current !== undefined && chat.lastIndex > reconnectedFrom.current) {
      setResumedAt(reconnectedFrom.current + 1);
      reconnectedFrom.current = undefined;
    }
  }, [chat.status, chat.lastIndex]);

  const send = (event: FormEvent) => {
    event.preventDefault();
    const content = draft.trim();
    if (!content || writing) return;
    setDraft('');
    setResumedAt(undefined);
    // The form refuses to send while an answer is written, so send() has no reason to throw.
    chat.send(content).catch((error: unknown) => console.error(error));
    input.current?.focus();
  };
  const drop = () => {
    client.dropConnection();
    setDrops((count) => count + 1);
  };
  const startOver = () => {
    sessionStorage.removeItem(storageKey);
    location.reload();
  };

  return (
    <main>
      <header>
        <h1>Spool</h1>
        <nav aria-label="transport">
          {(['auto', 'ws', 'sse'] as const).map((choice) => (
            <a
              key={choice}
              href={`?transport=${choice}`}
              aria-current={choice === props.transport ? 'page' : undefined}
            >
              {choice}
            </a>
          ))}
        </nav>
        <p aria-live="polite">
          over <strong data-testid="transport">{inUse ? transportNames[inUse] : '…'}</strong> ·{' '}
          <span data-testid="status">{chat.status === 'idle' ? 'ready' : chat.status}</span>
          {writing && <span> · event {chat.lastIndex}</span>}
          {drops > 0 && <span> · dropped {drops}×</span>}
          {resumedAt !== undefined && <span data-testid="resumed"> · resumed at event {resumedAt}</span>}
        </p>
      </header>

      <ol className="messages">
        {chat.messages.map((message) => (
          <li
            key={message.id}
            className={`${message.role} ${message.status}`}
            aria-busy={message.status === 'streaming'}
            data-status={message.status}
          >
            <span className="visually-hidden">{speakers[message.role]}: </span>
            <span data-testid={`message-${message.role}`}>{message.content}</span>
            {message.error && (
              <small>
                {' '}
                ({message.error.code}: {message.error.message})
              </small>
            )}
          </li>
        ))}
      </ol>
      {chat.error && (
        <p role="alert">
          {chat.error.code}: {chat.error.message}
        </p>
      )}

      <form onSubmit={send}>
        <input
          ref={input}
          aria-label="message"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder={writing ? 'Spool is answering…' : 'Ask something'}
        />
        <button type="submit" disabled={writing || chat.status === 'sending'}>
          Send
        </button>
        <button type="button" onClick={drop} disabled={!writing}>
          Drop connection
        </button>
        <button type="button" onClick={() => void chat.cancel()} disabled={!writing}>
          Stop
        </button>
        {chat.status === 'disconnected' && (
          <button type="button" onClick={chat.reconnect}>
            Reconnect
          </button>
        )}
        <button type="button" onClick={startOver}>
          New chat
        </button>
      </form>
    </main>
  );
}
