export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
}

/** Nearest-rank percentiles of the first `count` values; null when there are none. */
export function percentiles(values: Float64Array, count: number): Percentiles | null {
  if (count === 0) return null;
  const sorted = values.slice(0, count).sort();
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))] ?? Number.NaN;
  return { p50: rank(50), p90: rank(90), p99: rank(99), max: rank(100), min: sorted[0] ?? Number.NaN };
}
