/** The run's output: a line per case as it ends, then one markdown table, the targets, and the notes. */
import type { CaseResult } from './case.ts';
import type { LoopStats } from './loop-monitor.ts';
import { floorOf, type Path, scenarioKey, scenarioLabel, transportOf } from './scenarios.ts';

const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => `${value.toFixed(0)}%`;
const us = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));
const kb = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));
const times = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(1)}x`);

/** The result of another path in the same scenario, if it ran. */
function sibling(result: CaseResult, all: CaseResult[], path: Path): CaseResult | undefined {
  return all.find((other) => other.path === path && other.scenario === result.scenario);
}

/** Server CPU (µs) per event it delivered, tokens and `done`s; undefined for the floor, which has no server. */
export function cpuUsPerEvent(result: CaseResult): number | undefined {
  const { server, recording } = result;
  const events = recording ? recording.delivered + recording.ended : 0;
  return server && events > 0 ? (server.cpuS * 1e6) / events : undefined;
}

/** p99 latency as a multiple of the floor's in the same scenario. */
export function p99VsFloor(result: CaseResult, all: CaseResult[]): number | undefined {
  const mine = result.recording?.latency?.p99;
  const floor = sibling(result, all, floorOf(result.path))?.recording?.latency?.p99;
  return mine === undefined || floor === undefined ? undefined : mine / floor;
}

/** One line as soon as a case ends, so a long run shows progress. */
export function caseLine(result: CaseResult): string {
  const rec = result.recording;
  const head = `[${scenarioLabel(result.scenario)} ${result.path}]`;
  if (result.failure) return `${head} FAILED: ${result.failure}`;
  const lat = rec?.latency;
  const server = result.server;
  const cpuPerEvent = cpuUsPerEvent(result);
  const parts = [
    `${int(rec?.delivered ?? 0)}/${int(rec?.expectedTokens ?? 0)} tokens`,
    `p50 ${ms(lat?.p50)} p99 ${ms(lat?.p99)} max ${ms(lat?.max)} ms`,
    `${int(rec?.throughput ?? 0)} tokens/s`,
    server
      ? `server ${server.cpuS.toFixed(2)} s CPU (${pct(server.cpuPct)}, ${server.systemS.toFixed(2)} s of it in the kernel)`
      : null,
    `server CPU per delivered event ${cpuPerEvent === undefined ? '—' : `${us(cpuPerEvent)} µs`}`,
    server ? `${kb(server.idleRssKbPerSubscription)} KB RSS per idle subscription` : null,
    result.generator ? `generator ${pct(result.generator.cpuPct)}` : null,
    result.clientCpuPct === null ? null : `client ${pct(result.clientCpuPct)}`,
    result.timedOut ? 'TIMED OUT' : null,
  ];
  return `${head} ${parts.filter((part) => part !== null).join(', ')}`;
}

interface Check {
  /** The target as stated, e.g. `p99 <= 2x floor's and <= 10 ms`. */
  target: string;
  pass: boolean;
  /** What was measured against it. */
  text: string;
}

