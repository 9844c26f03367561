/**
 * `npm start`'s settings, read from the environment (docs/example.md lists them). A value that
 * cannot be used is a SettingError: start-up prints its message, one line naming the variable
 * and what it accepts, and exits with status 1.
 */
import { isIPv6 } from 'node:net';

import type { JWK } from 'oidc-provider';

// Outside this repository: import type { ... } from 'oidc-session-transfer';
import type { DeviceBindingMode, ReplicaAcksOption, TrustProxy } from '../lib/index.js';

/** A setting that cannot be used; its message is the one line start-up prints. */
export class SettingError extends Error {
  override name = 'SettingError';
}

/** A Redis server or sentinel, as ioredis takes it. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where `npm start` keeps its state: one Redis server (REDIS_URL), a master found through
 * sentinels (REDIS_SENTINELS, REDIS_SENTINEL_NAME) or a Redis Cluster (REDIS_CLUSTER).
 */
export type RedisSetting =
  | { topology: 'url'; url: string }
  | { topology: 'sentinel'; sentinels: RedisNode[]; name: string }
  | { topology: 'cluster'; nodes: RedisNode[] };

/** The master's name REDIS_SENTINELS looks up without REDIS_SENTINEL_NAME: the one of Redis's sample sentinel.conf. */
export const DEFAULT_SENTINEL_NAME = 'mymaster';
const REDIS_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER'] as const;

export interface StartSettings {
  port: number;
  webPort: number;
  metricsPort: number | undefined;
  issuer: string | undefined;
  webUrl: string | undefined;
  /** Where the example SPA (`example-spa`) runs: its redirect URIs and CORS origins. */
  spaUrls: string[] | undefined;
  /** Undefined: the in-process stores. */
  redis: RedisSetting | undefined;
  /** REDIS_REPLICA_ACKS as the library's `replicaAcks`; undefined: the library's default ('auto'). */
  replicaAcks: ReplicaAcksOption | undefined;
  accessLog: boolean;
  confirmQueryTransfers: boolean;
  deviceBindingMode: DeviceBindingMode;
  trustProxy: false | number | TrustProxy;
  signingKeys: JWK[] | undefined;
  cookieKeys: string[] | undefined;
  clientsFile: string | undefined;
}

const DEVICE_BINDING_MODES: readonly DeviceBindingMode[] = ['enforce', 'log_only'];
export const TRUST_PROXY_FORMS = 'use false (the default), a hop count (TRUST_PROXY=1) or comma-separated CIDR ranges (TRUST_PROXY=10.0.0.0/8,127.0.0.1/32)';

type Env = Record<string, string | undefined>;

/** A port number; 0 takes any free port. */
function port(env: Env, name: string, fallback: number): number {
  const value = env[name] || String(fallback);
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) throw new SettingError(`${name}=${value} is not a port: use 0 to 65535 (0: any free port)`);
  return number;
}

/** An absolute http(s) URL. */
function url(name: string, value: string): string {
  const parsed = URL.parse(value);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new SettingError(`${name}=${value} is not an http(s) URL: use one such as https://id.example.com/`);
  }
  return value;
}

/** A comma-separated list, without empty entries. */
const list = (value: string) => value.split(',').map((entry) => entry.trim()).filter(Boolean);

/** One or more comma-separated http(s) URLs. */
function urls(name: string, value: string): string[] {
  const entries = list(value);
  if (entries.length === 0) throw new SettingError(`${name}=${value} names no URL: use one or more, comma-separated`);
  return entries.map((entry) => url(name, entry));
}

/**
 * TRUST_PROXY as the library's `trustProxy`: false, a hop count or CIDR ranges. The library checks
 * the count and the ranges when it starts; `trustProxyRefusal()` words its refusal.
 */
export function trustProxySetting(value: string | undefined): false | number | TrustProxy {
  if (!value || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return { ranges: list(value) };
}

/** The line to print when the library refuses TRUST_PROXY's value; undefined for any other error. */
export function trustProxyRefusal(err: unknown, value: string | undefined): string | undefined {
  // The library's advice: match on `code`, not on the class.
  const refusal = err as { code?: unknown; path?: unknown; message: string };
  if (refusal?.code !== 'ERR_SESSION_TRANSFER_OPTIONS' || typeof refusal.path !== 'string' || !refusal.path.startsWith('trustProxy')) return undefined;
  return `TRUST_PROXY=${value} cannot be used (${refusal.message}): ${TRUST_PROXY_FORMS}`;
}

/**
 * A comma-separated list of host:port (a bracketed IPv6 address: [::1]:26379). `example` is the
 * form to suggest in the error.
 */
function hostPorts(name: string, value: string, example: string): RedisNode[] {
  const use = `use comma-separated host:port pairs, such as ${name}=${example}`;
  const entries = list(value);
  if (entries.length === 0) throw new SettingError(`${name}=${value} names no server: ${use}`);
  return entries.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/.exec(entry);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (!match || (match[1] !== undefined && !isIPv6(match[1]))) throw new SettingError(`${name}=${value}: "${entry}" is not host:port: ${use}`);
    if (port < 1 || port > 65535) throw new SettingError(`${name}=${value}: "${entry}" has no valid port (1 to 65535): ${use}`);
    return { host: host!, port };
  });
}

