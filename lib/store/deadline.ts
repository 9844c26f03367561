import type { Cluster, Redis } from 'ioredis';

import { StoreUnavailableError } from '../errors.js';

/** ioredis client states in which a command may be sent (or queued for a first connection). */
const SENDABLE = new Set(['ready', 'wait', 'connecting', 'connect']);

/**
 * Runs one Redis command with a deadline. A client that has lost its connection fails at once
 * instead of queueing the command, so no request waits on a Redis that is down; one still making
 * its first connection gets the deadline. Failures become `StoreUnavailableError`.
 */
export function withDeadline<T>(client: Redis | Cluster, command: string, timeout: number, send: () => Promise<T>): Promise<T> {
  if (!SENDABLE.has(client.status)) {
    return Promise.reject(new StoreUnavailableError(`redis ${command} not sent: client is ${client.status}`));
  }
  // One promise and one timer per command: the cascade sends tens of thousands at once.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError(`redis ${command} timed out after ${timeout} ms`)), timeout);
    const fail = (cause: unknown) => {
      clearTimeout(timer);
      reject(cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError(`redis ${command} failed`, { cause }));
    };
    let sent: Promise<T>;
    try {
      sent = send();
    } catch (cause) {
      fail(cause);
      return;
    }
    // Past the deadline the command may still settle later; that is expected, and ignored.
    sent.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, fail);
  });
}
