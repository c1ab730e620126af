import { createSpoolClient, type Transport } from '@spool/client';
import { SpoolProvider } from '@spool/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles.css';

// `?transport=ws|sse|auto` picks the transport; `?token=…` is for a server with authentication.
const params = new URLSearchParams(location.search);
const transport = asTransport(params.get('transport'));
const client = createSpoolClient({
  url: new URL('/trpc', location.href).href,
  transport,
  token: params.get('token') ?? undefined,
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <SpoolProvider client={client}>
      <App transport={transport} />
    </SpoolProvider>
  </StrictMode>,
);

function asTransport(value: string | null): Transport {
  return value === 'ws' || value === 'sse' ? value : 'auto';
}
