import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** One master of the local cluster: its port and its process (replaced by `revive`). */
interface Node {
  port: number;
  child: ChildProcess;
}

export interface LocalRedisCluster {
  /** `127.0.0.1:port` of each master, as `REDIS_CLUSTER_NODES` lists them. */
  readonly nodes: string[];
  /** The master serving `slot`, as `127.0.0.1:port`. */
  ownerOf(slot: number): Promise<string>;
  /** Kills the master at `address`; its slots go unserved, the other masters' are served on. */
  kill(address: string): Promise<void>;
  /** Starts a killed master again, empty (no persistence), with its slots; resolves once the cluster is whole. */
  revive(address: string): Promise<void>;
  /** `redis-cli --cluster reshard`: moves `count` slots, the lowest first, from one master to another. */
  reshard(from: string, to: string, count: number): Promise<void>;
  /** The slots a master serves, in ranges `[first, last]`. */
  slotsOf(address: string): Promise<[number, number][]>;
  stop(): Promise<void>;
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', args, { maxBuffer: 16 << 20 });
  return stdout;
}

/** Polls `check` until it holds; a cluster settles in tens of milliseconds to a few seconds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`local Redis Cluster: timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** `CLUSTER NODES` of the node at `port`: per node, its id, address and the slot ranges it serves. */
async function clusterNodes(port: number) {
  const text = await cli('-p', String(port), 'cluster', 'nodes');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', , , , , linkState = '', ...slots] = line.split(' ');
      const ranges = slots
        .filter((slot) => !slot.startsWith('['))
        .map((slot) => {
          const [first, last = first] = slot.split('-').map(Number) as [number, number?];
          return [first, last] as [number, number];
        });
      return { id, address: address.split('@')[0] ?? '', flags, linkState, ranges };
    });
}

/**
 * A Redis Cluster of three masters and no replicas on free ports, in a folder of its own, for tests
 * and the benchmark; the shared Redis is never touched. Every master keeps serving its slots while
 * another is down (`cluster-require-full-coverage no`), as a cluster with replicas would after a failover.
 */
export async function startLocalRedisCluster(): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'spool-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const spawnNode = async (port: number): Promise<ChildProcess> => {
    // biome-ignore format: one option and its value per line
    const child = spawn('redis-server', [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '2000',
      '--cluster-require-full-coverage', 'no',
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
    ], { stdio: 'ignore' });
    await until(`port ${port} answers`, async () => (await cli('-p', String(port), 'ping')).trim() === 'PONG');
    return child;
  };
  const nodes: Node[] = [];
  for (const port of ports) nodes.push({ port, child: await spawnNode(port) });
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  const kill = async (node: Node) => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = once(node.child, 'exit');
    node.child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all(nodes.map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  const healthy = async () => {
    for (const port of ports) {
      const info = await cli('-p', String(port), 'cluster', 'info');
      if (!info.includes('cluster_state:ok')) return false;
      const view = await clusterNodes(port);
      if (view.some((node) => node.linkState !== 'connected' || node.flags.includes('fail'))) return false;
    }
    return true;
  };
  const portOf = (address: string) => {
    const node = nodes.find((candidate) => `127.0.0.1:${candidate.port}` === address);
    if (!node) throw new Error(`no master of this cluster at ${address}`);
    return node;
  };
  try {
    await cli('--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes');
    await until('every master sees the cluster as ok', healthy);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: addresses,
    async ownerOf(slot) {
      const view = await clusterNodes(ports[0] as number);
      const owner = view.find((node) => node.ranges.some(([first, last]) => slot >= first && slot <= last));
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return owner.address;
    },
    async slotsOf(address) {
      const view = await clusterNodes(portOf(address).port);
      return view.find((node) => node.address === address)?.ranges ?? [];
    },
    async kill(address) {
      await kill(portOf(address));
    },
    async revive(address) {
      const node = portOf(address);
      node.child = await spawnNode(node.port);
      await until('the restarted master is back in the cluster', healthy);
    },
    async reshard(from, to, count) {
      const view = await clusterNodes(portOf(from).port);
      const id = (address: string) => view.find((node) => node.address === address)?.id ?? '';
      // biome-ignore format: one option and its value per line
      await cli(
        '--cluster', 'reshard', from,
        '--cluster-from', id(from),
        '--cluster-to', id(to),
        '--cluster-slots', String(count),
        '--cluster-yes',
      );
      await until('every master agrees on the new slots', healthy);
    },
    stop,
  };
}
