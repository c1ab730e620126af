import { parseArgs } from 'node:util';

export type Path =
  | 'floor'
  | 'ws'
  | 'sdk'
  | 'sse'
  | 'socketio'
  | 'ws-2p'
  | 'sse-2p'
  | 'floor-cluster'
  | 'ws-cluster'
  | 'sse-cluster';
/** Every scenario's paths, unless `--paths` says otherwise. */
export const allPaths: readonly Path[] = ['floor', 'ws', 'sdk', 'sse', 'socketio'];
/** ws and sse against `SPOOL_PROCESSES=2` (two instances on one port): the scenarios marked `twoProcesses`, and `--paths`. */
export const twoProcessPaths: readonly Path[] = ['ws-2p', 'sse-2p'];

/** floor, ws and sse again on a local 3-master Redis Cluster (`--cluster`), beside single Redis in the same run. */
export const clusterPaths: readonly Path[] = ['floor-cluster', 'ws-cluster', 'sse-cluster'];

/** Whether `path` runs on the local Redis Cluster rather than the single Redis. */
export function onCluster(path: Path): boolean {
  return path.endsWith('-cluster');
}

/** The transport a path's clients use (`floor` for none). */
export function transportOf(path: Path): Path {
  const transport = path.replace(/-(2p|cluster)$/, '');
  return allPaths.find((known) => known === transport) ?? path;
}

/** The floor a path is compared with: the one on the same Redis. */
export function floorOf(path: Path): Path {
  return onCluster(path) ? 'floor-cluster' : 'floor';
}

/** The targets for one path of one scenario; the floor and socket.io are what the others are held to. */
export interface Targets {
  /** No token missing or duplicated, every stream ended. */
  lossless?: boolean;
  /** p99 latency at most this multiple of the floor's p99 in the same scenario. */
  p99VsFloor?: number;
  p99Ms?: number;
  /** Server CPU (µs) per delivered event, tokens and terminal events alike. */
  cpuUsPerEvent?: number;
  /** Server CPU per delivered event below socket.io's in the same scenario. */
  cpuBelowSocketIo?: boolean;
  /** Delivered tokens/s at least this fraction of the floor's in the same scenario. */
  throughputVsFloor?: number;
  /** Server RSS (KB) per subscription that is live but has received nothing yet. */
  idleRssKb?: number;
}

export interface Scenario {
  streams: number;
  tokens: number;
  /** Tokens per second per stream; 0: unbounded. */
  rate: number;
  targets: Partial<Record<Path, Targets>>;
  /** Streams sharing one WebSocket (ws, sdk, socketio) unless `--streams-per-ws` is given; default 1. */
  streamsPerWs?: number;
  /** SSE watches only the first this many streams (one EventSource each); the generator still writes them all. */
  sseStreams?: number;
  /** A smaller stand-in for a full scenario (`--quick`), carrying its targets. */
  quickFor?: string;
  /** Run by default over two server processes too (`ws-2p`, `sse-2p`). */
  twoProcesses?: boolean;
}

/** Every Spool path must lose nothing; ws and sse are besides held to the server CPU each delivered event costs. */
const lossless: Targets = { lossless: true };
const ws: Targets = { lossless: true, cpuUsPerEvent: 10, cpuBelowSocketIo: true };
const sse: Targets = { lossless: true, cpuUsPerEvent: 12, cpuBelowSocketIo: true };
const interactive: Targets = { p99VsFloor: 2, p99Ms: 10 };
const paced = { ws: { ...ws, ...interactive }, sse: { ...sse, ...interactive }, sdk: lossless };
const unbounded = { ws: { ...ws, throughputVsFloor: 0.6 }, sse: { ...sse, throughputVsFloor: 0.6 }, sdk: lossless };
/** Two processes: lossless, and no more CPU per event than one (each event is decoded once per process). */
const twoProcesses = { ...paced, 'ws-2p': { ...ws, ...interactive }, 'sse-2p': { ...sse, ...interactive } };
/** On a Redis Cluster every path must still lose nothing; its figures are reported beside single Redis's. */
const cluster = { 'ws-cluster': lossless, 'sse-cluster': lossless };
const idleMany = { ws: { ...ws, p99VsFloor: 2, idleRssKb: 10 }, sse: { ...sse, p99VsFloor: 2 }, sdk: lossless };

export const defaultScenarios: readonly Scenario[] = [
  { streams: 100, tokens: 200, rate: 20, targets: { ...paced, ...cluster } },
  { streams: 1000, tokens: 100, rate: 10, targets: { ...twoProcesses, ...cluster }, twoProcesses: true },
  { streams: 100, tokens: 2000, rate: 0, targets: { ...unbounded, ...cluster } },
  // Many mostly idle subscriptions: 100 WebSockets of 100 each, and 1,000 SSE connections.
  { streams: 10000, tokens: 10, rate: 1, targets: { ...idleMany, ...cluster }, streamsPerWs: 100, sseStreams: 1000 },
];

