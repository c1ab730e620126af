import { createSpoolClient, type Transport } from '@spool/client';
import { SpoolProvider } from '@spool/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles.css';

const tokenKey = 'spool-token';

// `?transport=ws|sse|auto` picks the transport. For a server with authentication, open the page
// as `/#token=<jwt>`: the token is kept for this tab and taken out of the address bar (a fragment
// never reaches the server, its logs or a Referer).
const transport = asTransport(new URLSearchParams(location.search).get('transport'));
const client = createSpoolClient({ url: new URL('/trpc', location.href).href, transport, token: takeToken() });

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

function takeToken(): string | undefined {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment) {
    sessionStorage.setItem(tokenKey, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(tokenKey) ?? undefined;
}