/** REDIS_URL, REDIS_SENTINELS (with REDIS_SENTINEL_NAME) or REDIS_CLUSTER: at most one. */
function redisSetting(env: Env): RedisSetting | undefined {
  const set = REDIS_VARIABLES.filter((name) => env[name]);
  if (set.length > 1) {
    const named = `${set.slice(0, -1).join(', ')} and ${set.at(-1)}`;
    throw new SettingError(`${named} are set together: set only one of ${REDIS_VARIABLES.join(', ')} (a server, sentinels or a cluster)`);
  }
  if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) {
    throw new SettingError(`REDIS_SENTINEL_NAME=${env.REDIS_SENTINEL_NAME} names a master for sentinels, but REDIS_SENTINELS is not set: give the sentinels too, as REDIS_SENTINELS=host:port,host:port`);
  }
  if (env.REDIS_URL) return { topology: 'url', url: env.REDIS_URL };
  if (env.REDIS_SENTINELS) {
    const name = env.REDIS_SENTINEL_NAME || DEFAULT_SENTINEL_NAME;
    if (!/^\S+$/.test(name)) throw new SettingError(`REDIS_SENTINEL_NAME=${name} is not a master's name: use the name the sentinels monitor (sentinel monitor <name> …), default ${DEFAULT_SENTINEL_NAME}`);
    return { topology: 'sentinel', sentinels: hostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS, 's1:26379,s2:26379,s3:26379'), name };
  }
  if (env.REDIS_CLUSTER) return { topology: 'cluster', nodes: hostPorts('REDIS_CLUSTER', env.REDIS_CLUSTER, 'redis-1:6379,redis-2:6379') };
  return undefined;
}

/** REDIS_REPLICA_ACKS: auto, a number of replicas (0 to 16; 0 is off) or off. */
function replicaAcks(env: Env, redis: RedisSetting | undefined): ReplicaAcksOption | undefined {
  const value = env.REDIS_REPLICA_ACKS;
  if (!value) return undefined;
  if (!redis) throw new SettingError(`REDIS_REPLICA_ACKS=${value} applies to Redis only: set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER too`);
  if (value === 'auto') return { replicas: 'auto' };
  if (value === 'off') return false;
  if (/^\d+$/.test(value) && Number(value) <= 16) return Number(value) === 0 ? false : { replicas: Number(value) };
  throw new SettingError(`REDIS_REPLICA_ACKS=${value} is not a replica count: use auto (the default: one replica where the master has one), a number from 0 to 16, or off`);
}

function jwks(value: string): JWK[] {
  let keys: unknown;
  try {
    keys = JSON.parse(value);
  } catch (err) {
    throw new SettingError(`JWKS is not JSON (${(err as Error).message}): use a JSON array of private JWKs`);
  }
  if (!Array.isArray(keys) || keys.length === 0) throw new SettingError('JWKS must be a non-empty JSON array of private JWKs');
  return keys as JWK[];
}

/** Reads every setting of `npm start` from `env`; throws a SettingError for the first unusable one. */
export function readSettings(env: Env): StartSettings {
  const deviceBindingMode = (env.DEVICE_BINDING_MODE || 'enforce') as DeviceBindingMode;
  if (!DEVICE_BINDING_MODES.includes(deviceBindingMode)) {
    throw new SettingError(`DEVICE_BINDING_MODE=${deviceBindingMode} is not a device binding mode: use ${DEVICE_BINDING_MODES.join(' or ')}`);
  }
  const redis = redisSetting(env);
  return {
    port: port(env, 'PORT', 3000),
    webPort: port(env, 'WEB_PORT', 3001),
    metricsPort: env.METRICS_PORT ? port(env, 'METRICS_PORT', 0) : undefined,
    issuer: env.ISSUER ? url('ISSUER', env.ISSUER) : undefined,
    webUrl: env.WEB_URL ? url('WEB_URL', env.WEB_URL) : undefined,
    spaUrls: env.SPA_URL ? urls('SPA_URL', env.SPA_URL) : undefined,
    redis,
    replicaAcks: replicaAcks(env, redis),
    accessLog: Boolean(env.ACCESS_LOG),
    confirmQueryTransfers: env.CONFIRM_QUERY_TRANSFERS === '1',
    deviceBindingMode,
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    signingKeys: env.JWKS ? jwks(env.JWKS) : undefined,
    cookieKeys: env.COOKIE_KEYS ? list(env.COOKIE_KEYS) : undefined,
    clientsFile: env.CLIENTS_FILE || undefined,
  };
}
