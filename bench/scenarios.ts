import { parseArgs } from 'node:util';

export type Path = 'floor' | 'ws' | 'sdk' | 'sse';
export const allPaths: readonly Path[] = ['floor', 'ws', 'sdk', 'sse'];

/** The targets, attached to the scenario they are stated for. */
export interface Targets {
  /** No token missing or duplicated, every stream ended. */
  lossless?: boolean;
  p99Ms?: number;
  /** Delivered tokens/s at least this fraction of the floor's in the same scenario. */
  throughputVsFloor?: number;
}

export interface Scenario {
  streams: number;
  tokens: number;
  /** Tokens per second per stream; 0: unbounded. */
  rate: number;
  targets: Targets;
  /** A smaller stand-in for a full scenario (`--quick`), carrying its targets. */
  quickFor?: string;
}

export const defaultScenarios: readonly Scenario[] = [
  { streams: 100, tokens: 200, rate: 20, targets: {} },
  { streams: 1000, tokens: 100, rate: 10, targets: { lossless: true, p99Ms: 3 } },
  { streams: 100, tokens: 2000, rate: 0, targets: { throughputVsFloor: 0.6 } },
];

export const quickScenarios: readonly Scenario[] = [
  { streams: 20, tokens: 20, rate: 20, targets: {}, quickFor: '100x200@20' },
  { streams: 200, tokens: 10, rate: 10, targets: { lossless: true, p99Ms: 3 }, quickFor: '1000x100@10' },
  { streams: 20, tokens: 200, rate: 0, targets: { throughputVsFloor: 0.6 }, quickFor: '100x2000@0' },
];

/** `1000x100@10`: the form `--only` takes. */
export function scenarioKey(scenario: Scenario): string {
  return `${scenario.streams}x${scenario.tokens}@${scenario.rate}`;
}

export function scenarioLabel(scenario: Scenario): string {
  const rate = scenario.rate === 0 ? 'unbounded' : `@${scenario.rate}/s`;
  return `${scenario.streams}x${scenario.tokens} ${rate}`;
}

export interface Options {
  scenarios: Scenario[];
  paths: Path[];
  /** Streams sharing one WebSocket. */
  streamsPerWs: number;
  /** Extra Node flags for the server process only, e.g. `--cpu-prof` to see where its time goes. */
  serverNodeArgs: string[];
  quick: boolean;
  /** Time to first token: beside the scenarios (a full run), alone (`--ttft`), or not (`--only`). */
  ttft: 'with' | 'only' | 'skip';
}

export const usage = `usage: node bench/run.ts [--quick] [--only SxT@R[,SxT@R...] | --ttft] [--paths floor,ws,sdk,sse] [--streams-per-ws N]
  --quick           small scenarios, for development
  --only            scenarios to run, e.g. 1000x100@10 (R=0: unbounded); any S, T, R is accepted; no TTFT
  --ttft            only time to first token (embedded, and Redis + PostgreSQL)
  --paths           which of floor, ws, sdk (@spool/client over WS), sse to run (default: all)
  --streams-per-ws  streams sharing one WebSocket connection (default 1: one per stream)
  --server-node-args=FLAGS  extra Node flags for the server process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"`;

export class UsageError extends Error {}

export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      paths: { type: 'string' },
      'streams-per-ws': { type: 'string' },
      'server-node-args': { type: 'string', default: '' },
      ttft: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const known = values.quick ? quickScenarios : defaultScenarios;
  const scenarios = values.only
    ? values.only.flatMap((list) => list.split(',')).map((spec) => parseScenario(spec.trim(), known))
    : [...known];
  const paths = values.paths ? values.paths.split(',').map((path) => parsePath(path.trim())) : [...allPaths];
  const streamsPerWs =
    values['streams-per-ws'] === undefined ? 1 : positive(values['streams-per-ws'], '--streams-per-ws');
  const serverNodeArgs = values['server-node-args'].split(' ').filter((arg) => arg !== '');
  if (values.ttft && values.only) throw new UsageError('--ttft and --only exclude each other');
  const ttft = values.ttft ? 'only' : values.only ? 'skip' : 'with';
  return {
    scenarios: ttft === 'only' ? [] : scenarios,
    paths,
    streamsPerWs,
    serverNodeArgs,
    quick: values.quick,
    ttft,
  };
}

function parseScenario(spec: string, known: readonly Scenario[]): Scenario {
  const match = /^(\d+)x(\d+)@(\d+)$/.exec(spec);
  if (!match) throw new UsageError(`--only: "${spec}" is not SxT@R, e.g. 1000x100@10`);
  const [, streams = '', tokens = '', rate = ''] = match;
  const scenario: Scenario = {
    streams: positive(streams, '--only streams'),
    tokens: positive(tokens, '--only tokens'),
    rate: Number(rate),
    targets: {},
  };
  // A scenario the issue names keeps its targets, from the full list or the quick one.
  const same = [...known, ...defaultScenarios, ...quickScenarios].find((s) => scenarioKey(s) === scenarioKey(scenario));
  return same ?? scenario;
}

function parsePath(path: string): Path {
  const found = allPaths.find((candidate) => candidate === path);
  if (!found) throw new UsageError(`--paths: "${path}" is not one of ${allPaths.join(', ')}`);
  return found;
}

function positive(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${what}: "${text}" is not a positive integer`);
  return value;
}
