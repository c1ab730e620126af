import { createSpoolClient } from '@spool/client';
import { SpoolProvider, useChat } from '@spool/client/react';
import { createRoot } from 'react-dom/client';

const spool = createSpoolClient({ url: '/trpc' });

function Chat() {
  const { messages, send, status } = useChat();
  return (
    <main>
      <button type="button" onClick={() => send('hello')}>
        send ({status})
      </button>
      {messages.map((message) => (
        <p key={message.id}>{message.content}</p>
      ))}
    </main>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <SpoolProvider client={spool}>
      <Chat />
    </SpoolProvider>,
  );
}
