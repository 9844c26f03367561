/**
 * OpenTelemetry: the counters move as the flows run, read by a real in-process metrics reader of
 * the OpenTelemetry SDK; one span per mint and redeem, under the request's span, holds its store
 * calls' durations; no attribute carries a token or (unless asked) an account id.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Provider } from 'oidc-provider';
import request from 'supertest';

import { INSTRUMENTS, RedisStore, sessionTransfer, StoreUnavailableError, type SessionTransferSettings, type TransferStore } from '../../lib/index.js';
import { AUDIENCE, quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { authorize, mintToken } from '../helpers/web-login.js';

/** Collects on demand, as a Prometheus scrape does. */
class ScrapeReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let redis: Redis;
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  redis = redisClient();
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  await quitRedis(redis);
  context.disable();
});

function instrumented(options: Partial<SessionTransferSettings> = {}, includeAccountId = false, storage: { redis: Redis } | { store: TransferStore } = { redis }) {
  const reader = new ScrapeReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const idp = testIdentityProvider({
    ...storage, keyPrefix: `telemetry-${Math.random().toString(36).slice(2)}:`, trustProxy: 1,
    telemetry: { meterProvider, tracerProvider, includeAccountId }, ...options,
  });
  // The request's own span, as an HTTP server instrumentation would start it.
  const tracer = tracerProvider.getTracer('test-http');
  const app = express();
  app.use((req, res, next) => tracer.startActiveSpan(`${req.method} ${req.path}`, (span) => {
    res.on('finish', () => span.end());
    next();
  }));
  app.use(idp.app);

  /** Every data point of one instrument, with its attributes. */
  async function points(name: string): Promise<DataPoint<number | Histogram>[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name).flatMap((metric) => metric.dataPoints as DataPoint<number | Histogram>[]);
  }
  /** The sum of a counter over the points whose attributes include `match`. */
  async function count(name: string, match: Record<string, unknown> = {}): Promise<number> {
    return (await points(name))
      .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
      .reduce((sum, point) => sum + (point.value as number), 0);
  }
  return { idp, app, provider: idp.provider, reader, points, count, spans: () => spans.getFinishedSpans() };
}

const redeemAt = ({ app, provider }: { app: express.Express; provider: Provider }, token: string, clientId = 'example-web', forwardedFor = '203.0.113.5') =>
  authorize(request.agent(app).set('x-forwarded-for', forwardedFor), provider, { clientId, token, prompt: 'none' });

describe('metrics', () => {
  let t: ReturnType<typeof instrumented>;
  beforeAll(() => {
    t = instrumented();
  });

  it('count mints and their refusals by reason', async () => {
    await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect(await t.count(INSTRUMENTS.issued.name, { 'session_transfer.client.id': 'example-native', 'session_transfer.form': 'refresh_token' })).toBe(1);
    const refused = await request(t.app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: 'not-a-token', audience: AUDIENCE });
    expect(refused.status).toBe(400);
    expect(await t.count(INSTRUMENTS.issueFailures.name, { 'error.type': 'refresh_token_invalid' })).toBe(1);
    const durations = await t.points(INSTRUMENTS.mintDuration.name);
    expect(durations.reduce((sum, point) => sum + (point.value as Histogram).count, 0)).toBe(2);
    expect(durations.find((point) => point.attributes['error.type'] === 'refresh_token_invalid')).toBeDefined();
  });

  it('count redeems by outcome and transport, and rejections by reason', async () => {
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await redeemAt(t, token)).kind).toBe('code');
    expect(await t.count(INSTRUMENTS.redeemed.name, {
      'session_transfer.client.id': 'example-web', 'session_transfer.transport': 'query', 'session_transfer.outcome': 'new_session',
    })).toBe(1);
    expect((await redeemAt(t, token)).kind).toBe('error');
    expect(await t.count(INSTRUMENTS.rejected.name, { 'error.type': 'replayed', 'session_transfer.log_only': false })).toBe(1);
    const redeems = await t.points(INSTRUMENTS.redeemDuration.name);
    expect(redeems.map((point) => point.attributes['error.type'])).toEqual(expect.arrayContaining([undefined, 'replayed']));
  });

  it('count a log_only binding mismatch as a rejection marked log_only, while the transfer goes ahead', async () => {
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await redeemAt(t, token, 'logonly-web', '198.51.100.7')).kind).toBe('code');
    expect(await t.count(INSTRUMENTS.rejected.name, { 'error.type': 'device_mismatch', 'session_transfer.log_only': true })).toBe(1);
    expect(await t.count(INSTRUMENTS.redeemed.name, { 'session_transfer.client.id': 'logonly-web' })).toBe(1);
  });

  it('count tokens left unused by reason', async () => {
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    await authorize(request.agent(t.app), t.idp.provider, { token, prompt: 'login' }).catch(() => undefined);
    expect(await t.count(INSTRUMENTS.ignored.name, { 'session_transfer.ignored.reason': 'login_requested' })).toBe(1);
  });

  it('count cascades by trigger and the sessions they end', async () => {
    const { token, native } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await redeemAt(t, token)).kind).toBe('code');
    const before = await t.count(INSTRUMENTS.sessionsRevoked.name, { 'session_transfer.revocation.reason': 'cascade' });
    const revoked = await request(t.app).post('/token/revocation').type('form')
      .send({ token: native.refresh_token, client_id: 'example-native' });
    expect(revoked.status).toBe(200);
    expect(await t.count(INSTRUMENTS.cascades.name, { 'session_transfer.cascade.trigger': 'revocation', 'session_transfer.cascade.outcome': 'revoked' })).toBe(1);
    expect(await t.count(INSTRUMENTS.sessionsRevoked.name, { 'session_transfer.revocation.reason': 'cascade' })).toBe(before + 1);
  });

  it('every instrument is registered, with its unit and description, and nothing else (store calls are timed on spans)', async () => {
    const { resourceMetrics } = await t.reader.collect();
    const seen = new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric.descriptor]));
    for (const instrument of Object.values(INSTRUMENTS)) {
      expect(seen.get(instrument.name)).toMatchObject({ unit: instrument.unit, description: instrument.description });
    }
    expect([...seen.keys()].sort()).toEqual(Object.values(INSTRUMENTS).map((instrument) => instrument.name).sort());
  });
});

