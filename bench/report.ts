/**
 * BENCHMARKS.md from the results of several runs of bench/run.ts, one per Node line, side by side.
 * Each run saves its results as JSON (`node-<major>.json` in its directory) and renders the report
 * from every result there, so three runs one after another (Node 22, 24, 26) make one report.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One measure's row: requests (total), req/s, latencies (ms) and server CPU per request (ms), each the rounds' median. */
export interface RowFigure {
  name: string; requests: number; rps: number; p50: number; p99: number; mean: number; cpu?: number; errors: number;
}

/** A figure against its goal; `met` undefined: a figure to read, not checked. */
export interface Goal {
  figure: string; measured: string; goal: string; met?: boolean;
}

/** What one run of bench/run.ts saves. */
export interface BenchRun {
  /** `process.version` of the run. */
  node: string;
  date: string;
  /** The commit measured (`+` when the work tree differed from it). */
  commit: string;
  machine: string;
  /** Redis, oidc-provider and OpenTelemetry versions. */
  versions: string;
  loadBefore: number;
  quick: boolean;
  settings: {
    concurrency: number; rounds: number; duration: number; redeems: number; children: number;
    warmUp: { mints: number; refreshes: number; sessions: number; redeems: number };
  };
  rows: RowFigure[];
  cascade: { rps: number; p50: number; ms: number; status: number; aliveBefore: number; ended: number; sample: number };
  /**
   * The device logout (Native SSO): `children` web sessions under one device session, its device
   * secret revoked; `stillRefreshing`, the apps whose refresh token was not refused after it.
   * Absent from runs saved before it was measured.
   */
  deviceLogout?: {
    children: number; rps: number; p50: number; ms: number; status: number; aliveBefore: number; ended: number; sample: number; stillRefreshing: string[];
  };
  goals: Goal[];
}

/** The runs saved in `dir`, oldest Node line first. */
export async function savedRuns(dir: string): Promise<BenchRun[]> {
  const files = (await readdir(dir)).filter((name) => /^node-\d+\.json$/.test(name));
  const runs = await Promise.all(files.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as BenchRun));
  return runs.sort((a, b) => major(a) - major(b));
}

