import type { ActiveTransport, Transport } from '@spool/client';
import { useChat, useSpoolClient } from '@spool/client/react';
import { type FormEvent, useEffect, useState } from 'react';

const storageKey = 'spool-chat';
const transportNames: Record<ActiveTransport, string> = { ws: 'WebSocket', sse: 'Server-Sent Events' };

/** A chat with Spool: answers stream in, the transport in use shows, and a button drops the connection to show the resume. */
export function App(props: { transport: Transport }) {
  const client = useSpoolClient();
  const chat = useChat({ storageKey });
  const [draft, setDraft] = useState('');
  const [inUse, setInUse] = useState<ActiveTransport>();
  const [drops, setDrops] = useState(0);
  const writing = chat.streamId !== undefined;

  useEffect(() => {
    void client.activeTransport().then(setInUse);
  }, [client]);

  const send = (event: FormEvent) => {
    event.preventDefault();
    const content = draft.trim();
    if (!content) return;
    setDraft('');
    // The button is disabled while an answer is written, so send() has no reason to throw.
    chat.send(content).catch((error: unknown) => console.error(error));
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
        <p>
          over <strong data-testid="transport">{inUse ? transportNames[inUse] : '…'}</strong> ·{' '}
          <span data-testid="status">{chat.status === 'idle' ? 'ready' : chat.status}</span>
          {writing && <span> · event {chat.lastIndex}</span>}
          {drops > 0 && <span data-testid="drops"> · dropped {drops}×, resumed where it stopped</span>}
        </p>
      </header>

      <ol className="messages">
        {chat.messages.map((message) => (
          <li
            key={message.id}
            className={`${message.role} ${message.status}`}
            data-testid={`message-${message.role}`}
            data-status={message.status}
          >
            {message.content}
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
          aria-label="message"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="Ask something"
          disabled={writing}
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
