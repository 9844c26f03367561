/**
 * A closed-loop load driver: a fixed number of workers each send a request over a keep-alive
 * connection, wait for the whole answer, and send the next. Throughput is the answered requests
 * over the measured elapsed time and each request's latency is timed in microseconds, so neither
 * figure is quantized (autocannon reports whole-second averages and whole-millisecond percentiles,
 * which over runs of a few seconds make ratios jump).
 */
import { Agent, request as send, type IncomingMessage } from 'node:http';

export const CONCURRENCY = 10;

export interface Request {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface Load {
  /** Stops after this many seconds, or after this many requests. */
  duration?: number;
  amount?: number;
  /** The i-th request of the run, for the measure `part` (`driveSplit`; 0 otherwise). */
  request: (i: number, part: number) => Request;
  /** Whether an answer is the expected one. */
  check: (response: IncomingMessage, i: number) => boolean;
}

/**
 * Latencies in milliseconds, with microsecond precision. `latencies` (sorted) and `elapsed`
 * (seconds) let several runs of one measure be merged into one (see `merge`).
 */
export interface Measure {
  name: string; requests: number; rps: number; p50: number; p99: number; mean: number; errors: number;
  latencies: Float64Array; elapsed: number;
}

/** Sends one request and reads its answer to the end. */
function exchange(agent: Agent, { url, method = 'GET', headers = {}, body }: Request): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const length: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const outgoing = send(url, { agent, method, headers: { ...headers, ...length } }, (response) => {
      response.on('error', reject).on('end', () => resolve(response)).resume();
    });
    outgoing.on('error', reject).end(body);
  });
}

const percentile = (sorted: Float64Array, q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

/** A measure from its (sorted) latencies, elapsed seconds and errors. */
function measure(name: string, sorted: Float64Array, elapsed: number, errors: number): Measure {
  return {
    name,
    requests: sorted.length,
    rps: sorted.length / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.reduce((sum, latency) => sum + latency, 0) / sorted.length,
    errors,
    latencies: sorted,
    elapsed,
  };
}

/** Several runs of one measure as one: requests over the summed elapsed time, percentiles over all latencies. */
export function merge(parts: Measure[]): Measure {
  const latencies = new Float64Array(parts.reduce((sum, m) => sum + m.latencies.length, 0));
  let offset = 0;
  for (const m of parts) {
    latencies.set(m.latencies, offset);
    offset += m.latencies.length;
  }
  return measure(parts[0]!.name, latencies.sort(), parts.reduce((sum, m) => sum + m.elapsed, 0), parts.reduce((sum, m) => sum + m.errors, 0));
}

export async function drive(name: string, load: Load): Promise<Measure> {
  return (await driveSplit([name], load))[0]!;
}

/**
 * Several measures at the same moments, so what else the machine does weighs on each alike: the
 * workers are shared out among `names` (worker w serves `names[w % names.length]` throughout), so
 * each measure keeps its own requests in flight and a slower server is not handed more of them.
 * Throughput is each measure's requests over the shared elapsed time.
 */
export async function driveSplit(names: string[], { duration, amount, request, check }: Load): Promise<Measure[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[][] = names.map(() => []);
  const unexpected: Record<string, number>[] = names.map(() => ({}));
  let started = 0;
  const start = process.hrtime.bigint();
  const deadline = duration === undefined ? undefined : start + BigInt(Math.round(duration * 1e9));
  const worker = async (part: number) => {
    while ((amount === undefined || started < amount) && (deadline === undefined || process.hrtime.bigint() < deadline)) {
      const i = started++;
      const sent = process.hrtime.bigint();
      let outcome: string | undefined;
      try {
        const response = await exchange(agent, request(i, part));
        if (!check(response, i)) outcome = `${response.statusCode} ${response.headers.location ?? ''}`.trim();
      } catch (err) {
        outcome = (err as Error).message;
      }
      latencies[part]!.push(Number(process.hrtime.bigint() - sent) / 1e6);
      if (outcome) unexpected[part]![outcome] = (unexpected[part]![outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w % names.length)));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return names.map((name, part) => {
    const errors = Object.values(unexpected[part]!).reduce((sum, count) => sum + count, 0);
    if (errors) console.error(name, 'answered unexpectedly:', JSON.stringify(unexpected[part]).slice(0, 500));
    return measure(name, Float64Array.from(latencies[part]!).sort(), elapsed, errors);
  });
}
