/** The run's output: a line per case as it ends, then one markdown table, the targets, and the notes. */
import type { CaseResult } from './case.ts';
import type { LoopStats } from './loop-monitor.ts';
import { scenarioKey, scenarioLabel } from './scenarios.ts';

const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => `${value.toFixed(0)}%`;

/** One line as soon as a case ends, so a long run shows progress. */
export function caseLine(result: CaseResult): string {
  const rec = result.recording;
  const head = `[${scenarioLabel(result.scenario)} ${result.path}]`;
  if (result.failure) return `${head} FAILED: ${result.failure}`;
  const lat = rec?.latency;
  const parts = [
    `${int(rec?.delivered ?? 0)}/${int(rec?.expectedTokens ?? 0)} tokens`,
    `p50 ${ms(lat?.p50)} p99 ${ms(lat?.p99)} max ${ms(lat?.max)} ms`,
    `${int(rec?.throughput ?? 0)} tokens/s`,
    result.server ? `server ${result.server.cpuS.toFixed(2)} s CPU (${pct(result.server.cpuPct)})` : null,
    result.generator ? `generator ${pct(result.generator.cpuPct)}` : null,
    result.clientCpuPct === null ? null : `client ${pct(result.clientCpuPct)}`,
    result.timedOut ? 'TIMED OUT' : null,
  ];
  return `${head} ${parts.filter((part) => part !== null).join(', ')}`;
}

interface Verdict {
  pass: boolean;
  text: string;
}

/** The result against its scenario's targets; null for the floor and for scenarios without targets. */
export function verdict(result: CaseResult, all: CaseResult[]): Verdict | null {
  const { targets } = result.scenario;
  if (result.path === 'floor') return null;
  const checks: Verdict[] = [];
  const rec = result.recording;
  if (targets.lossless) {
    const lost = rec ? rec.missing + rec.unfinishedStreams + rec.unexpected + rec.failedStreams : Number.NaN;
    const pass = !result.failure && !result.timedOut && lost === 0 && rec?.duplicates === 0;
    checks.push({ pass, text: `lost ${rec?.missing ?? '?'}, dup ${rec?.duplicates ?? '?'}` });
  }
  if (targets.p99Ms !== undefined) {
    const p99 = rec?.latency?.p99;
    checks.push({
      pass: p99 !== undefined && p99 <= targets.p99Ms,
      text: `p99 ${ms(p99)} ms vs <= ${targets.p99Ms}`,
    });
  }
  if (targets.throughputVsFloor !== undefined) {
    const floor = all.find((other) => other.path === 'floor' && other.scenario === result.scenario);
    const mine = rec?.throughput;
    const theirs = floor?.recording?.throughput;
    if (mine == null || theirs == null) {
      checks.push({ pass: false, text: 'no throughput to compare (floor not run or failed)' });
    } else {
      const ratio = mine / theirs;
      checks.push({
        pass: ratio >= targets.throughputVsFloor,
        text: `${pct(ratio * 100)} of floor vs >= ${pct(targets.throughputVsFloor * 100)}`,
      });
    }
  }
  if (checks.length === 0) return null;
  return { pass: checks.every((check) => check.pass), text: checks.map((check) => check.text).join('; ') };
}

