import type { Cluster, Redis } from 'ioredis';

import { StoreUnavailableError } from '../errors.js';

/** ioredis client states in which a command may be sent (or queued for a first connection). */
const SENDABLE = new Set(['ready', 'wait', 'connecting', 'connect']);

/**
 * Runs one Redis command with a deadline. A client that has lost its connection fails at once
 * instead of queueing the command, so no request waits on a Redis that is down; one still making
 * its first connection gets the deadline. Failures become `StoreUnavailableError`.
 */
export async function withDeadline<T>(client: Redis | Cluster, command: string, timeout: number, send: () => Promise<T>): Promise<T> {
  if (!SENDABLE.has(client.status)) {
    throw new StoreUnavailableError(`redis ${command} not sent: client is ${client.status}`);
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`redis ${command} timed out after ${timeout} ms`)), timeout);
  });
  const sent = send();
  // Past the deadline the command may still fail later; that is expected, not unhandled.
  sent.catch(() => undefined);
  try {
    return await Promise.race([sent, deadline]);
  } catch (cause) {
    if (cause instanceof StoreUnavailableError) throw cause;
    throw new StoreUnavailableError(`redis ${command} failed`, { cause });
  } finally {
    clearTimeout(timer);
  }
}
