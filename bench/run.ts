/**
 * `npm run bench` (`-- --quick` for the small variant CI runs). Starts two Redis servers (the
 * library's store, oidc-provider's adapter), a three-master Redis Cluster, a third server with a
 * replica of it, and seven provider processes (bench/server.ts): A and B on the two servers, T and
 * U on them too with OpenTelemetry's SDK registered (U with the library's instrumentation off), C
 * with both store and adapter on the cluster, R and N with both on the replicated server (R with
 * replica acknowledgements on, the default, N with them off). Warms every process up alike, then
 * measures, over rounds that each run every measure twice (table order, then the reverse): the
 * mint against the built-in refresh_token grant and the redeem against an authorization over an
 * existing session (on A), each with instrumentation on and off (T and U measured together, each
 * with half the requests in flight), load over two processes (A and B), on Redis Cluster (C), and
 * with replica acknowledgements on and off (R and N measured together, as T and U); the library's
 * Redis commands per operation, the cascade of a grant with 10,000 children, the device logout
 * of a Native SSO device session with 1,000, and the memory per outstanding token. Saves its
 * results as test-output/bench/node-<major>.json and writes BENCHMARKS.md from every Node line's
 * saved results, side by side (bench/report.ts): run it once on each Node line for the full report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { Browser } from '../examples/browser.js';
import { authorizeInteractively } from '../examples/native/sign-in.js';
import {
  defaults, DEVICE_SECRET_TYPES, ID_TOKEN_TYPE, RedisStore, TOKEN_EXCHANGE_GRANT, type TransferRecord,
} from '../lib/index.js';
import { generateToken, hashToken } from '../lib/token.js';
import { startRedisCluster, startRedisServer } from '../__tests__/helpers/redis-server.js';
import { CONCURRENCY, drive, driveSplit, merge, type Measure, type Request } from './load.js';
import { renderReport, savedRuns, type BenchRun, type Goal } from './report.js';

const quick = process.argv.includes('--quick');
/** Other work on the machine skews every figure: the report states how busy it was. */
const loadBefore = loadavg()[0]!;
/**
 * Each round runs every measure twice, in table order then the reverse, each time for half of
 * DURATION (seconds) or of REDEEMS (requests); figures are the rounds' medians.
 */
const ROUNDS = quick ? 1 : 5;
const DURATION = quick ? 1 : 4;
const REDEEMS = quick ? 300 : 2000;
/**
 * Requests each process serves before the first round: a fresh process needs about 3,000 mints
 * before its CPU per request settles (at about half of its first requests'), and T, whose SDK
 * has code of its own to warm, settles no sooner; a process warmed less than the one it is
 * compared with looks slower (with half of this, T measured 0.76 of A's mint throughput at 1.35
 * times its CPU per mint, where two processes without the SDK measured 1.03). `redeems` tokens are
 * minted (counted in `mints`), then redeemed. The quick variant, to stay short, warms B and C (no
 * goal compares them) half as much: their rows read low; and R and N too, alike, since they are
 * compared only with each other.
 */
