/**
 * `npm run bench` (`-- --quick` for the small variant CI runs): measures the mint against
 * oidc-provider's built-in refresh_token grant, and the redeem against an authorization request
 * over an existing session, in the same run on the same provider and Redis; counts the library's
 * Redis commands and memory per token. Writes BENCHMARKS.md and prints a short table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem, type } from 'node:os';
import { dirname } from 'node:path';

import autocannon from 'autocannon';
import { Redis } from 'ioredis';

import { Browser } from '../examples/browser.js';
import { authorizeInteractively } from '../examples/native/sign-in.js';
import { RedisStore, type TransferRecord } from '../lib/index.js';
import { generateToken, hashToken } from '../lib/token.js';
import { startRedisServer } from '../__tests__/helpers/redis-server.js';

const quick = process.argv.includes('--quick');
/** Each comparison alternates its two sides over several rounds; figures are medians. */
const ROUNDS = quick ? 1 : 5;
const DURATION = quick ? 1 : 4;
const CONNECTIONS = 10;
const REDEEMS = quick ? 300 : 2000;
const MEMORY_SIZES = quick ? [1_000, 10_000] : [1_000, 100_000];
const OUTPUT = quick ? 'test-output/bench/BENCHMARKS.md' : 'BENCHMARKS.md';
const AUDIENCE = 'urn:localhost:3000:session_transfer';
const WEB = { client_id: 'example-web', redirect_uri: 'http://localhost:3001/callback', scope: 'openid' };

interface Measure { name: string; requests: number; rps: number; p50: number; p99: number; mean: number; errors: number }

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/** One row from several rounds of the same measure: totals summed, figures the rounds' medians. */
function combine(rounds: Measure[]): Measure {
  return {
    name: rounds[0]!.name,
    requests: rounds.reduce((sum, m) => sum + m.requests, 0),
    rps: median(rounds.map((m) => m.rps)),
    p50: median(rounds.map((m) => m.p50)),
    p99: median(rounds.map((m) => m.p99)),
    mean: median(rounds.map((m) => m.mean)),
    errors: rounds.reduce((sum, m) => sum + m.errors, 0),
  };
}