export function table(results: CaseResult[]): string {
  const header = [
    'scenario',
    'path',
    'conns',
    'delivered',
    'missing',
    'dup',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'tokens/s',
    'server CPU s (% core)',
    'server RSS MB peak/end',
    'target',
  ];
  const rows = results.map((result) => {
    const rec = result.recording;
    const lat = rec?.latency ?? undefined;
    const server = result.server;
    const check = verdict(result, results);
    const failed = result.failure ? 'FAILED' : result.timedOut ? 'TIMED OUT' : null;
    return [
      scenarioLabel(result.scenario),
      result.path,
      result.connections === null ? '—' : int(result.connections),
      rec ? `${int(rec.delivered)}/${int(rec.expectedTokens)}` : '—',
      rec ? int(rec.missing) : '—',
      rec ? int(rec.duplicates) : '—',
      ms(lat?.p50),
      ms(lat?.p90),
      ms(lat?.p99),
      ms(lat?.max),
      rec?.throughput == null ? '—' : int(rec.throughput),
      server ? `${server.cpuS.toFixed(2)} (${pct(server.cpuPct)})` : '—',
      server ? `${server.peakRssMb.toFixed(0)}/${server.endRssMb.toFixed(0)}` : '—',
      [failed, check ? (check.pass ? 'PASS' : 'FAIL') : result.path === 'floor' ? 'floor' : '—']
        .filter((part) => part !== null)
        .join(' '),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function targetsSection(results: CaseResult[], quick: boolean): string {
  const lines: string[] = [];
  for (const result of results) {
    const check = verdict(result, results);
    if (!check) continue;
    const { scenario } = result;
    const stated = [
      scenario.targets.lossless ? 'nothing lost' : null,
      scenario.targets.p99Ms !== undefined ? `p99 <= ${scenario.targets.p99Ms} ms` : null,
      scenario.targets.throughputVsFloor !== undefined
        ? `throughput >= ${pct(scenario.targets.throughputVsFloor * 100)} of the floor's`
        : null,
    ].filter((part) => part !== null);
    const stand = scenario.quickFor && quick ? ` (quick stand-in for ${scenario.quickFor})` : '';
    lines.push(
      `- ${scenarioKey(scenario)} ${result.path}${stand}: ${stated.join(' and ')}: ` +
        `**${check.pass ? 'PASS' : 'FAIL'}** (${check.text})`,
    );
  }
  return lines.length > 0 ? lines.join('\n') : '- no scenario with a target was run';
}

function loopText(loop: LoopStats): string {
  return (
    `loop delay p99 ${ms(loop.delayP99Ms)} max ${ms(loop.delayMaxMs)} ms, ` +
    `GC ${loop.gcCount}x total ${ms(loop.gcTotalMs)} max ${ms(loop.gcMaxMs)} ms`
  );
}

/** Everything a reader should know that the table does not show: failures, anomalies, who was busy. */
export function notes(results: CaseResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const rec = result.recording;
    const head = `${scenarioKey(result.scenario)} ${result.path}`;
    const facts = [
      result.failure ? `FAILED: ${result.failure}` : null,
      result.timedOut ? 'timed out before every stream ended' : null,
      rec && rec.unfinishedStreams > 0 ? `${rec.unfinishedStreams} streams never ended` : null,
      rec && rec.outOfOrder > 0 ? `${rec.outOfOrder} events out of order` : null,
      rec && rec.unexpected > 0 ? `${rec.unexpected} unexpected events` : null,
      rec && rec.reconnects > 0 ? `${rec.reconnects} reconnects` : null,
      result.generator && result.generator.failed > 0
        ? `${result.generator.failed} appends failed (${result.generator.firstError})`
        : null,
      ...(rec?.errors ?? []),
      ...result.warnings,
    ].filter((fact) => fact !== null);
    const context = [
      result.windowS === null ? null : `window ${result.windowS.toFixed(1)} s`,
      result.server
        ? `server RSS ${result.server.startRssMb.toFixed(0)} MB and heap ${result.server.startHeapMb.toFixed(0)} MB ` +
          `at the start, heap ${result.server.endHeapMb.toFixed(0)} MB at the end ` +
          `(${result.server.retainedHeapMb.toFixed(0)} MB after a full GC)`
        : null,
      result.server ? `server ${loopText(result.server.loop)}` : null,
      result.clientLoop ? `client ${loopText(result.clientLoop)}` : null,
      result.generator
        ? `generator sent ${int(result.generator.sent)} events in ${(result.generator.durationMs / 1000).toFixed(1)} s ` +
          `(${int((result.generator.sent * 1000) / result.generator.durationMs)}/s), CPU ${pct(result.generator.cpuPct)}`
        : null,
      result.redisCpuPct === null ? null : `Redis CPU ${pct(result.redisCpuPct)} (whole shared instance)`,
      result.clientCpuPct === null ? null : `client CPU ${pct(result.clientCpuPct)}`,
      result.generator?.lagP99Ms == null
        ? null
        : `schedule lag p99 ${ms(result.generator.lagP99Ms)} ms (max ${ms(result.generator.lagMaxMs ?? undefined)})`,
      result.clock ? `clock offset ${ms(result.clock.offsetMs)} ± ${ms(result.clock.rttMs / 2)} ms` : null,
      rec?.latency ? `min latency ${ms(rec.latency.min)} ms` : null,
    ].filter((fact) => fact !== null);
    lines.push(`- ${head}: ${[...facts, ...context].join('; ')}`);
  }
  return lines.join('\n');
}
