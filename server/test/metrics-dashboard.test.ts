import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SpoolMetrics } from '../src/metrics/spool-metrics.ts';

const dashboard = readFileSync(new URL('../../ops/grafana-dashboard.json', import.meta.url), 'utf8');

describe('the Grafana dashboard', () => {
  it('asks only for metrics that Spool exports', async () => {
    const metrics = new SpoolMetrics({
      activeAnswers: () => 0,
      startQueueDepth: () => 0,
      workQueueDepth: async () => 0,
    });
    const exported = new Set(
      (await metrics.registry.getMetricsAsJSON()).flatMap(({ name, type }) =>
        String(type) === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
      ),
    );
    const asked = new Set(JSON.stringify(JSON.parse(dashboard)).match(/\b(spool|nodejs|process)_[a-z0-9_]+/g));
    expect(asked.size).toBeGreaterThan(10);
    expect([...asked].filter((name) => !exported.has(name))).toEqual([]);
  });
});
