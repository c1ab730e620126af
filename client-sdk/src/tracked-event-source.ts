/**
 * An EventSource class that remembers its open instances, so that `failAll` can fail them as a
 * network failure that the EventSource gives up on would: closed, then an `error` event.
 */
export function trackEventSources(Base: typeof EventSource) {
  const open = new Set<EventSource>();
  class TrackedEventSource extends Base {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      open.add(this);
    }
    override close(): void {
      open.delete(this);
      super.close();
    }
  }
  return {
    EventSource: TrackedEventSource as typeof EventSource,
    failAll() {
      for (const source of [...open]) {
        source.close();
        source.dispatchEvent(new Event('error'));
      }
    },
  };
}
