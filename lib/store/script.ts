import { createHash } from 'node:crypto';

import type { Cluster, Redis } from 'ioredis';

/**
 * The Buffer-reply variants of EVALSHA and EVAL, which ioredis (5 and 6) has at run time but 6
 * leaves out of its types. (`callBuffer` would do, but loses the command name under
 * `enableAutoPipelining`.)
 */
interface BufferScripting {
  evalshaBuffer(...args: (string | number)[]): Promise<unknown>;
  evalBuffer(...args: (string | number)[]): Promise<unknown>;
}

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

  /** As `run`, with string replies as Buffers (binary values). */
  runBuffer(client: Redis | Cluster, keys: string[], ...args: (string | number)[]): Promise<unknown> {
    const buffered = client as unknown as BufferScripting;
    return this.#send(
      () => buffered.evalshaBuffer(this.#sha, keys.length, ...keys, ...args),
      () => buffered.evalBuffer(this.#source, keys.length, ...keys, ...args),
    );
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
