import { createHash } from 'node:crypto';

import type { Cluster, Redis } from 'ioredis';

import type { ReplicaAckPolicy } from './replica-acks.js';

/** A Lua script run by its SHA (EVALSHA), sent whole only when Redis does not know it yet. */
export class Script {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script on `keys` (in one Cluster slot: they share a hash tag) with `args`. */
  run(client: Redis | Cluster, keys: string[], ...args: (string | number)[]): Promise<unknown> {
    return this.#send(() => client.evalsha(this.#sha, keys.length, ...keys, ...args), () => client.eval(this.#source, keys.length, ...keys, ...args));
  }

  /**
   * As `run`, sent through `policy`: followed on the same connection by `WAIT` when the first
   * key's master has replicas to wait for. With `buffer`, string replies come as Buffers.
   */
  async runAcknowledged(policy: ReplicaAckPolicy, keys: string[], args: (string | number)[], buffer = false): Promise<unknown> {
    const send = (whole: boolean) => policy.send(keys[0]!, whole ? 'EVAL' : 'EVALSHA', (pipeline) => {
      // The Buffer-reply variants (binary values) are there at run time; ioredis 6 leaves them out
      // of its types. (`callBuffer` would do, but loses the command name under `enableAutoPipelining`.)
      const commands = pipeline as unknown as Record<string, (...args: (string | number)[]) => unknown>;
      commands[`${whole ? 'eval' : 'evalsha'}${buffer ? 'Buffer' : ''}`]!(whole ? this.#source : this.#sha, keys.length, ...keys, ...args);
    });
    const [reply] = await this.#send(() => send(false), () => send(true)) as unknown[];
    return reply;
  }

  async #send(bySha: () => Promise<unknown>, whole: () => Promise<unknown>): Promise<unknown> {
    try {
      return await bySha();
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return whole();
    }
  }
}
