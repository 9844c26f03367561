/**
 * `METRICS_PORT=0 npm start` and the Grafana dashboard that reads it: after one pass through every
 * outcome the dashboard shows, a scrape of the example's /metrics holds every metric and label the
 * dashboard's PromQL names (in the names OpenTelemetry's Prometheus exporter gives them), and the
 * issued and redeemed counters moved. With `DEVICE_BINDING_MODE=log_only` the device mismatch
 * signs the browser in and is counted as the `log_only` panel selects it, not as a refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { exerciseOutcomes } from '../../examples/telemetry/flows.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';

interface Dashboard {
  templating: { list: { name: string; type: string }[] };
  panels: { id: number; title: string; gridPos: { x: number; w: number }; datasource: { uid: string }; targets: { expr: string }[] }[];
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

/** The URL of the example's /metrics, once it has printed it (after the servers' lines the helper waits for). */
async function metricsUrlOf(idp: IdpProcess): Promise<string> {
  let printed: RegExpExecArray | null;
  const deadline = Date.now() + 10_000;
  while (!(printed = /\nmetrics: http:\/\/localhost:(\d+)\/metrics \(/.exec(idp.output()))) {
    if (Date.now() > deadline) throw new Error(`no metrics URL printed:\n${idp.output()}`);
    await sleep(50);
  }
  return `http://127.0.0.1:${printed[1]}/metrics`;
}

const targetOf = (idp: IdpProcess) => ({
  url: `http://127.0.0.1:${idp.ports.idp}`,
  issuerHost: `localhost:${idp.ports.idp}`,
  webRedirect: `http://localhost:${idp.ports.web}/callback`,
});

let idp: IdpProcess;
let metricsUrl: string;

beforeAll(async () => {
  idp = await startIdpProcess({ METRICS_PORT: '0', REDIS_URL: '' });
  metricsUrl = await metricsUrlOf(idp);
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

  it('counts as refusals only rejections that refused: log_only mismatches are in their own panel', () => {
    const rejections = dashboard.panels.flatMap((panel) => panel.targets
      .filter((target) => target.expr.includes('session_transfer_tokens_rejected_total'))
      .map((target) => [panel.title, target.expr.match(/session_transfer_log_only\s*(!?=~?)\s*"([^"]*)"/)?.slice(1).join('')]));
    expect(rejections).toEqual([
      ['Rejections by reason', '!=true'],
      ['Binding mismatches under log_only', '=true'],
    ]);
  });

  it('queries only metrics and labels the example exports, and the counters move', async () => {
    const before = await (await fetch(metricsUrl)).text();
    expect(await exerciseOutcomes(targetOf(idp))).toEqual({
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

describe('DEVICE_BINDING_MODE=log_only npm start', () => {
  it('lets the device mismatch through and counts it with session_transfer_log_only="true"', async () => {
    const logOnly = await startIdpProcess({ METRICS_PORT: '0', REDIS_URL: '', DEVICE_BINDING_MODE: 'log_only' });
    try {
      const url = await metricsUrlOf(logOnly);
      expect(await exerciseOutcomes(targetOf(logOnly))).toEqual(expect.objectContaining({ query: 'code', deviceMismatch: 'code', replayed: 'login_required' }));
      const scrape = await (await fetch(url)).text();
      const mismatches = (logOnlyValue: string) => total(
        scrape.split('\n').filter((line) => line.includes('error_type="device_mismatch"') && line.includes(`session_transfer_log_only="${logOnlyValue}"`)).join('\n'),
        'session_transfer_tokens_rejected_total',
      );
      expect(mismatches('true')).toBe(1);
      expect(mismatches('false')).toBe(0);
    } finally {
      await logOnly.stop();
    }
  }, 30_000);

  it('refuses another mode in one line naming the allowed ones', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', WEB_PORT: '0', REDIS_URL: '', DEVICE_BINDING_MODE: 'strict' };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const [code] = await once(child, 'close') as [number | null];
    expect(code).toBe(1);
    expect(stderr.split('\n').filter((line) => line.includes('DEVICE_BINDING_MODE'))).toEqual(['DEVICE_BINDING_MODE=strict is not a device binding mode: use enforce or log_only']);
  }, 30_000);
});