const WARM_UP = { mints: 3000, refreshes: 500, sessions: 500, redeems: 1000 };
const halfWarmUp = { mints: 1500, refreshes: 250, sessions: 250, redeems: 500 };
const CHILDREN = quick ? 500 : 10_000;
/** The device logout's web sessions, in both variants (its goal is stated at 1,000). */
const DEVICE_CHILDREN = 1_000;
/** Sessions of each cascade checked, before and after it. */
const SAMPLE = 50;
/** The memory goal is stated at 100,000 tokens; 1,000 shows the small end. */
const MEMORY_SIZES = [1_000, 100_000];
/** Where each Node line's results are saved, and the report made of them all. */
const RESULTS = quick ? 'test-output/bench/quick' : 'test-output/bench';
const OUTPUT = quick ? 'test-output/bench/BENCHMARKS.md' : 'BENCHMARKS.md';
/** bench/server.ts's issuer: the audience of a Native SSO exchange that signs an app in. */
const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'urn:localhost:3000:session_transfer';
const NATIVE = { client_id: 'bench-native', redirect_uri: 'https://bench.example/cb' };
/** The Native SSO apps (bench/server.ts): the first signs in with `device_sso`, the second by the exchange. */
const SSO = { first: 'bench-sso-first', second: 'bench-sso-second' };
/** HTTP Basic authentication of a bench client (all share one secret). */
const basic = (clientId: string) => `Basic ${Buffer.from(`${clientId}:bench-secret`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const WEB = { client_id: 'example-web', redirect_uri: 'http://localhost:3001/callback', scope: 'openid' };
const USER = { login: 'demo@example.com', password: 'demo' };

/** In the order measured: the two sides of each comparison run one after the other. */
const ROWS = {
  builtin: 'refresh_token grant (built-in)',
  mint: 'mint (refresh_token + session_transfer audience)',
  mintOff: 'mint, SDK registered, instrumentation off (U, measured with T)',
  mintOn: 'mint, SDK registered, instrumentation on (T, measured with U)',
  mintTwo: 'mint, load split over two processes',
  mintCluster: 'mint, Redis Cluster',
  session: 'authorization over an existing session',
  redeem: 'redeem (authorization with a token)',
  redeemOff: 'redeem, SDK registered, instrumentation off (U, measured with T)',
  redeemOn: 'redeem, SDK registered, instrumentation on (T, measured with U)',
  redeemTwo: 'redeem through process B of tokens minted through A and T',
  redeemCluster: 'redeem, Redis Cluster',
  mintAcksOff: 'mint, replica acknowledgements off (N, measured with R; master + replica)',
  mintAcksOn: 'mint, replica acknowledgements on (R, measured with N; master + replica)',
  redeemAcksOff: 'redeem, replica acknowledgements off (N, measured with R; master + replica)',
  redeemAcksOn: 'redeem, replica acknowledgements on (R, measured with N; master + replica)',
} as const;
type Row = keyof typeof ROWS;
/** A measure with its server processes' CPU time per request (ms), where /proc tells it. */
type Figure = Measure & { cpu?: number };

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/** One row from several rounds of the same measure: totals summed, figures the rounds' medians. */
function combine(rounds: Figure[]): Figure {
  const cpu = rounds.flatMap((m) => (m.cpu === undefined ? [] : [m.cpu]));
  return {
    ...rounds[0]!,
    requests: rounds.reduce((sum, m) => sum + m.requests, 0),
    rps: median(rounds.map((m) => m.rps)),
    p50: median(rounds.map((m) => m.p50)),
    p99: median(rounds.map((m) => m.p99)),
    mean: median(rounds.map((m) => m.mean)),
    errors: rounds.reduce((sum, m) => sum + m.errors, 0),
    cpu: cpu.length === rounds.length ? median(cpu) : undefined,
  };
}

/**
 * The CPU time (ms) a process has used, summed over its threads from the scheduler's account
 * (Linux's /proc/<pid>/task/<tid>/schedstat, in nanoseconds: /proc/<pid>/stat counts 10 ms ticks,
 * too coarse for a few seconds' measure); undefined elsewhere. It shows what a request costs the
 * server whatever else the machine runs.
 */
function cpuTime(pid: number | undefined): number | undefined {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  // A thread that ended meanwhile is left out (Node's threads live as long as the process).
  return threads.reduce((sum, thread) => {
    try {
      return sum + Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      return sum;
    }
  }, 0);
}

/** A bench/server.ts process, once it listens. */
async function startProvider(env: Record<string, string>): Promise<{ base: string; pid: number | undefined; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts'], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const [line] = await Promise.race([
    once(child.stdout!, 'data') as Promise<[Buffer]>,
    exited.then(() => { throw new Error('bench/server.ts exited before listening'); }),
  ]);
  return {
    base: `http://127.0.0.1:${/listening (\d+)/.exec(String(line))![1]}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A token response: a sign-in's (a device secret too with `device_sso`, for a Native SSO app) or an exchange's. */
interface Tokens { refresh_token: string; id_token: string; device_secret?: string }

/** Signs in with `clientId` (bench-native unless told) at `base`, with `scope`; its tokens. */
async function signIn(base: string, clientId = NATIVE.client_id, scope = 'openid offline_access'): Promise<Tokens> {
  const callback = await authorizeInteractively(new Browser(), `${base}/auth?${new URLSearchParams({
    client_id: clientId, redirect_uri: NATIVE.redirect_uri, response_type: 'code', scope,
  })}`, { ...USER, redirectUri: NATIVE.redirect_uri });
  const response = await fetch(`${base}/token`, {
    method: 'POST', headers: { authorization: basic(clientId) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: NATIVE.redirect_uri }),
  });
  return await response.json() as Tokens;
}
/** Signs in with bench-native at `base`; its refresh token. */
const nativeLogin = async (base: string) => (await signIn(base)).refresh_token;

/** A refresh_token grant request of `clientId` (bench-native unless told); with `{ audience: AUDIENCE }`, a mint. */
const refreshRequest = (base: string, refreshToken: string, extra: Record<string, string> = {}, clientId = NATIVE.client_id): Request => ({
  url: `${base}/token`,
  method: 'POST',
  headers: { authorization: basic(clientId), 'content-type': FORM },
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }).toString(),
});
/**
 * A Native SSO token exchange by the second app from the first's ID token and device secret:
 * with `{ requested_token_type, audience: AUDIENCE }`, a mint from the device secret; without,
 * the second app's sign-in (audience: the issuer).
 */
const deviceExchange = (base: string, from: Tokens, extra: Record<string, string> = {}): Request => ({
  url: `${base}/token`,
  method: 'POST',
  headers: { authorization: basic(SSO.second), 'content-type': FORM },
  body: new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT, audience: ISSUER,
    subject_token: from.id_token, subject_token_type: ID_TOKEN_TYPE, actor_token: from.device_secret!, actor_token_type: DEVICE_SECRET_TYPES[0]!, ...extra,
  }).toString(),
});
/** A silent authorization for example-web; with a session_transfer_token, a redeem. */
const authorization = (base: string, extra: Record<string, string> = {}) => `${base}/auth?${new URLSearchParams({ ...WEB, response_type: 'code', prompt: 'none', ...extra })}`;
const answered200 = (response: IncomingMessage) => response.statusCode === 200;
/** A silent authorization that signed in: a redirect with a code (a refusal redirects too, with an error). */
const signedIn = (response: IncomingMessage) => response.statusCode === 303 && /[?&]code=/.test(response.headers.location ?? '');

