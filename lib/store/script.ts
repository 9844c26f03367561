import { createHash } from 'node:crypto';

import type { Cluster, Redis } from 'ioredis';

/** A Lua script run by its SHA (EVALSHA), sent whole only when Redis does not know it yet. */
export class Script {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis | Cluster, key: string, ...args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.#source, 1, key, ...args);
    }
  }
}
