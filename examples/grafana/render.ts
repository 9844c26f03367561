/**
 * `npx tsx examples/grafana/render.ts [out.png]`: a picture of the dashboard's panels without
 * Grafana. Reads examples/grafana/session-transfer.json, runs each panel's PromQL against a real
 * Prometheus (PROMETHEUS_URL, default http://localhost:9090) over the last MINUTES (default 30),
 * draws the series as inline SVG, and screenshots the page in Debian's Chromium (no network
 * needed). Grafana's variables are filled in as Grafana would: `$job` with its "All" value,
 * `$__rate_interval` as max(step + scrape interval, 4 × scrape interval), the scrape interval
 * being SCRAPE_INTERVAL seconds (default 15, as examples/grafana/prometheus.yml scrapes).
 * The picture says what it is: drawn by this script, not by Grafana.
 */
import { readFile } from 'node:fs/promises';

import { chromium } from 'playwright-core';

interface PanelJson {
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; legendFormat?: string }[];
  fieldConfig: { defaults: { unit?: string; custom?: { axisLabel?: string; fillOpacity?: number; stacking?: { mode?: string } } } };
}
interface DashboardJson {
  title: string;
  panels: PanelJson[];
  templating: { list: { name: string; allValue?: string }[] };
}
interface Series { name: string; points: [number, number][] }
interface QueryAnswer {
  status: string;
  error?: string;
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

const prometheus = process.env.PROMETHEUS_URL ?? 'http://localhost:9090';
const minutes = Number(process.env.MINUTES ?? 30);
const scrapeInterval = Number(process.env.SCRAPE_INTERVAL ?? 15);
const out = process.argv[2] ?? 'examples/grafana/dashboard.png';
const dashboardPath = new URL('./session-transfer.json', import.meta.url);

const dashboard = JSON.parse(await readFile(dashboardPath, 'utf8')) as DashboardJson;
const end = Math.floor(Date.now() / 1000);
const start = end - minutes * 60;
const step = Math.max(Math.ceil((end - start) / 240), 1);
const rateInterval = Math.max(step + scrapeInterval, 4 * scrapeInterval);
const allJobs = dashboard.templating.list.find((v) => v.name === 'job')?.allValue ?? '.+';

/** The panel's PromQL with Grafana's variables filled in. */
function promql(expr: string): string {
  const filled = expr.replaceAll('$__rate_interval', `${rateInterval}s`).replaceAll('$job', allJobs);
  if (filled.includes('$')) throw new Error(`a variable this script does not know: ${expr}`);
  return filled;
}

async function query(expr: string, legend = ''): Promise<Series[]> {
  const url = new URL('/api/v1/query_range', prometheus);
  url.search = new URLSearchParams({ query: promql(expr), start: String(start), end: String(end), step: String(step) }).toString();
  const answer = await (await fetch(url)).json() as QueryAnswer;
  if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error}`);
  return answer.data.result.map(({ metric, values }) => ({
    name: legend.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => metric[label] ?? '') || JSON.stringify(metric),
    // histogram_quantile answers NaN where nothing was recorded: a gap, as Grafana draws it.
    points: values.map(([t, v]): [number, number] => [t, Number(v)]).filter(([, v]) => Number.isFinite(v)),
  }));
}

const COLORS = ['#7EB26D', '#EAB839', '#6ED0E0', '#EF843C', '#E24D42', '#1F78C1', '#BA43A9', '#705DA0', '#508642', '#CCA300'];
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function format(value: number, unit: string | undefined): string {
  if (unit === 's') {
    if (value === 0) return '0 s';
    if (value < 1e-3) return `${+(value * 1e6).toPrecision(3)} µs`;
    if (value < 1) return `${+(value * 1e3).toPrecision(3)} ms`;
    return `${+value.toPrecision(3)} s`;
  }
  return `${+value.toPrecision(3)}`;
}

/** One panel as SVG: axes, a line (or stacked area) per series, its legend. */
function chart(panel: PanelJson, series: Series[], width: number, height: number): string {
  const stacked = panel.fieldConfig.defaults.custom?.stacking?.mode === 'normal';
  const unit = panel.fieldConfig.defaults.unit;
  const fill = (panel.fieldConfig.defaults.custom?.fillOpacity ?? 0) / 100;
  const left = 64;
  const right = 12;
  const top = 8;
  const legendRows = Math.ceil(series.length / 3);
  const bottom = 24 + legendRows * 16;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  // Stacking adds each series to those before it, time by time.
  const base = new Map<number, number>();
  const drawn = series.map((s) => ({
    name: s.name,
    points: s.points.map(([t, v]): [number, number, number] => {
      const below = stacked ? base.get(t) ?? 0 : 0;
      if (stacked) base.set(t, below + v);
      return [t, below, below + v];
    }),
  }));
  // A round top and four even steps below it: 1, 2, 2.5 or 5 times a power of ten.
  const highest = Math.max(0, ...drawn.flatMap((s) => s.points.map(([, , v]) => v))) || 1;
  const magnitude = 10 ** Math.floor(Math.log10(highest / 4));
  const tick = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m * 4 >= highest)!;
  const max = tick * 4;
  const x = (t: number) => left + ((t - start) / (end - start)) * plotW;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i += 1) {
    const v = (max * i) / 4;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e5e8"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${escape(format(v, unit))}</text>`);
  }
  const tickEvery = Math.max(Math.ceil(minutes / 6 / 5) * 5, 5) * 60;
  for (let t = Math.ceil(start / tickEvery) * tickEvery; t <= end; t += tickEvery) {
    const label = new Date(t * 1000).toISOString().slice(11, 16); // UTC, as the header says
    parts.push(`<text x="${x(t)}" y="${top + plotH + 16}" text-anchor="middle">${label}</text>`);
  }
  const axisLabel = panel.fieldConfig.defaults.custom?.axisLabel;
  if (axisLabel) parts.push(`<text transform="translate(12 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(axisLabel)}</text>`);
  drawn.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    // A gap longer than two steps breaks the line, as a missing sample does in Grafana.
    const runs: [number, number, number][][] = [];
    s.points.forEach((p, j) => {
      if (j === 0 || p[0] - s.points[j - 1]![0] > 2 * step) runs.push([]);
      runs.at(-1)!.push(p);
    });
    for (const run of runs) {
      const line = run.map(([t, , v]) => `${x(t)},${y(v)}`).join(' ');
      const floor = run.map(([t, b]) => `${x(t)},${y(b)}`).reverse().join(' ');
      if (fill > 0) parts.push(`<polygon points="${line} ${floor}" fill="${color}" fill-opacity="${fill}"/>`);
      parts.push(`<polyline points="${line}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    const lx = left + (i % 3) * (plotW / 3);
    const ly = top + plotH + 34 + Math.floor(i / 3) * 16;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="14" height="4" fill="${color}"/>`,
      `<text x="${lx + 20}" y="${ly - 3}">${escape(s.name)}</text>`);
  });
  if (series.length === 0) parts.push(`<text x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle" class="none">No data</text>`);
  return `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

const buildinfo = await (await fetch(new URL('/api/v1/status/buildinfo', prometheus))).json() as { data: { version: string } };
const COLUMN = 66;
const ROW = 32;
const panels = await Promise.all(dashboard.panels.map(async (panel) => {
  const series = (await Promise.all(panel.targets.map((t) => query(t.expr, t.legendFormat)))).flat();
  const { x, y, w, h } = panel.gridPos;
  return `<section style="left:${x * COLUMN}px;top:${y * ROW}px;width:${w * COLUMN - 8}px;height:${h * ROW - 8}px">
    <h2>${escape(panel.title)}</h2>${chart(panel, series, w * COLUMN - 18, h * ROW - 44)}</section>`;
}));
const height = Math.max(...dashboard.panels.map((p) => (p.gridPos.y + p.gridPos.h) * ROW));
const html = `<!doctype html><meta charset="utf-8"><style>
  body { margin: 0; padding: 16px; font: 12px system-ui, sans-serif; color: #24292f; background: #f4f5f5; width: ${24 * COLUMN}px; }
  header h1 { font-size: 18px; margin: 0 0 4px; } header p { margin: 0 0 12px; color: #57606a; }
  main { position: relative; height: ${height}px; }
  section { position: absolute; background: #fff; border: 1px solid #d0d7de; border-radius: 4px; padding: 4px; box-sizing: border-box; }
  h2 { font-size: 13px; margin: 2px 4px 6px; } svg text { fill: #57606a; font-size: 11px; } svg text.none { font-size: 14px; }
</style><header><h1>${escape(dashboard.title)}: the last ${minutes} minutes</h1>
<p>Not a Grafana screenshot. examples/grafana/render.ts drew these panels from the PromQL in examples/grafana/session-transfer.json,
queried from Prometheus ${escape(buildinfo.data.version)} (${escape(prometheus)}), rate interval ${rateInterval} s, step ${step} s, at ${new Date(end * 1000).toISOString()} (times in UTC).</p></header>
<main>${panels.join('')}</main>`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 24 * COLUMN + 32, height: 800 } });
  await page.setContent(html);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