/** `count` tokens minted by the i-th `request`, 20 requests at a time. */
async function mintWith(count: number, request: (i: number) => Request): Promise<string[]> {
  let minted = 0;
  const mintOne = async () => {
    const { url, ...init } = request(minted++);
    return ((await (await fetch(url, init)).json()) as { access_token: string }).access_token;
  };
  const tokens: string[] = [];
  while (tokens.length < count) tokens.push(...await Promise.all(Array.from({ length: Math.min(20, count - tokens.length) }, mintOne)));
  return tokens;
}
/** `count` tokens minted through `base` (through each of several in turn) from bench-native's refresh token. */
function mintTokens(base: string | string[], refreshToken: string, count: number): Promise<string[]> {
  const bases = [base].flat();
  return mintWith(count, (i) => refreshRequest(bases[i % bases.length]!, refreshToken, { audience: AUDIENCE }));
}

/**
 * A Redis server with one replica of it (`--replicaof`), once the replica's link is up and the
 * master counts it: R's `'auto'` asks the master once whether it has a replica, and must hear yes.
 * In `dir`: the master syncs without a file (`repl-diskless-sync`, at once rather than after the
 * default 5 s wait for more replicas), the replica loads through one.
 */
async function startReplicatedRedis(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const master = await startRedisServer(undefined, ['--dir', dir, '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0']);
  const servers = [master];
  const stop = async () => { await Promise.all(servers.map((server) => server.stop())); };
  try {
    servers.push(await startRedisServer(undefined, ['--dir', dir, '--replicaof', '127.0.0.1', String(master.port)]));
    const [masterClient, replicaClient] = [new Redis(master.url), new Redis(servers[1]!.url)];
    try {
      const deadline = Date.now() + 15_000;
      while (!(await replicaClient.info('replication')).includes('master_link_status:up')
        || !/connected_slaves:[1-9]/.test(await masterClient.info('replication'))) {
        if (Date.now() > deadline) throw new Error('the replica did not link up with its master within 15 s');
        await sleep(50);
      }
    } finally {
      masterClient.disconnect();
      replicaClient.disconnect();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: master.url, stop };
}

const version = async (name: string) => (JSON.parse(await readFile(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;

const [storeRedis, adapterRedis] = await Promise.all([startRedisServer(), startRedisServer()]);
const clusterDir = await mkdtemp(join(tmpdir(), 'bench-cluster-'));
const cluster = await startRedisCluster(clusterDir);
const replicaDir = await mkdtemp(join(tmpdir(), 'bench-replica-'));
const replicated = await startReplicatedRedis(replicaDir);
const store = new Redis(storeRedis.url);
/** R's and N's Redis master (store and adapter both), which has a replica. */
const master = new Redis(replicated.url);
const servers = { STORE_REDIS: storeRedis.url, ADAPTER_REDIS: adapterRedis.url };
const clusterNodes = cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',');
const started = await Promise.allSettled([
  startProvider(servers),
  startProvider({ ...servers, BENCH_TELEMETRY: '1' }),
  startProvider(servers),
  startProvider({ STORE_REDIS: clusterNodes, ADAPTER_REDIS: clusterNodes }),
  startProvider({ ...servers, BENCH_TELEMETRY: 'sdk' }),
  startProvider({ STORE_REDIS: replicated.url, ADAPTER_REDIS: replicated.url }),
  startProvider({ STORE_REDIS: replicated.url, ADAPTER_REDIS: replicated.url, BENCH_REPLICA_ACKS: 'off' }),
]);
// Those that did start are stopped in the end whatever happens.
const providers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));

try {
  const refused = started.find((result) => result.status === 'rejected');
  if (refused) throw refused.reason;
  const [A, T, B, C, U, R, N] = providers.map((p) => p.base) as [string, string, string, string, string, string, string];
  const pids = Object.fromEntries(providers.map((p) => [p.base, p.pid]));
  const refreshToken = await nativeLogin(A);
  const clusterRefreshToken = await nativeLogin(C);
  const replicatedRefreshToken = await nativeLogin(R);
  /** A browser session at `base`: its cookie (A's serves A, T, U and B, which share their Redis; R's serves R and N). */
  const webLogin = async (base: string) => {
    const browser = new Browser();
    await authorizeInteractively(browser, `${base}/auth?${new URLSearchParams({ ...WEB, response_type: 'code' })}`, { ...USER, redirectUri: WEB.redirect_uri });
    return browser.cookieHeader(base);
  };
  const sessionCookie = await webLogin(A);
  const clusterSessionCookie = await webLogin(C);
  const replicatedSessionCookie = await webLogin(R);

  const minting = (bases: string[], token: string, extra?: Record<string, string>) => (name: string, load: { duration?: number; amount?: number }) => drive(name, {
    ...load, request: (i) => refreshRequest(bases[i % bases.length]!, token, extra), check: answered200,
  });
  const authorizing = (base: string, cookie: string, amount: number) => (name: string) => drive(name, {
    amount, request: () => ({ url: authorization(base), headers: { cookie } }), check: signedIn,
  });
  const redeeming = (base: string, batch: string[]) => (name: string) => drive(name, {
    amount: batch.length, request: (i) => ({ url: authorization(base, { session_transfer_token: batch[i]! }) }), check: signedIn,
  });

  // The warm-up: every process serves the same requests (mints, refreshes, authorizations over
  // a session, redeems of tokens it minted), all at once. Without it, A (which serves the
  // logins and mints every round's tokens) is far warmer than T, B and C, and they look slower.
  const warmUps = [[A, refreshToken, sessionCookie, WARM_UP], [T, refreshToken, sessionCookie, WARM_UP], [U, refreshToken, sessionCookie, WARM_UP],
    [B, refreshToken, sessionCookie, quick ? halfWarmUp : WARM_UP], [C, clusterRefreshToken, clusterSessionCookie, quick ? halfWarmUp : WARM_UP],
    [R, replicatedRefreshToken, replicatedSessionCookie, quick ? halfWarmUp : WARM_UP], [N, replicatedRefreshToken, replicatedSessionCookie, quick ? halfWarmUp : WARM_UP]] as const;
  const warmUp = (await Promise.all(warmUps.map(async ([base, token, cookie, amounts]) => {
    const name = `warm-up of ${base}`;
    const measures = [
      await minting([base], token, { audience: AUDIENCE })(name, { amount: amounts.mints - amounts.redeems }),
      await minting([base], token)(name, { amount: amounts.refreshes }),
      await authorizing(base, cookie, amounts.sessions)(name),
    ];
    return [...measures, await redeeming(base, await mintTokens(base, token, amounts.redeems))(name)];
  }))).flat();

  /**
   * Every measure twice: in table order on half of `duration` or `redeems`, then in the reverse
   * order on the other half, merged. The two sides of every comparison thus sit symmetrically in
   * the round: a drift (the machine's other work, what is left of the warm-up, what came before)
   * weighs on both alike. Redeems use tokens minted before the round, as much through A as
   * through T and U (which one does it is no help to a redeem: a token is a record in Redis), and
   * R's and N's as much through each.
   */
  async function round(duration: number, redeems: number): Promise<Record<Row, Figure>> {
    const half = Math.floor(redeems / 2);
    const [tokens, twoTokens, clusterTokens, replicatedTokens] = await Promise.all([
      mintTokens([A, T, U, B], refreshToken, 6 * half), mintTokens([A, T], refreshToken, 2 * half), mintTokens(C, clusterRefreshToken, 2 * half),
      mintTokens([R, N], replicatedRefreshToken, 4 * half),
    ]);
    /** The tokens of a redeem measure's `part` (0 or 1): the `of`-th pool's slice. */
    const batch = (pool: string[], of: number, part: number) => pool.slice((2 * of + part) * half, (2 * of + part + 1) * half);
    const mintLoad = { duration: duration / 2 };
    const single = (row: Row, run: (name: string, part: number) => Promise<Measure>) => ({ rows: [row], run: async (part: number) => [await run(ROWS[row], part)] });
    /**
     * Instrumentation on and off (T and U), and replica acknowledgements on and off (R and N), are
     * measured together, each side with half the requests in flight, so the machine's other work
     * weighs on both alike (measured one after the other, two identical processes differed by up
     * to 6 %); which one the first workers serve alternates with `part`.
     */
    const paired = (off: Row, on: Row, run: (names: string[], bases: string[], part: number) => Promise<Measure[]>, [offBase, onBase] = [U, T]) => ({
      rows: [off, on],
      run: async (part: number) => {
        const measured = await run(part ? [ROWS[on], ROWS[off]] : [ROWS[off], ROWS[on]], part ? [onBase, offBase] : [offBase, onBase], part);
        return part ? measured.reverse() : measured;
      },
    });
    const processes: Record<Row, string[]> = {
      builtin: [A], mint: [A], mintOff: [U], mintOn: [T], mintTwo: [A, B], mintCluster: [C],
      session: [A], redeem: [A], redeemOff: [U], redeemOn: [T], redeemTwo: [B], redeemCluster: [C],
      mintAcksOff: [N], mintAcksOn: [R], redeemAcksOff: [N], redeemAcksOn: [R],
    };
    const loads = [
      single('builtin', (name) => minting([A], refreshToken)(name, mintLoad)),
      single('mint', (name) => minting([A], refreshToken, { audience: AUDIENCE })(name, mintLoad)),
      paired('mintOff', 'mintOn', (names, bases) => driveSplit(names, {
        ...mintLoad, request: (_i, side) => refreshRequest(bases[side]!, refreshToken, { audience: AUDIENCE }), check: answered200,
      })),
      single('mintTwo', (name) => minting([A, B], refreshToken, { audience: AUDIENCE })(name, mintLoad)),
      single('mintCluster', (name) => minting([C], clusterRefreshToken, { audience: AUDIENCE })(name, mintLoad)),
      single('session', authorizing(A, sessionCookie, half)),
      single('redeem', (name, part) => redeeming(A, batch(tokens, 0, part))(name)),
      paired('redeemOff', 'redeemOn', (names, bases, part) => {
        const pool = [...batch(tokens, 1, part), ...batch(tokens, 2, part)];
        return driveSplit(names, {
          amount: pool.length, request: (i, side) => ({ url: authorization(bases[side]!, { session_transfer_token: pool[i]! }) }), check: signedIn,
        });
      }),
      single('redeemTwo', (name, part) => redeeming(B, batch(twoTokens, 0, part))(name)),
      single('redeemCluster', (name, part) => redeeming(C, batch(clusterTokens, 0, part))(name)),
      paired('mintAcksOff', 'mintAcksOn', (names, bases) => driveSplit(names, {
        ...mintLoad, request: (_i, side) => refreshRequest(bases[side]!, replicatedRefreshToken, { audience: AUDIENCE }), check: answered200,
      }), [N, R]),
      paired('redeemAcksOff', 'redeemAcksOn', (names, bases, part) => {
        const pool = [...batch(replicatedTokens, 0, part), ...batch(replicatedTokens, 1, part)];
        return driveSplit(names, {
          amount: pool.length, request: (i, side) => ({ url: authorization(bases[side]!, { session_transfer_token: pool[i]! }) }), check: signedIn,
        });
      }, [N, R]),
    ];
    const order = Object.keys(ROWS) as Row[];
    const parts = Object.fromEntries(order.map((row) => [row, [] as Figure[]])) as Record<Row, Figure[]>;
    for (const [part, load] of [...loads.map((load) => [0, load] as const), ...[...loads].reverse().map((load) => [1, load] as const)]) {
      const cpuOf = () => load.rows.map((row) => processes[row].map((base) => cpuTime(pids[base])));
      const cpuBefore = cpuOf();
      const measured: Figure[] = await load.run(part);
      const cpuAfter = cpuOf();
      load.rows.forEach((row, i) => {
        const [before, after] = [cpuBefore[i]!, cpuAfter[i]!];
        if (![...before, ...after].includes(undefined)) measured[i]!.cpu = after.reduce((sum: number, ms, j) => sum + ms! - before[j]!, 0);
        parts[row].push(measured[i]!);
      });
    }
    return Object.fromEntries(order.map((row) => {
      const cpu = parts[row].map((m) => m.cpu);
      const merged: Figure = merge(parts[row]);
      if (!cpu.includes(undefined)) merged.cpu = cpu.reduce((sum: number, ms) => sum + ms!, 0) / merged.requests;
      return [row, merged];
    })) as Record<Row, Figure>;
  }

  const rounds: Record<Row, Figure>[] = [];
  for (let i = 0; i < ROUNDS; i += 1) rounds.push(await round(DURATION, REDEEMS));
  const rows = Object.fromEntries((Object.keys(ROWS) as Row[]).map((row) => [row, combine(rounds.map((r) => r[row]))])) as Record<Row, Figure>;
  /** The median over the rounds of a ratio between two of a round's measures. */
  const ratio = (of: (m: Record<Row, Figure>) => number) => median(rounds.map(of));

  // The library's Redis commands per operation, on the store's own Redis (or on `on`).
  async function commandsPer(run: () => Promise<void>, times: number, on: Redis = store): Promise<Record<string, number>> {
    const stats = async () => Object.fromEntries(
      (await on.info('commandstats')).split('\r\n').flatMap((row) => {
        const match = /^cmdstat_(\w+):calls=(\d+)/.exec(row);
        return match ? [[match[1]!, Number(match[2])]] : [];
      }),
    ) as Record<string, number>;
    const before = await stats();
    for (let i = 0; i < times; i += 1) await run();
    const after = await stats();
    return Object.fromEntries(Object.entries(after)
      .map(([command, calls]) => [command, (calls - (before[command] ?? 0)) / times] as const)
      .filter(([command, per]) => per > 0 && command !== 'info'));
  }
  const mintCommands = await commandsPer(async () => { await mintTokens(A, refreshToken, 1); }, 50);
  const redeemTokens = await mintTokens(A, refreshToken, 50);
  const redeemCommands = await commandsPer(async () => {
    await (await fetch(authorization(A, { session_transfer_token: redeemTokens.pop()! }), { redirect: 'manual' })).body?.cancel();
  }, 50);
  // WAITs per operation through R and through N, on their master (store and adapter both): that R
  // waits for its replica and N does not, or the rows compare nothing.
  const waitsPer = async (base: string) => {
    const mints = await commandsPer(async () => { await mintTokens(base, replicatedRefreshToken, 1); }, 50, master);
    const batch = await mintTokens(base, replicatedRefreshToken, 50);
    const redeems = await commandsPer(async () => {
      await (await fetch(authorization(base, { session_transfer_token: batch.pop()! }), { redirect: 'manual' })).body?.cancel();
    }, 50, master);
    return { mint: mints.wait ?? 0, redeem: redeems.wait ?? 0 };
  };
  const waits = { on: await waitsPer(R), off: await waitsPer(N) };
  const acksMeasured = waits.on.mint >= 1 && waits.on.redeem >= 1 && waits.off.mint === 0 && waits.off.redeem === 0;
  if (!acksMeasured) console.error(`replica acknowledgements: WAITs per mint, per redeem through R (on) ${waits.on.mint}, ${waits.on.redeem}; through N (off) ${waits.off.mint}, ${waits.off.redeem}`);

  /**
   * A cascade at A: `children` (transfer tokens) redeemed into new browser sessions (each
   * redeem, without a cookie, creates one), then `revoke` (client, token, hint) at the
   * revocation endpoint, timed: the cascade runs inside that request. Whether the sessions ended
   * is checked as a browser would see it, on an even sample of them: a silent authorization with
   * its cookie signs in before, and does not after. `errors` counts the redeems and the checks
   * that went otherwise; `seconds` is the revocation's.
   */
  async function cascadeOf(name: string, children: string[], revoke: { clientId: string; token: string; hint: string }) {
    const sample: string[] = [];
    const redeemed = await drive(`${children.length} redeems into new sessions (${name})`, {
      amount: children.length,
      request: (i) => ({ url: authorization(A, { session_transfer_token: children[i]! }) }),
      check: (response, i) => {
        if (i % (children.length / SAMPLE) === 0) sample.push((response.headers['set-cookie'] ?? []).map((cookie) => cookie.split(';')[0]).join('; '));
        return signedIn(response);
      },
    });
    const alive = async () => (await Promise.all(sample.map(async (cookie) => {
      const response = await fetch(authorization(A), { headers: { cookie }, redirect: 'manual' });
      await response.body?.cancel();
      return response.status === 303 && /[?&]code=/.test(response.headers.get('location') ?? '');
    }))).filter(Boolean).length;
    const aliveBefore = await alive();
    const revokeStart = process.hrtime.bigint();
    const revocation = await fetch(`${A}/token/revocation`, {
      method: 'POST', headers: { authorization: basic(revoke.clientId) }, body: new URLSearchParams({ token: revoke.token, token_type_hint: revoke.hint }),
    });
    const seconds = Number(process.hrtime.bigint() - revokeStart) / 1e9;
    await revocation.body?.cancel();
    const ended = SAMPLE - await alive();
    const errors = redeemed.errors + (revocation.status === 200 ? 0 : 1) + (aliveBefore === SAMPLE && ended === SAMPLE ? 0 : 1);
    if (errors) console.error(`${name}: revocation answered ${revocation.status}; of ${SAMPLE} sampled sessions ${aliveBefore} were signed in before it, ${ended} ended`);
    return { redeemed, seconds, status: revocation.status, aliveBefore, ended, errors };
  }

  // The cascade: a native grant with CHILDREN browser sessions, ended by revoking its refresh token.
  const parent = await nativeLogin(A);
  const { redeemed, seconds: cascadeSeconds, status: cascadeStatus, aliveBefore, ended, errors: cascadeErrors } = await cascadeOf(
    'cascade', await mintTokens(A, parent, CHILDREN), { clientId: NATIVE.client_id, token: parent, hint: 'refresh_token' },
  );

  // The device logout: a Native SSO device session (the first app's sign-in with device_sso),
  // the second app signed in from it by the exchange (before any session: `maxApps` counts every
  // child of the device session), and DEVICE_CHILDREN browser sessions, half from transfer tokens
  // the second app minted from the device secret (children of the device session, `device:<id>`),
  // half from tokens it minted from its refresh token (children of its grant, itself a child of
  // the device session: a cascade within the cascade), interleaved so the sample holds both;
  // then the device secret revoked at the revocation endpoint, as Okta's SDKs send it. After it,
  // both apps' refresh tokens must be refused.
  const first = await signIn(A, SSO.first, 'openid offline_access device_sso');
  const { url: exchangeUrl, ...exchangeInit } = deviceExchange(A, first);
  const secondResponse = await fetch(exchangeUrl, exchangeInit);
  const second = await secondResponse.json() as Tokens;
  const [fromSecret, fromSecond] = await Promise.all([
    mintWith(DEVICE_CHILDREN / 2, () => deviceExchange(A, first, { requested_token_type: defaults.tokenType, audience: AUDIENCE })),
    mintWith(DEVICE_CHILDREN / 2, () => refreshRequest(A, second.refresh_token, { audience: AUDIENCE }, SSO.second)),
  ]);
  const device = await cascadeOf('device logout', fromSecret.flatMap((token, i) => [token, fromSecond[i]!]), {
    clientId: SSO.first, token: first.device_secret ?? '', hint: 'device_secret',
  });
  /** The apps whose refresh token still refreshes after the device logout (none should). */
  const refreshing = (await Promise.all([[SSO.first, first.refresh_token], [SSO.second, second.refresh_token]].map(async ([clientId, token]) => {
    const { url, ...init } = refreshRequest(A, token!, {}, clientId);
    const response = await fetch(url, init);
    await response.body?.cancel();
    return response.status === 400 ? [] : [`${clientId} (HTTP ${response.status})`];
  }))).flat();
  const deviceErrors = device.errors + (secondResponse.status === 200 && first.device_secret ? 0 : 1) + refreshing.length;
  if (deviceErrors) {
    console.error(`device logout: device secret ${first.device_secret ? 'issued' : 'missing'}; the second app's exchange answered ${secondResponse.status}; refresh tokens still refreshing after it: ${refreshing.join(', ') || 'none'}`);
  }

  // Memory per outstanding token, with realistic records.
  const memory: { count: number; perToken: number; sample: number }[] = [];
  const redisStore = new RedisStore({ client: store, prefix: 'st:', commandTimeout: 5000 });
  const record = (): TransferRecord => ({
    accountId: 'user-123456', clientId: 'example-native', grantId: generateToken(),
    scope: 'openid offline_access email profile', authTime: 1_795_750_232, amr: ['pwd'], ip: '203.0.113.45',
    userAgent: 'ExampleApp/4.2.1 (iPhone; iOS 18.1; Scale/3.00)', iat: 1_795_750_232, exp: 1_795_750_292,
  });
  for (const count of MEMORY_SIZES) {
    await store.flushdb();
    const used = async () => Number(/used_memory:(\d+)/.exec(await store.info('memory'))![1]);
    const start = await used();
    const hashes: string[] = [];
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, () => hashToken(generateToken()));
      hashes.push(...batch);
      await Promise.all(batch.map((hash) => redisStore.save(hash, record(), 300)));
    }
    const perToken = Math.round((await used() - start) / count);
    const sample = Number(await store.call('MEMORY', 'USAGE', redisStore.key(hashes[0]!)));
    memory.push({ count, perToken, sample });
  }

  const redisVersion = /redis_version:([\d.]+)/.exec(await store.info('server'))![1];
  const versions = await Promise.all(['oidc-provider', '@opentelemetry/api', '@opentelemetry/sdk-metrics', '@opentelemetry/sdk-trace-base']
    .map(async (name) => `${name} ${await version(name)}`));
  const ms = (value: number) => value.toFixed(2);
  const table = [
    '| measure | requests | req/s | p50 ms | p99 ms | mean ms | server CPU ms/request | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...Object.values(rows).map((m) => `| ${m.name} | ${m.requests} | ${m.rps.toFixed(0)} | ${ms(m.p50)} | ${ms(m.p99)} | ${ms(m.mean)} | ${m.cpu === undefined ? '–' : ms(m.cpu)} | ${m.errors} |`),
  ].join('\n');
  const cascadeTable = [
    '| children | redeems: req/s, p50 ms | revocation (cascade included) | sampled sessions signed in before / ended after |',
    '|---|---|---|---|',
    `| ${CHILDREN.toLocaleString('en')} | ${redeemed.rps.toFixed(0)}, ${ms(redeemed.p50)} | ${ms(cascadeSeconds * 1000)} ms (HTTP ${cascadeStatus}) | ${aliveBefore} / ${ended} of ${SAMPLE} |`,
  ].join('\n');
  const deviceTable = [
    '| device logout with children | redeems: req/s, p50 ms | device secret revocation (cascade included) | sampled sessions signed in before / ended after | refresh tokens refused after |',
    '|---|---|---|---|---|',
    `| ${DEVICE_CHILDREN.toLocaleString('en')} | ${device.redeemed.rps.toFixed(0)}, ${ms(device.redeemed.p50)} | ${ms(device.seconds * 1000)} ms (HTTP ${device.status}) | ${device.aliveBefore} / ${device.ended} of ${SAMPLE} | ${refreshing.length ? `not ${refreshing.join(', ')}` : 'both apps\''} |`,
  ].join('\n');

  const mintRatio = ratio((r) => r.mint.rps / r.builtin.rps);
  const redeemRatio = ratio((r) => r.redeem.p50 / r.session.p50);
  /** The rounds' median of a row's server CPU per request over another's; undefined where /proc does not tell. */
  const cpuRatio = (of: Row, to: Row) => (rows[of].cpu === undefined ? undefined : ratio((r) => r[of].cpu! / r[to].cpu!));
  /**
   * Instrumentation on / off, T against U measured together: within 5 % on server CPU per request
   * and on the row's figure of the earlier goal (the mint's throughput, the redeem's p50).
   */
  const instrumentationGoal = (kind: 'mint' | 'redeem', on: Row, off: Row): Goal => {
    const cpu = cpuRatio(on, off);
    const throughput = ratio((r) => r[on].rps / r[off].rps);
    const p50 = ratio((r) => r[on].p50 / r[off].p50);
    const figure = kind === 'mint' ? { name: 'throughput', value: throughput, met: throughput >= 0.95 } : { name: 'p50', value: p50, met: p50 <= 1.05 };
    return {
      figure: `${kind}, instrumentation on / off (SDK registered in both, measured together): server CPU per request; ${figure.name}`,
      measured: `${cpu === undefined ? '–' : cpu.toFixed(3)}; ${figure.value.toFixed(3)} (${kind === 'mint' ? `p50: ${p50.toFixed(3)}` : `throughput: ${throughput.toFixed(3)}`})`,
      goal: kind === 'mint' ? '≤ 1.05; ≥ 0.95' : '≤ 1.05; ≤ 1.05', met: (cpu === undefined || cpu <= 1.05) && figure.met,
    };
  };
  /** The SDK's price with the library's instrumentation (T) and without it (U), against no SDK (A); A is measured alone, T and U together. */
  const sdkPrice = (kind: 'mint' | 'redeem', on: Row, off: Row, none: Row): Goal => ({
    figure: `${kind}, server CPU per request, SDK registered / none: with instrumentation; without`,
    measured: `${cpuRatio(on, none)?.toFixed(3) ?? '–'}; ${cpuRatio(off, none)?.toFixed(3) ?? '–'}`,
    goal: 'a price to read: the SDK\'s own',
  });
  /**
   * Replica acknowledgements on / off, R against N measured together on one master with one
   * replica: a price to read, not a goal (see the report's notes): on loopback a replica
   * acknowledges in well under a millisecond, where a deployment's price is its master-to-replica
   * round trip, and the figure moves by more between runs than the loopback price.
   */
  const acksPrice = (kind: 'mint' | 'redeem', on: Row, off: Row): Goal => {
    const cpu = cpuRatio(on, off);
    const throughput = ratio((r) => r[on].rps / r[off].rps);
    const p50 = ratio((r) => r[on].p50 / r[off].p50);
    const mean = ratio((r) => r[on].mean / r[off].mean);
    const others = `${kind === 'mint' ? `p50: ${p50.toFixed(3)}` : `throughput: ${throughput.toFixed(3)}`}; mean latency: ${mean.toFixed(3)}; server CPU per request: ${cpu?.toFixed(3) ?? '–'}`;
    return {
      figure: `${kind} ${kind === 'mint' ? 'throughput' : 'p50'}, replica acknowledgements on / off (master + replica, measured together)`,
      measured: `${(kind === 'mint' ? throughput : p50).toFixed(3)} (${others}; WAITs per ${kind}: ${waits.on[kind]} on, ${waits.off[kind]} off)`,
      goal: 'a price to read: the guarantee\'s, on loopback',
    };
  };
  /** `met` undefined: a figure to read, not checked. */
  const goals: Goal[] = [
    { figure: 'mint throughput / built-in refresh throughput', measured: mintRatio.toFixed(2), goal: '≥ 0.90', met: mintRatio >= 0.9 },
    {
      figure: 'redeem p50 / session authorization p50',
      measured: `${redeemRatio.toFixed(2)} (mean latency: ${ratio((r) => r.redeem.mean / r.session.mean).toFixed(2)})`,
      goal: '≤ 1.20', met: redeemRatio <= 1.2,
    },
    instrumentationGoal('mint', 'mintOn', 'mintOff'),
    instrumentationGoal('redeem', 'redeemOn', 'redeemOff'),
    sdkPrice('mint', 'mintOn', 'mintOff', 'mint'),
    sdkPrice('redeem', 'redeemOn', 'redeemOff', 'redeem'),
    acksPrice('mint', 'mintAcksOn', 'mintAcksOff'),
    acksPrice('redeem', 'redeemAcksOn', 'redeemAcksOff'),
    { figure: 'Redis commands per mint (library)', measured: JSON.stringify(mintCommands), goal: 'one write (+ the grant\'s mint count, in parallel)' },
    { figure: 'Redis commands per redeem (library)', measured: JSON.stringify(redeemCommands), goal: 'one consuming script (+ lineage)' },
    ...memory.map((m) => ({
      figure: `memory per outstanding token at ${m.count.toLocaleString('en')}`,
      measured: `${m.perToken} B (MEMORY USAGE of one key: ${m.sample} B)`, goal: '≤ 300 B', met: m.perToken <= 300,
    })),
    {
      figure: `cascade of a grant with ${CHILDREN.toLocaleString('en')} children`,
      measured: `${ms(cascadeSeconds * 1000)} ms`, goal: '< 1 s at 10,000', met: quick ? undefined : cascadeSeconds < 1,
    },
    {
      figure: `device logout with ${DEVICE_CHILDREN.toLocaleString('en')} children (Native SSO: device secret revoked)`,
      measured: `${ms(device.seconds * 1000)} ms`, goal: '< 1 s at 1,000', met: device.seconds < 1,
    },
  ];
  const commit = spawnSync('git', ['describe', '--always', '--dirty=+'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  const run: BenchRun = {
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
    commit,
    machine: `${type()} with ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    versions: `Redis ${redisVersion}, ${versions.join(', ')}`,
    loadBefore,
    quick,
    settings: { concurrency: CONCURRENCY, rounds: ROUNDS, duration: DURATION, redeems: REDEEMS, children: CHILDREN, warmUp: WARM_UP },
    rows: Object.values(rows).map(({ name, requests, rps, p50, p99, mean, cpu, errors }) => ({ name, requests, rps, p50, p99, mean, cpu, errors })),
    cascade: { rps: redeemed.rps, p50: redeemed.p50, ms: cascadeSeconds * 1000, status: cascadeStatus, aliveBefore, ended, sample: SAMPLE },
    deviceLogout: {
      children: DEVICE_CHILDREN, rps: device.redeemed.rps, p50: device.redeemed.p50, ms: device.seconds * 1000, status: device.status,
      aliveBefore: device.aliveBefore, ended: device.ended, sample: SAMPLE, stillRefreshing: refreshing,
    },
    goals,
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, `node-${process.versions.node.split('.')[0]}.json`), `${JSON.stringify(run, null, 2)}\n`);
  const runs = await savedRuns(RESULTS);
  await writeFile(OUTPUT, renderReport(runs));
  console.log(`${table}\n\n${cascadeTable}\n\n${deviceTable}\n\n${goals.map((g) => `${g.figure}: ${g.measured} (goal ${g.goal})`).join('\n')}\n\nwritten to ${OUTPUT}, from the results of ${runs.map((r) => r.node).join(', ')}`);
  const missed = goals.filter((g) => g.met === false);
  if (missed.length) console.log(`\ngoals missed: ${missed.map((g) => g.figure).join('; ')}`);
  const failed = [...Object.values(warmUp), ...Object.values(rows)].filter((m) => m.errors > 0).map((m) => m.name);
  if (cascadeErrors) failed.push('cascade');
  if (deviceErrors) failed.push('device logout');
  if (!acksMeasured) failed.push('replica acknowledgements (R waits, N does not)');
  if (failed.length) {
    console.error(`unexpected answers in: ${[...new Set(failed)].join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  await Promise.all(providers.map((p) => p.stop()));
  store.disconnect();
  master.disconnect();
  await Promise.all([storeRedis.stop(), adapterRedis.stop(), cluster.stop(), replicated.stop()]);
  await Promise.all([rm(clusterDir, { recursive: true, force: true }), rm(replicaDir, { recursive: true, force: true })]);
}
