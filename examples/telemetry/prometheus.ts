/**
 * Prometheus metrics for the example (`METRICS_PORT=9464 npm start`): OpenTelemetry's metrics SDK
 * registered as the global MeterProvider, read by OpenTelemetry's PrometheusExporter. The SDK and
 * the exporter are imported here, on demand, so that `npm start` without METRICS_PORT loads
 * neither. The library takes its meter from the global provider when `sessionTransfer()` runs:
 * call this before creating the identity provider.
 *
 * The exporter turns the instruments' dotted names into Prometheus names: dots become
 * underscores, counters gain `_total`, units add no suffix (`session_transfer.tokens.issued` is
 * `session_transfer_tokens_issued_total`, `session_transfer.mint.duration` is
 * `session_transfer_mint_duration_bucket` / `_sum` / `_count`, in seconds). Attribute names
 * change likewise (`error.type` is `error_type`). examples/grafana/session-transfer.json queries
 * these names.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsEndpoint {
  /** The port it listens on (the one it got, for port 0). */
  port: number;
  close(): Promise<void>;
}

/** Registers the global MeterProvider and serves its metrics at `/metrics` on `port` (0: any free one). */
export async function servePrometheusMetrics(port: number, host?: string): Promise<MetricsEndpoint> {
  const [{ metrics }, { MeterProvider }, { PrometheusExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-prometheus'),
  ]);
  // The exporter's own server does not tell which port it got for port 0, so it answers through
  // ours; the text it serves is the same.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(meterProvider);

  const server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://metrics').pathname === '/metrics') {
      exporter.getMetricsRequestHandler(request, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
  });
  server.listen(port, host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err; })]);
  } catch (err) {
    metrics.disable();
    throw err;
  }
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise((done) => server.close(done));
      await meterProvider.shutdown();
    },
  };
}
