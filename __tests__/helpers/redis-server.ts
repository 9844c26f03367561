import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
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

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs redis-server on `port`; rejects when it exits first (the port taken, say). */
async function launch(port: number, extra: string[]): Promise<RedisServer> {
  // A directory of its own: a replica writes the snapshot it syncs from there, whatever --save says.
  const dir = extra.includes('--dir') ? [] : ['--dir', mkdtempSync(join(tmpdir(), 'redis-'))];
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...dir, ...extra,
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  let log = '';
  // Its own log line, not an answer on the port: another server may hold the port already.
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      log += chunk;
      if (log.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', () => reject(new Error(`redis-server did not start on port ${port}:\n${log}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port} within 10 s`)), 10_000);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  child.stdout!.removeAllListeners('data').resume();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts a throwaway redis-server on loopback, without persistence. redis-server cannot take
 * port 0 and report it, so without `port` it tries free ports until one is still free when it binds.
 */
export async function startRedisServer(port?: number, extra: string[] = []): Promise<RedisServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launch(port ?? await freePort(), extra);
    } catch (err) {
      if (port !== undefined || attempt === 5) throw err;
    }
  }
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

/** Runs `start` up to three times: a cluster's ports may be taken between choosing and binding them. */
export async function withNewPortsOnFailure<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** A local three-master Redis Cluster on loopback, without persistence; new ports if one was taken meanwhile. */
export function startRedisCluster(dir: string): Promise<RedisCluster> {
  return withNewPortsOnFailure(() => createCluster(dir));
}

async function createCluster(dir: string): Promise<RedisCluster> {
  const ports = [await clusterPort(), await clusterPort(), await clusterPort()];
  const servers = await Promise.allSettled(ports.map((port) => startRedisServer(port, [
    '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--dir', dir,
  ])));
  const started = servers.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => { await Promise.all(started.map((server) => server.stop())); };
  const failed = servers.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
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
