/**
 * `METRICS_PORT=0 npm start` and the Grafana dashboard that reads it: after one pass through every
 * outcome the dashboard shows, a scrape of the example's /metrics holds every metric and label the
 * dashboard's PromQL names (in the names OpenTelemetry's Prometheus exporter gives them), and the
 * issued and redeemed counters moved.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { exerciseOutcomes } from '../../examples/telemetry/flows.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';

interface Dashboard {
  templating: { list: { name: string; type: string }[] };
  panels: { id: number; gridPos: { x: number; w: number }; datasource: { uid: string }; targets: { expr: string }[] }[];
}

const dashboard = JSON.parse(await readFile(new URL('../../examples/grafana/session-transfer.json', import.meta.url), 'utf8')) as Dashboard;
const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
/** In PromQL a name directly before `{` is a metric (the dashboard gives every metric a selector). */
const metricNames = [...new Set(expressions.flatMap((expr) => [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map((m) => m[1]!)))];
/** Labels of `by (…)` clauses and selectors; `job` is Prometheus' own, `le` the buckets'. */
const labelNames = [...new Set(expressions.flatMap((expr) => [
  ...[...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((label) => label.trim())),
  ...[...expr.matchAll(/[{,]\s*(\w+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!),
]))].filter((label) => label !== 'job' && label !== 'le');

/** The sum of a counter's series in a scrape. */
function total(scrape: string, metric: string): number {
  return scrape.split('\n').filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

let idp: IdpProcess;
let metricsUrl: string;

beforeAll(async () => {
  idp = await startIdpProcess({ METRICS_PORT: '0', REDIS_URL: '' });
  // The metrics line follows the servers' lines the helper waits for.
  let printed: RegExpExecArray | null;
  const deadline = Date.now() + 10_000;
  while (!(printed = /\nmetrics: http:\/\/localhost:(\d+)\/metrics \(/.exec(idp.output()))) {
    if (Date.now() > deadline) throw new Error(`no metrics URL printed:\n${idp.output()}`);
    await sleep(50);
  }
  metricsUrl = `http://127.0.0.1:${printed[1]}/metrics`;
}, 30_000);

afterAll(async () => {
  await idp?.stop();
});

describe('examples/grafana/session-transfer.json', () => {
  it('is a dashboard Grafana can import: a Prometheus data source variable, panels on its 24 columns', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe('${datasource}');
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    }
    expect(metricNames.length).toBeGreaterThanOrEqual(8);
  });

  it('queries only metrics and labels the example exports, and the counters move', async () => {
    const before = await (await fetch(metricsUrl)).text();
    expect(await exerciseOutcomes({
      url: `http://127.0.0.1:${idp.ports.idp}`,
      issuerHost: `localhost:${idp.ports.idp}`,
      webRedirect: `http://localhost:${idp.ports.web}/callback`,
    })).toEqual({
      query: 'code',
      replayed: 'login_required',
      cookie: 'code',
      loginRequested: 'interaction',
      deviceMismatch: 'login_required',
      unknown: 'login_required',
      revoked: 'status 200',
      plainQuery: 'code',
      reused: expect.stringContaining('invalid_grant'),
    });
    // A cascade may finish after the response that caused it (`grant.revoked` runs it in the
    // background): scrape until everything is there, or the deadline passes.
    const missing = (scrape: string) => {
      const exported = new Set([...scrape.matchAll(/^(\w+)[{ ]/gm)].map((m) => m[1]!));
      return [...metricNames.filter((name) => !exported.has(name)), ...labelNames.filter((label) => !scrape.includes(`${label}="`))];
    };
    let scrape = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
      const response = await fetch(metricsUrl);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      scrape = await response.text();
      if (missing(scrape).length === 0) break;
    }
    expect(missing(scrape)).toEqual([]);

    for (const counter of ['session_transfer_tokens_issued_total', 'session_transfer_tokens_redeemed_total']) {
      expect(total(scrape, counter)).toBeGreaterThan(total(before, counter));
    }
    // The log_only panel's selector: its label and value exist (a refusing binding reports "false").
    expect(scrape).toMatch(/session_transfer_tokens_rejected_total\{[^}]*error_type="device_mismatch"[^}]*session_transfer_log_only="false"/);
  }, 30_000);
});