const major = (run: BenchRun) => Number(/^v(\d+)/.exec(run.node)![1]);
const ms = (value: number) => value.toFixed(2);
const met = (goal: Goal) => (goal.met === undefined ? '' : goal.met ? ' (met)' : ' (**not met**)');
/** Every run's names (`of` a run) in order: the runs', oldest Node line first, each name once. */
const union = (runs: BenchRun[], of: (run: BenchRun) => string[]) => [...new Set(runs.flatMap(of))];
const table = (header: string[], rows: string[][]) => [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

export function renderReport(runs: BenchRun[]): string {
  const [first] = runs;
  if (!first) throw new Error('no bench results to report');
  const { settings, quick } = first;
  const nodes = runs.map((run) => `Node ${run.node}`);
  // Rows and goals are matched by name: a run saved before a row or goal was added shows '–'.
  const goals = table(['figure', 'goal', ...nodes], union(runs, (run) => run.goals.map((g) => g.figure)).map((figure) => [
    figure, runs.flatMap((run) => run.goals.filter((g) => g.figure === figure))[0]!.goal, ...runs.map((run) => {
      const goal = run.goals.find((g) => g.figure === figure);
      return goal ? `${goal.measured}${met(goal)}` : '–';
    }),
  ]));
  const summary = table(['measure', ...nodes.map((node) => `${node}: req/s, p50 ms, server CPU ms/request`)], union(runs, (run) => run.rows.map((r) => r.name)).map((name) => [
    name, ...runs.map((run) => {
      const m = run.rows.find((r) => r.name === name);
      return m ? `${m.rps.toFixed(0)}, ${ms(m.p50)}, ${m.cpu === undefined ? '–' : ms(m.cpu)}` : '–';
    }),
  ]));
  const details = runs.map((run) => `### Node ${run.node}

${table(['measure', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'server CPU ms/request', 'errors'], run.rows.map((m) => [
    m.name, String(m.requests), m.rps.toFixed(0), ms(m.p50), ms(m.p99), ms(m.mean), m.cpu === undefined ? '–' : ms(m.cpu), String(m.errors),
  ]))}`).join('\n\n');
  const cascade = table(['Node', 'children', 'redeems: req/s, p50 ms', 'revocation (cascade included)', 'sampled sessions signed in before / ended after'], runs.map((run) => [
    run.node, run.settings.children.toLocaleString('en'), `${run.cascade.rps.toFixed(0)}, ${ms(run.cascade.p50)}`,
    `${ms(run.cascade.ms)} ms (HTTP ${run.cascade.status})`, `${run.cascade.aliveBefore} / ${run.cascade.ended} of ${run.cascade.sample}`,
  ]));
  const deviceLogout = table(['Node', 'device logout with children', 'redeems: req/s, p50 ms', 'device secret revocation (cascade included)', 'sampled sessions signed in before / ended after', 'refresh tokens refused after'], runs.map((run) => {
    const d = run.deviceLogout;
    return d ? [
      run.node, d.children.toLocaleString('en'), `${d.rps.toFixed(0)}, ${ms(d.p50)}`, `${ms(d.ms)} ms (HTTP ${d.status})`,
      `${d.aliveBefore} / ${d.ended} of ${d.sample}`, d.stillRefreshing.length ? `not ${d.stillRefreshing.join(', ')}` : 'both apps\'',
    ] : [run.node, '–', '–', '–', '–', '–'];
  }));

  return `# Benchmarks

${quick ? '_Quick variant (CI): short runs, for the script not to rot; the figures mean little._\n\n' : ''}Made by \`npm run bench\`, once on each Node line, one run after another on one machine: ${first.machine}; ${first.versions}.
${runs.map((run) => `Node ${run.node}: ${run.date}, commit ${run.commit}, load average (1 min) before the run ${run.loadBefore.toFixed(1)}.`).join('\n')}

Each provider runs in its own process: A, B, T and U share two Redis servers (oidc-provider's adapter on
one, the library's store on the other, so the store's figures are the library's alone); T and U have
OpenTelemetry's SDK registered (metrics collected every second, every span sampled and exported
in batches, to exporters that discard them), and U has the library's instrumentation off
(\`telemetry: false\`); C keeps both on a local three-master Redis Cluster. R and N keep both on a
third Redis server, which has a replica (a fourth server started with \`--replicaof\`, linked up
before the providers start): R with \`replicaAcks\` at its default (\`'auto'\`, which waits for
one replica since the master reports one), N with \`replicaAcks: false\` in both its store and its adapter.
A closed-loop driver (bench/load.ts) keeps ${settings.concurrency} requests in flight over keep-alive loopback
connections, timing each request in microseconds; req/s is the requests answered over the
elapsed time. First every process serves the same warm-up, all seven at once (${settings.warmUp.mints.toLocaleString('en')} mints,
${settings.warmUp.refreshes} refreshes, ${settings.warmUp.sessions} authorizations over a session, ${settings.warmUp.redeems.toLocaleString('en')} redeems${quick ? '; B, C, R and N half of it' : ''}): a fresh
process serves its first mints at about twice the CPU per request it settles at after some 3,000,
and a process warmed less than the one it is compared with looks slower. Then ${settings.rounds} round(s) each
run every measure twice, in table order then in the reverse order, on half of ${settings.duration} s per
token-endpoint measure or of ${settings.redeems} requests per authorization measure each time; the two halves
are merged. The two sides of every comparison thus sit symmetrically in the round, and a drift
(the machine's other work, what is left of the warm-up) weighs on both alike. Instrumentation on
and off are measured together, T and U each with half of the ${settings.concurrency} requests in flight, since two
identical processes measured one after the other differed by up to 6 % on this shared machine; so are
replica acknowledgements on and off, R and N. Tokens are minted
before the round, as many through A as through T and U (and some through B, or C for C's, or R and N for theirs). Rows
show the rounds' medians (requests: totals); each ratio is the median of the rounds' ratios.
Server CPU per request is the CPU time the row's provider processes used over its requests, read
from the scheduler's account of each of their threads (\`/proc/<pid>/task/<tid>/schedstat\`, in
nanoseconds); it barely depends on what else the machine runs, and counts neither the driver nor
Redis.

## Against the goals

${goals}

## Throughput and latency

${summary}

${details}

## Cascade

One native login on A, ${settings.children.toLocaleString('en')} redeems of its tokens (each into a new browser
session), then its refresh token revoked at the revocation endpoint; the cascade runs, and is
timed, inside that request. An even sample of the sessions is checked with their cookies: a
silent authorization signs in before the revocation, and does not after.

${cascade}

## Device logout

Native SSO on A: one device session (an app's sign-in with \`device_sso\`, which returns a device
secret), a second app signed in from it by the token exchange, then browser sessions from
redeems of transfer tokens the second app minted, half from the device secret (each session a
child of the device session) and half from its refresh token (children of its grant, itself a
child of the device session); then the device secret revoked at the revocation endpoint
(\`token_type_hint=device_secret\`), which ends the device session and cascades to all of them;
it is timed, cascade included, inside that request. An even sample of the sessions, from both
halves, is checked as for the cascade, and both apps' refresh tokens must be refused after it.

${deviceLogout}

## Notes

- What the library emits, with its instrumentation on: per mint and per redeem one span
  (\`session_transfer.mint\`, \`session_transfer.redeem\`; not made active), whose attributes hold
  the time of each of its store calls (\`session_transfer.store.<operation>.duration\`), and two
  metric records: the operation's duration and its outcome's counter (\`tokens.issued\`,
  \`tokens.redeemed\`, …). Until this release each store call was also a child span of its own
  and a record of a \`session_transfer.store.duration\` histogram (three spans and four records
  per operation).
- Commands are counted on the library's own Redis (\`INFO commandstats\` deltas over 50 operations);
  commands run inside a Lua script are counted too. A mint is one \`SET … EX … NX\` and, in
  parallel, the grant's mint count (one \`EVALSHA\`: \`INCR\`, \`EXPIRE\` on the window's first).
  A redeem is one consuming script (\`EVALSHA\`: \`GET\`, and the replay marker's \`SET … KEEPTTL\`),
  then, where the transfer takes effect, the session's place in the native grant's lineage with
  its record (one \`EVALSHA\`: \`GET\` of the grant's void mark, which is the parent check, then
  \`TIME\`, \`ZREMRANGEBYSCORE\`, \`ZSCORE\`, \`ZCARD\`, \`ZADD\`, \`TTL\`, \`EXPIRE\` when the key's TTL
  grows, and the record's \`SET\`; on a Cluster the record's \`SET\` is a command of its own). A
  web client with \`enforce_online_refresh_tokens: false\` adds one more \`EVALSHA\` (its grant,
  whose tokens can outlive the session).
- The redeem's baseline reuses a session and a grant; the redeem creates both (oidc-provider
  builds a session and a grant and writes them, with the code), and the library adds two
  commands in two round trips of its own (the consume; the lineage with the record). Those, and
  oidc-provider's new session and grant, are where its extra latency goes. Both sides write
  through the library's \`redisAdapter\`.
- A redeem counts as answered as expected only when it redirects with a code: a refused token
  redirects too, with an error.
- Instrumentation on / off compares T with U: both have OpenTelemetry's SDK registered, as a
  deployment that collects anything has, and differ only by the library's \`telemetry\` option,
  so the figure is what the library's spans and metrics cost. Their goal holds both the server
  CPU per request and the earlier goal's figure (the mint's throughput, the redeem's p50) to 5 %. T and U against A (no SDK) is the SDK's own price, paid
  whatever it records: its exports run under a suppressed-tracing async context, which turns on
  Node's async context tracking for every promise the process makes. It is read on server CPU
  per request only, and reads somewhat high: A is measured alone, T and U while they share the
  machine. The SDK's batched work runs when its timers fire, during whichever measure runs then.
- Replica acknowledgements on / off compares R with N, measured together (as T and U) on one
  master with one replica, both on loopback; the two differ only by \`replicaAcks\`. Each mint of
  R's sends one \`WAIT 1 250\` (pipelined after the token's \`SET\`, on the same connection) and
  each redeem two (after the consume, after the lineage script, which run one after the other);
  N's send none. The run counts them on the master (\`INFO commandstats\`, 50 of each through R
  and through N) and fails where R does not wait or N does. A \`WAIT\` returns once the replica
  has acknowledged the write: on loopback, after the replica's next turn of its event loop, which
  on a machine this busy (seven providers, seven Redis servers and the driver on two cores) is
  mostly scheduling. In a deployment it is the master-to-replica round trip, paid once per mint
  and twice per redeem (one after the other), which these rows do not show. They are therefore a
  price to read, not a goal: what they measure is this machine's scheduling of a replica process,
  neither a floor nor a ceiling for a deployment's replica, so a bound on it would check the
  machine; the issue asked for the price to be measured. The redeem's server CPU per request also
  rises with acknowledgements on, by more than two more commands in pipelines that exist either
  way would explain; a process whose requests wait longer serves fewer of them per turn of its
  event loop, which may be the rest (not measured apart). A's, B's, T's and U's servers have no
  replica: there \`'auto'\` waits for none (it asks the master, \`INFO replication\`, again every
  10 s), so their rows and the command counts above carry no \`WAIT\`.
- Memory: "per outstanding token" is the growth of \`used_memory\` divided by the number of tokens,
  which includes Redis's expiry index and hash-table slack; \`MEMORY USAGE\` is one key's own cost.
`;
}
