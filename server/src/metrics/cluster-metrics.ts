import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** Set by the primary of `SPOOL_PROCESSES` in the processes it forks: their `/metrics` is the sum over all of them. */
export const clusterWorkerMark = 'SPOOL_CLUSTER_WORKER';

type MetricsRequest = { type: 'spool:metrics'; id: number };
type MetricsReply = { type: 'spool:metrics'; id: number; text?: string; error?: string };

/** How long a process waits for the primary's sum before `/metrics` fails. */
const replyTimeoutMs = 5_000;

/**
 * The primary's side: a process asking for the metrics gets the sum over every process (prom-client's
 * `AggregatorRegistry`: counters and histograms added, Node's process metrics each by its own rule).
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsRequest) => {
    if (message?.type !== 'spool:metrics') return;
    // A process that died meanwhile hears nothing (a send on its closed channel would throw here).
    const reply = (answer: MetricsReply) => {
      if (worker.isConnected()) worker.send(answer, undefined, () => 'a failed send leaves the asker to its timeout');
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ type: 'spool:metrics', id: message.id, text }),
      (error: unknown) => reply({ type: 'spool:metrics', id: message.id, error: String(error) }),
    );
  });
}

/**
 * A process of `SPOOL_PROCESSES`: answers the primary's collection with `registry`, and gets
 * `/metrics` from the primary, so that whichever process a scrape reaches, it reads the whole instance.
 */
export function clusterMetricsText(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one is what makes prom-client answer the primary's requests in this process.
  new AggregatorRegistry();
  let nextId = 0;
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        process.off('message', onReply);
        reject(new Error(`the primary process did not sum the metrics within ${replyTimeoutMs} ms`));
      }, replyTimeoutMs);
      const onReply = (message: MetricsReply) => {
        if (message?.type !== 'spool:metrics' || message.id !== id) return;
        clearTimeout(timer);
        process.off('message', onReply);
        if (message.text !== undefined) resolve(message.text);
        else reject(new Error(message.error ?? 'the primary process could not sum the metrics'));
      };
      process.on('message', onReply);
      process.send?.({ type: 'spool:metrics', id } satisfies MetricsRequest);
    });
}