const [storeRedis, adapterRedis] = await Promise.all([startRedisServer(), startRedisServer()]);
const store = new Redis(storeRedis.url);
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts'], {
  env: { ...process.env, STORE_REDIS_URL: storeRedis.url, ADAPTER_REDIS_URL: adapterRedis.url, NODE_OPTIONS: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = await once(child.stdout!, 'data') as [Buffer];
const base = `http://127.0.0.1:${/listening (\d+)/.exec(String(line))![1]}`;

try {
  // A native login for bench-native, and a browser session for example-web.
  const nativeBrowser = new Browser();
  const callback = await authorizeInteractively(nativeBrowser, `${base}/auth?${new URLSearchParams({
    client_id: 'bench-native', response_type: 'code', redirect_uri: 'https://bench.example/cb', scope: 'openid offline_access',
  })}`, { login: 'demo@example.com', password: 'demo', redirectUri: 'https://bench.example/cb' });
  const code = callback.searchParams.get('code')!;
  const basic = `Basic ${Buffer.from('bench-native:bench-secret').toString('base64')}`;
  const exchanged = await (await fetch(`${base}/token`, {
    method: 'POST', headers: { authorization: basic },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://bench.example/cb' }),
  })).json() as { refresh_token: string };
  const refreshToken = exchanged.refresh_token;
  const webBrowser = new Browser();
  await authorizeInteractively(webBrowser, `${base}/auth?${new URLSearchParams({ ...WEB, response_type: 'code' })}`, {
    login: 'demo@example.com', password: 'demo', redirectUri: WEB.redirect_uri,
  });
  const sessionCookie = webBrowser.cookieHeader(base);

  const tokenRequest = (extra: Record<string, string>) => ({
    path: '/token',
    method: 'POST' as const,
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }).toString(),
  });

  type Load = Partial<autocannon.Options> & { path?: string };
  async function measure(name: string, options: Load, expected: number): Promise<Measure> {
    const result = await autocannon({ url: `${base}${options.path ?? ''}`, connections: CONNECTIONS, ...options } as autocannon.Options);
    const wrong = Object.entries(result.statusCodeStats ?? {}).filter(([status]) => Number(status) !== expected)
      .reduce((sum, [, { count = 0 }]) => sum + count, 0);
    if (wrong) console.error(name, 'answered', JSON.stringify(result.statusCodeStats));
    return {
      name,
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.average,
      errors: result.errors + result.timeouts + wrong,
    };
  }

  async function commandsPer(run: () => Promise<void>, times: number): Promise<Record<string, number>> {
    const stats = async () => Object.fromEntries(
      (await store.info('commandstats')).split('\r\n').flatMap((row) => {
        const match = /^cmdstat_(\w+):calls=(\d+)/.exec(row);
        return match ? [[match[1]!, Number(match[2])]] : [];
      }),
    ) as Record<string, number>;
    const before = await stats();
    for (let i = 0; i < times; i += 1) await run();
    const after = await stats();
    return Object.fromEntries(Object.entries(after)
      .map(([command, calls]) => [command, (calls - (before[command] ?? 0)) / times] as const)
      .filter(([command, per]) => per > 0 && !['info'].includes(command)));
  }

  const mintOnce = async () => {
    const { path, ...init } = tokenRequest({ audience: AUDIENCE });
    const response = await fetch(`${base}${path}`, init);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const redeemPath = (token: string) => `/auth?${new URLSearchParams({ ...WEB, response_type: 'code', prompt: 'none', session_transfer_token: token })}`;

  // Warm-up, then mint vs the built-in refresh grant.
  await measure('warm-up', { duration: 1, ...tokenRequest({ audience: AUDIENCE }) }, 200);
  await measure('warm-up', { duration: 1, ...tokenRequest({}) }, 200);
  const pool: string[] = [];
  while (pool.length < REDEEMS * ROUNDS) pool.push(...await Promise.all(Array.from({ length: 20 }, mintOnce)));
  let next = 0;
  const rounds: Measure[][] = [[], [], [], []];
  const ratios = { mint: [] as number[], redeem: [] as number[], redeemMean: [] as number[] };
  for (let round = 0; round < ROUNDS; round += 1) {
    // Mint vs the built-in refresh grant, then redeem vs an authorization over an existing session.
    const builtin = await measure('refresh_token grant (built-in)', { duration: DURATION, ...tokenRequest({}) }, 200);
    const minting = await measure('mint (refresh_token + session_transfer audience)', { duration: DURATION, ...tokenRequest({ audience: AUDIENCE }) }, 200);
    const session = await measure('authorization over an existing session', {
      amount: REDEEMS, path: `/auth?${new URLSearchParams({ ...WEB, response_type: 'code', prompt: 'none' })}`, headers: { cookie: sessionCookie },
    }, 303);
    const redeeming = await measure('redeem (authorization with a token)', {
      amount: REDEEMS, requests: [{ setupRequest: (request) => ({ ...request, path: redeemPath(pool[next++]!) }) }],
    }, 303);
    [builtin, minting, session, redeeming].forEach((m, i) => rounds[i]!.push(m));
    ratios.mint.push(minting.rps / builtin.rps);
    ratios.redeem.push(redeeming.p50 / session.p50);
    ratios.redeemMean.push(redeeming.mean / session.mean);
  }
  const [builtin, minting, session, redeeming] = rounds.map(combine) as [Measure, Measure, Measure, Measure];

  // The library's Redis commands per operation, on the store's own Redis.
  const mintCommands = await commandsPer(async () => { await mintOnce(); }, 50);
  const redeemTokens = await Promise.all(Array.from({ length: 50 }, mintOnce));
  const redeemCommands = await commandsPer(async () => { await (await fetch(`${base}${redeemPath(redeemTokens.pop()!)}`, { redirect: 'manual' })).body?.cancel(); }, 50);

  // Memory per outstanding token, with realistic records.
  const memory: { count: number; perToken: number; sample: number }[] = [];
  const redisStore = new RedisStore({ client: store, prefix: 'st:', commandTimeout: 5000 });
  const record = (): TransferRecord => ({
    accountId: 'user-123456', clientId: 'example-native', grantId: generateToken(), refreshTokenHash: hashToken(generateToken()),
    scope: 'openid offline_access email profile', authTime: 1_795_750_232, amr: ['pwd'], ip: '203.0.113.45',
    userAgent: 'ExampleApp/4.2.1 (iPhone; iOS 18.1; Scale/3.00)', iat: 1_795_750_232, exp: 1_795_750_292,
  });
  for (const count of MEMORY_SIZES) {
    await store.flushdb();
    const used = async () => Number(/used_memory:(\d+)/.exec(await store.info('memory'))![1]);
    const before = await used();
    const hashes: string[] = [];
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, () => hashToken(generateToken()));
      hashes.push(...batch);
      await Promise.all(batch.map((hash) => redisStore.save(hash, record(), 300)));
    }
    const perToken = Math.round((await used() - before) / count);
    const sample = Number(await store.call('MEMORY', 'USAGE', redisStore.key(hashes[0]!)));
    memory.push({ count, perToken, sample });
  }

  const redisVersion = /redis_version:([\d.]+)/.exec(await store.info('server'))![1];
  const rows = [builtin, minting, session, redeeming];
  const table = [
    '| measure | requests | req/s | p50 ms | p99 ms | mean ms | errors |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((m) => `| ${m.name} | ${m.requests} | ${m.rps.toFixed(0)} | ${m.p50} | ${m.p99} | ${m.mean.toFixed(2)} | ${m.errors} |`),
  ].join('\n');
  const goals = [
    `| mint throughput / built-in refresh throughput | ${median(ratios.mint).toFixed(2)} | ≥ 0.90 |`,
    `| redeem p50 / session authorization p50 | ${median(ratios.redeem).toFixed(2)} (mean latency: ${median(ratios.redeemMean).toFixed(2)}) | ≤ 1.20 |`,
    `| Redis commands per mint (library) | ${JSON.stringify(mintCommands)} | one write (+ the grant's mint count, in parallel) |`,
    `| Redis commands per redeem (library) | ${JSON.stringify(redeemCommands)} | one consuming script (+ lineage) |`,
    ...memory.map((m) => `| memory per outstanding token at ${m.count.toLocaleString('en')} | ${m.perToken} B (MEMORY USAGE of one key: ${m.sample} B) | ≤ 400 B |`),
  ].join('\n');
  const report = `# Benchmarks

${quick ? '_Quick variant (CI): short runs, for the script not to rot; the figures mean little._\n\n' : ''}Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${type()} with ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${redisVersion}, oidc-provider 9.13.3.
The provider runs in its own process (its adapter on one Redis, the library's store on another, so the
store's figures are the library's alone); autocannon drives it over loopback with ${CONNECTIONS} connections,
after a warm-up, in ${ROUNDS} round(s) that alternate the two sides of each comparison: ${DURATION} s per
token-endpoint measure and ${REDEEMS} requests per authorization measure each round. Rows show the
rounds' medians (requests: totals); each ratio is the median of the rounds' ratios.

## Throughput and latency

${table}

## Against the goals

| figure | measured | goal |
|---|---|---|
${goals}

Notes:
- Commands are counted on the library's own Redis (\`INFO commandstats\` deltas over 50 operations);
  commands run inside a Lua script are counted too. A mint is one \`SET … EX … NX\` and, in
  parallel, the grant's mint count (one \`EVALSHA\`: \`INCR\`, \`EXPIRE\` on the window's first).
  A redeem is one consuming script (\`EVALSHA\`: \`GET\`, \`PTTL\`, and the replay marker's \`SET\`)
  plus what cascade revocation needs, written in parallel: the session's record (\`SET\`) and its
  place in the native grant's lineage (one \`EVALSHA\`: \`TIME\`, \`ZREMRANGEBYSCORE\`, \`ZSCORE\`,
  \`ZCARD\`, \`ZADD\`, \`TTL\`, \`EXPIRE\` when the key's TTL grows). A web client with
  \`enforce_online_refresh_tokens: false\` adds one more \`EVALSHA\` (its grant, whose tokens can
  outlive the session).
- The redeem's baseline reuses a session and a grant; the redeem creates both (oidc-provider writes
  a session, a grant and the code), and the library adds three sequential round trips (the consuming
  read, the parent grant's lookup, the lineage writes). That is where its extra latency goes.
- Memory: "per outstanding token" is the growth of \`used_memory\` divided by the number of tokens,
  which includes Redis's expiry index and hash-table slack; \`MEMORY USAGE\` is one key's own cost.
- Both sides of each comparison run in the same process, against the same Redis, in the same run.
`;
  await mkdir(dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, report);
  console.log(`${table}\n\n| figure | measured | goal |\n|---|---|---|\n${goals}\n\nwritten to ${OUTPUT}`);
  const failed = rows.filter((m) => m.errors > 0);
  if (failed.length) {
    console.error(`unexpected answers in: ${failed.map((m) => m.name).join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  child.kill('SIGTERM');
  store.disconnect();
  await Promise.all([storeRedis.stop(), adapterRedis.stop()]);
  spawnSync('true');
}