/** The result against the targets its scenario states for its path; none for the floor and socket.io. */
function checks(result: CaseResult, all: CaseResult[]): Check[] {
  const targets = result.scenario.targets[result.path];
  if (!targets) return [];
  const found: Check[] = [];
  const rec = result.recording;
  if (targets.lossless) {
    const lost = rec ? rec.missing + rec.unfinishedStreams + rec.unexpected + rec.failedStreams : Number.NaN;
    const pass = !result.failure && !result.timedOut && lost === 0 && rec?.duplicates === 0;
    const text = `lost ${rec?.missing ?? '?'}, dup ${rec?.duplicates ?? '?'}, unended ${rec?.unfinishedStreams ?? '?'}`;
    found.push({ target: 'nothing lost', pass, text });
  }
  if (targets.p99VsFloor !== undefined || targets.p99Ms !== undefined) {
    const p99 = rec?.latency?.p99;
    const ratio = p99VsFloor(result, all);
    const bounds = [
      targets.p99VsFloor === undefined ? null : `<= ${targets.p99VsFloor}x floor's`,
      targets.p99Ms === undefined ? null : `<= ${targets.p99Ms} ms`,
    ].filter((bound) => bound !== null);
    const pass =
      p99 !== undefined &&
      (targets.p99Ms === undefined || p99 <= targets.p99Ms) &&
      (targets.p99VsFloor === undefined || (ratio !== undefined && ratio <= targets.p99VsFloor));
    const floorText = targets.p99VsFloor === undefined ? '' : `, ${ratio === undefined ? 'no floor' : times(ratio)}`;
    found.push({ target: `p99 ${bounds.join(' and ')}`, pass, text: `p99 ${ms(p99)} ms${floorText}` });
  }
  if (targets.cpuUsPerEvent !== undefined || targets.cpuBelowSocketIo) {
    const mine = cpuUsPerEvent(result);
    const socketIo = sibling(result, all, 'socketio');
    const theirs = socketIo ? cpuUsPerEvent(socketIo) : undefined;
    const bounds = [
      targets.cpuUsPerEvent === undefined ? null : `<= ${targets.cpuUsPerEvent} µs`,
      targets.cpuBelowSocketIo ? "below socket.io's" : null,
    ].filter((bound) => bound !== null);
    const pass =
      mine !== undefined &&
      (targets.cpuUsPerEvent === undefined || mine <= targets.cpuUsPerEvent) &&
      (!targets.cpuBelowSocketIo || (theirs !== undefined && mine < theirs));
    const socketIoText = targets.cpuBelowSocketIo
      ? `, socket.io ${theirs === undefined ? 'not run' : `${us(theirs)} µs`}`
      : '';
    found.push({
      target: `server CPU per delivered event ${bounds.join(' and ')}`,
      pass,
      text: `${us(mine)} µs${socketIoText}`,
    });
  }
  if (targets.throughputVsFloor !== undefined) {
    const mine = rec?.throughput;
    const theirs = sibling(result, all, floorOf(result.path))?.recording?.throughput;
    const target = `throughput >= ${pct(targets.throughputVsFloor * 100)} of the floor's`;
    if (mine == null || theirs == null) {
      found.push({ target, pass: false, text: 'no throughput to compare (floor not run or failed)' });
    } else {
      const ratio = mine / theirs;
      found.push({ target, pass: ratio >= targets.throughputVsFloor, text: `${pct(ratio * 100)} of the floor's` });
    }
  }
  if (targets.idleRssKb !== undefined) {
    const each = result.server?.idleRssKbPerSubscription;
    found.push({
      target: `RSS per idle subscription <= ${targets.idleRssKb} KB`,
      pass: each !== undefined && each <= targets.idleRssKb,
      text: `${kb(each)} KB`,
    });
  }
  return found;
}

/** All of a result's checks at once, for the table; null when its path has no target in its scenario. */
export function verdict(result: CaseResult, all: CaseResult[]): boolean | null {
  const found = checks(result, all);
  return found.length === 0 ? null : found.every((check) => check.pass);
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
    'p99 vs floor',
    'tokens/s',
    'server CPU s (% core)',
    'server CPU µs/event',
    'server RSS MB peak/end',
    'KB RSS per idle sub',
    'target',
  ];
  const rows = results.map((result) => {
    const rec = result.recording;
    const lat = rec?.latency ?? undefined;
    const server = result.server;
    const pass = verdict(result, results);
    const failed = result.failure ? 'FAILED' : result.timedOut ? 'TIMED OUT' : null;
    const baseline = transportOf(result.path) === 'floor' ? 'floor' : result.path === 'socketio' ? 'peer' : '—';
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
      transportOf(result.path) === 'floor' ? '—' : times(p99VsFloor(result, results)),
      rec?.throughput == null ? '—' : int(rec.throughput),
      server ? `${server.cpuS.toFixed(2)} (${pct(server.cpuPct)})` : '—',
      us(cpuUsPerEvent(result)),
      server ? `${server.peakRssMb.toFixed(0)}/${server.endRssMb.toFixed(0)}` : '—',
      kb(server?.idleRssKbPerSubscription),
      [failed, pass === null ? baseline : pass ? 'PASS' : 'FAIL'].filter((part) => part !== null).join(' '),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Per scenario, each path's targets one by one, with what was measured. */
export function targetsSection(results: CaseResult[], quick: boolean): string {
  const lines: string[] = [];
  for (const scenario of new Set(results.map((result) => result.scenario))) {
    const found = results
      .filter((result) => result.scenario === scenario)
      .flatMap((result) =>
        checks(result, results).map(
          (check) => `  - ${result.path}: ${check.target}: **${check.pass ? 'PASS' : 'FAIL'}** (${check.text})`,
        ),
      );
    if (found.length === 0) continue;
    const stand = scenario.quickFor && quick ? ` (quick stand-in for ${scenario.quickFor})` : '';
    lines.push(`- ${scenarioKey(scenario)}${stand}:`, ...found);
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
      result.server
        ? `per idle subscription ${kb(result.server.idleRssKbPerSubscription)} KB RSS, ` +
          `${kb(result.server.idleHeapKbPerSubscription)} KB heap`
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