export const quickScenarios: readonly Scenario[] = [
  { streams: 20, tokens: 20, rate: 20, targets: { ...paced, ...cluster }, quickFor: '100x200@20' },
  {
    streams: 200,
    tokens: 10,
    rate: 10,
    targets: { ...twoProcesses, ...cluster },
    twoProcesses: true,
    quickFor: '1000x100@10',
  },
  { streams: 20, tokens: 200, rate: 0, targets: { ...unbounded, ...cluster }, quickFor: '100x2000@0' },
  {
    streams: 1000,
    tokens: 5,
    rate: 1,
    targets: { ...idleMany, ...cluster },
    streamsPerWs: 100,
    sseStreams: 100,
    quickFor: '10000x10@1',
  },
];

/** Streams sharing one WebSocket: the command line's count, else the scenario's, else one socket per stream. */
export function streamsPerWs(scenario: Scenario, option: number | null): number {
  return option ?? scenario.streamsPerWs ?? 1;
}

/** How many of the scenario's streams `path` watches (the first ones): all of them, but for SSE. */
export function watchedStreams(scenario: Scenario, path: Path): number {
  return transportOf(path) === 'sse'
    ? Math.min(scenario.sseStreams ?? scenario.streams, scenario.streams)
    : scenario.streams;
}

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
  /** From `--paths`; null: `allPaths`, and `twoProcessPaths` for the scenarios marked so. */
  paths: Path[] | null;
  /** Streams sharing one WebSocket, for every scenario; null: each scenario's own (`streamsPerWs`). */
  streamsPerWs: number | null;
  /** Extra Node flags for the server process only (Spool's or socket.io's), e.g. `--cpu-prof`. */
  serverNodeArgs: string[];
  quick: boolean;
  /** Time to first token: beside the scenarios (a full run), alone (`--ttft`), or not (`--only`). */
  ttft: 'with' | 'only' | 'skip';
  /** `--cluster`: the streaming scenarios on a local Redis Cluster too (`clusterPaths`). */
  cluster: boolean;
}

export const usage = `usage: node bench/run.ts [--quick] [--only SxT@R[,SxT@R...] | --ttft] [--cluster] [--paths floor,ws,sdk,sse,socketio] [--streams-per-ws N]
  --quick           small scenarios, for development
  --only            scenarios to run, e.g. 1000x100@10 (R=0: unbounded); any S, T, R is accepted; no TTFT
  --ttft            only time to first token (embedded; Redis + PostgreSQL; and that with SPOOL_ROLE=api + a worker)
  --paths           which of floor, ws, sdk (@spool/client over WS), sse, socketio (socket.io 4 on its Redis
                    adapter, the peer), ws-2p and sse-2p (ws and sse against SPOOL_PROCESSES=2) to run
                    (default: all but the -2p ones, which run in 1000x100@10)
  --cluster         also floor, ws and sse on a local 3-master Redis Cluster it starts (redis-server and redis-cli
                    on PATH), as floor-cluster, ws-cluster and sse-cluster, in every streaming scenario; no TTFT
  --streams-per-ws  streams sharing one WebSocket connection (ws, sdk, socketio) in every scenario (default: the
                    scenario's, 100 in 10000x10@1, else 1: one per stream)
  --server-node-args=FLAGS  extra Node flags for the server process (Spool's or socket.io's), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"`;

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
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const known = values.quick ? quickScenarios : defaultScenarios;
  const scenarios = values.only
    ? values.only.flatMap((list) => list.split(',')).map((spec) => parseScenario(spec.trim(), known))
    : [...known];
  const paths = values.paths ? values.paths.split(',').map((path) => parsePath(path.trim())) : null;
  const streamsPerWs =
    values['streams-per-ws'] === undefined ? null : positive(values['streams-per-ws'], '--streams-per-ws');
  const serverNodeArgs = values['server-node-args'].split(' ').filter((arg) => arg !== '');
  if (values.ttft && (values.only || values.cluster)) throw new UsageError('--ttft excludes --only and --cluster');
  const ttft = values.ttft ? 'only' : values.only || values.cluster ? 'skip' : 'with';
  return {
    scenarios: ttft === 'only' ? [] : scenarios,
    paths,
    streamsPerWs,
    serverNodeArgs,
    quick: values.quick,
    ttft,
    cluster: values.cluster,
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
  const known = [...allPaths, ...twoProcessPaths, ...clusterPaths];
  const found = known.find((candidate) => candidate === path);
  if (!found) throw new UsageError(`--paths: "${path}" is not one of ${known.join(', ')}`);
  return found;
}

function positive(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${what}: "${text}" is not a positive integer`);
  return value;
}
