import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const REDIS_MISSING = [
  'redis-server is not on PATH; the test suite needs it (the one system prerequisite).',
  'Install it with `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).',
].join('\n');

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A port nothing listens on now (the listener that found it is closed again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** True once a PING on the port is answered with PONG. */
async function answers(port: number): Promise<boolean> {
  const socket = new Socket();
  try {
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('PING\r\n');
    const [data] = await once(socket, 'data');
    return String(data).startsWith('+PONG');
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server on a random loopback port, without persistence. */
export async function startRedisServer(port?: number, extra: string[] = []): Promise<RedisServer> {
  const chosen = port ?? await freePort();
  const child = spawn('redis-server', [
    '--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra,
  ], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await answers(chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${chosen}`);
    }
    await sleep(20);
  }
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface RedisCluster {
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all([port, port + 10_000].map((candidate) => new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false)).listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return port;
  }
}

/** A local three-master Redis Cluster on loopback, without persistence. */
export async function startRedisCluster(dir: string): Promise<RedisCluster> {
  const ports = [await clusterPort(), await clusterPort(), await clusterPort()];
  const servers = await Promise.all(ports.map((port) => startRedisServer(port, [
    '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--dir', dir,
  ])));
  const stop = async () => { await Promise.all(servers.map((server) => server.stop())); };
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) {
    await stop();
    throw new Error(`redis-cli --cluster create failed: ${create.stderr || create.stdout}`);
  }
  const deadline = Date.now() + 15_000;
  while (!ports.every((port) => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the cluster did not reach cluster_state:ok');
    }
    await sleep(100);
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}
