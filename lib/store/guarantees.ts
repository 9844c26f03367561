import type { RedisTopology, ReplicaAcks } from './replica-acks.js';
import { RedisStore } from './redis-store.js';
import type { TransferStore } from './store.js';

/**
 * What a Redis failover can undo of the library's writes, as `transfer.guarantees()` finds it.
 * @category Storage
 */
export interface StorageGuarantees {
  /** Where tokens are kept: a Redis topology, or a custom store (`options.store`). */
  topology: RedisTopology | 'custom store';
  /** The `replicaAcks` setting in force (`false` for a custom store). */
  replicaAcks: ReplicaAcks;
  /** Masters the writes go to (1 off a Cluster), and of them how many the writes wait for a replica of now. */
  masters: number;
  waiting: number;
  /** The same, in one sentence for a start-up log. */
  summary: string;
}

const SAFETY_WRITES = 'token saves and consumes, lineage writes and revocation marks';

function summarize({ topology, replicaAcks, masters, waiting }: Omit<StorageGuarantees, 'summary'>): string {
  if (topology === 'custom store') return 'tokens are in a custom store: its own durability applies (MemoryStore: one process, lost on restart)';
  const where = topology === 'cluster' ? `Redis Cluster (${masters} masters)` : `Redis (${topology})`;
  if (!replicaAcks) {
    return `${where}: replica acknowledgements are off (replicaAcks: false): a failover can undo ${SAFETY_WRITES}; a consumed token may then redeem again`;
  }
  const wait = `${SAFETY_WRITES} wait for ${replicaAcks.replicas === 'auto' ? 1 : replicaAcks.replicas} replica acknowledgement(s) within ${replicaAcks.timeout} ms, and fail closed without`;
  if (waiting === masters) return `${where}: ${wait}: a failover to an acknowledging replica undoes none of them`;
  const unreplicated = topology === 'cluster' ? `${masters - waiting} of ${masters} masters have` : 'the master has';
  return `${where}: ${unreplicated} no replica (replicaAcks 'auto'), so writes there wait for none: nothing can be promoted over them. `
    + `Once a replica connects, ${wait}`;
}

/** What the store's writes survive, read from the store and, for Redis, from the master(s). */
export async function storageGuarantees(store: TransferStore): Promise<StorageGuarantees> {
  const found = store instanceof RedisStore
    ? await store.replication().then(({ topology, acks, masters, waiting }) => ({ topology, replicaAcks: acks, masters, waiting }))
    : { topology: 'custom store' as const, replicaAcks: false as const, masters: 0, waiting: 0 };
  return { ...found, summary: summarize(found) };
}
