import { createContext, createElement, type ReactNode, useContext } from 'react';
import type { SpoolClient } from '../client.ts';

const SpoolContext = createContext<SpoolClient | undefined>(undefined);

/** Makes one `SpoolClient` available to the hooks below it. */
export function SpoolProvider(props: { client: SpoolClient; children?: ReactNode }) {
  return createElement(SpoolContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest `SpoolProvider`. */
export function useSpoolClient(): SpoolClient {
  const client = useContext(SpoolContext);
  if (!client) throw new Error('useSpoolClient: wrap the component in <SpoolProvider client={createSpoolClient(...)}>');
  return client;
}