describe('spans and attributes', () => {
  const seconds = ([whole, nanoseconds]: HrTime) => whole + nanoseconds / 1e9;
  /** A store on the suite's Redis whose `operation` answers 20 ms late, so that its span or attribute must show at least that. */
  const DELAY = 0.02;
  /** What a measured delay may fall short of DELAY: timers and the clock differ by a fraction of a millisecond (CI measured 19.81 ms). */
  const AT_LEAST = DELAY - 0.001;
  function slowStore(operation: 'consume' | 'touchSession'): RedisStore {
    const store = new RedisStore({ client: redis, prefix: `telemetry-slow-${Math.random().toString(36).slice(2)}:`, commandTimeout: 1000 });
    const original = store[operation].bind(store) as (...args: unknown[]) => Promise<never>;
    store[operation] = async (...args: unknown[]) => {
      await sleep(DELAY * 1000);
      return original(...args);
    };
    return store;
  }
  const tokens: string[] = [];
  const allAttributes = (t: ReturnType<typeof instrumented>, spans: ReadableSpan[]) => Promise.all(Object.values(INSTRUMENTS)
    .map((instrument) => t.points(instrument.name))).then((all) => [...all.flat().map((point) => point.attributes), ...spans.map((span) => span.attributes)]);

  it('are one span per mint and per redeem, under the request, with each store round trip a duration attribute of it', async () => {
    const t = instrumented({}, false, { store: slowStore('consume') });
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    tokens.push(token);
    expect((await redeemAt(t, token)).kind).toBe('code');
    const spans = t.spans();
    const parentOf = (span: ReadableSpan) => spans.find((other) => other.spanContext().spanId === span.parentSpanContext?.spanId);
    const library = spans.filter((span) => span.instrumentationScope.name === 'oidc-session-transfer');
    expect(library.map((span) => span.name).sort()).toEqual(['session_transfer.mint', 'session_transfer.redeem']);
    const [mint, redeem] = ['session_transfer.mint', 'session_transfer.redeem'].map((name) => library.find((span) => span.name === name)!) as [ReadableSpan, ReadableSpan];
    expect(parentOf(mint)?.name).toBe('POST /token');
    expect(parentOf(redeem)?.name).toBe('GET /auth');
    // Each store call's time, within the operation's own.
    const storeDurations = (span: ReadableSpan) => Object.entries(span.attributes).filter(([key]) => key.startsWith('session_transfer.store.'));
    expect(storeDurations(mint).map(([key]) => key).sort()).toEqual(['session_transfer.store.countIssued.duration', 'session_transfer.store.save.duration']);
    expect(storeDurations(redeem).map(([key]) => key).sort()).toEqual(['session_transfer.store.consume.duration', 'session_transfer.store.saveSession.duration']);
    for (const span of [mint, redeem]) {
      for (const [, duration] of storeDurations(span)) {
        expect(duration).toBeGreaterThan(0);
        expect(duration).toBeLessThanOrEqual(seconds(span.duration));
      }
    }
    expect(redeem.attributes['session_transfer.store.consume.duration']).toBeGreaterThanOrEqual(AT_LEAST);

    // No attribute anywhere holds the token, its hash's key, or the account id.
    const values = (await allAttributes(t, spans)).flatMap((attributes) => Object.values(attributes)).map(String);
    expect(values.filter((value) => value.includes(token) || value === 'demo')).toEqual([]);
    expect(redeem.attributes['enduser.id']).toBeUndefined();
  });

  it('make a store call outside a mint or a redeem a client span of its own, under the active one', async () => {
    const t = instrumented({}, false, { store: slowStore('touchSession') });
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    const browser = request.agent(t.app).set('x-forwarded-for', '203.0.113.5');
    expect((await authorize(browser, t.provider, { token, prompt: 'none' })).kind).toBe('code');
    // The transferred session's upkeep reads its record at its next authorization.
    expect((await authorize(browser, t.provider, { prompt: 'none' })).kind).toBe('code');
    const spans = t.spans();
    const touch = spans.find((span) => span.name === 'touchSession redis')!;
    expect(touch.kind).toBe(SpanKind.CLIENT);
    expect(touch.attributes).toEqual({ 'db.system.name': 'redis', 'db.operation.name': 'touchSession' });
    const parent = spans.find((span) => span.spanContext().spanId === touch.parentSpanContext?.spanId)!;
    expect(parent.name).toBe('GET /auth');
    // Within its parent, to the SDK's precision: a span's start is Date.now() (whole milliseconds) when not given.
    expect(seconds(touch.startTime)).toBeGreaterThanOrEqual(seconds(parent.startTime) - 0.001);
    expect(seconds(touch.endTime)).toBeLessThanOrEqual(seconds(parent.endTime) + 0.001);
    // Made once the call settled, it starts when the call did.
    expect(seconds(touch.duration)).toBeGreaterThanOrEqual(AT_LEAST);
  });

  it('name a failed store call on its operation\'s span', async () => {
    const store = new RedisStore({ client: redis, prefix: `telemetry-down-${Math.random().toString(36).slice(2)}:`, commandTimeout: 1000 });
    store.consume = () => Promise.reject(new StoreUnavailableError('the store is down'));
    const t = instrumented({}, false, { store });
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await redeemAt(t, token)).kind).toBe('error');
    const redeem = t.spans().find((span) => span.name === 'session_transfer.redeem')!;
    expect(redeem.attributes).toMatchObject({ 'error.type': 'store_unavailable', 'session_transfer.store.consume.error.type': 'StoreUnavailableError' });
    expect(redeem.attributes['session_transfer.store.consume.duration']).toBeGreaterThan(0);
    expect(redeem.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('carry the account id on the mint and redeem spans only when the host opts in', async () => {
    const t = instrumented({}, true);
    const { token } = await mintToken(t.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await redeemAt(t, token)).kind).toBe('code');
    const spans = t.spans();
    expect(spans.filter((span) => span.attributes['enduser.id'] === 'demo').map((span) => span.name).sort())
      .toEqual(['session_transfer.mint', 'session_transfer.redeem']);
    const metricValues = (await Promise.all(Object.values(INSTRUMENTS).map((instrument) => t.points(instrument.name))))
      .flat().flatMap((point) => Object.values(point.attributes));
    expect(metricValues).not.toContain('demo');
  });
});

describe('without telemetry', () => {
  it('telemetry: false records nothing, even with a global SDK registered', async () => {
    const reader = new ScrapeReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { metrics } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(meterProvider);
    try {
      const idp = testIdentityProvider({ redis, keyPrefix: 'telemetry-off:', telemetry: false });
      const { token } = await mintToken(idp.app);
      expect((await authorize(request.agent(idp.app), idp.provider, { token, prompt: 'none' })).kind).toBe('code');
      const { resourceMetrics } = await reader.collect();
      expect(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)).toEqual([]);
    } finally {
      metrics.disable();
    }
  });

  it('a wrong telemetry option names its path', () => {
    expect(() => sessionTransfer({ redis, telemetry: { meterProvider: {} as never } })).toThrow(/^options\.telemetry\.meterProvider must be/);
    expect(() => sessionTransfer({ redis, telemetry: { tracer: 1 } as never })).toThrow(/^options\.telemetry\.tracer is not a setting/);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
