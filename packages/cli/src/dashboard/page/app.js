/* global document, window, EventSource, uPlot */
// The dashboard page: draws each snapshot the server sends (server-sent events on /events).

const MAX_POINTS = 900;
const COLORS = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#57606a'];
const STATUS_ORDER = ['ALERT', 'WARNING', 'OK', 'INSUFFICIENT_DATA', 'NO_REFERENCE'];

const series = { t: [], p50: [], p95: [], p99: [], mae: new Map() };
const charts = { latency: null, mae: null, maeKeys: '' };
let updates = 0;

const $ = (id) => document.getElementById(id);
const fmt = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));
const seconds = (label) => Number(label.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[label.slice(-1)];
const windows = (monitor) => Object.keys(monitor).sort((a, b) => seconds(a) - seconds(b));

/** Fills a table with a header row and data rows (text only, never markup from the data). */
function fillTable(id, header, rows) {
  const table = $(id);
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const h of header) head.appendChild(document.createElement('th')).textContent = h;
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) {
      const td = tr.insertCell();
      if (typeof cell === 'object' && cell !== null) {
        td.textContent = cell.text;
        td.className = cell.className;
      } else td.textContent = String(cell);
    }
  }
  if (rows.length === 0) body.insertRow().insertCell().textContent = 'none';
}

function chart(target, labels, data) {
  const width = Math.max(300, target.clientWidth - 10);
  const opts = {
    width,
    height: 220,
    scales: { x: { time: true } },
    series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
  };
  target.replaceChildren();
  return new uPlot(opts, data, target);
}

function record(s) {
  series.t.push(s.at / 1000);
  series.p50.push(s.latencyMs ? s.latencyMs.p50 : null);
  series.p95.push(s.latencyMs ? s.latencyMs.p95 : null);
  series.p99.push(s.latencyMs ? s.latencyMs.p99 : null);
  const ws = windows(s.monitor);
  const figures = ws.length > 0 ? s.monitor[ws[ws.length - 1]] : [];
  const seen = new Set();
  for (const f of figures) {
    if (f.predictions === 0) continue;
    const key = `${f.model} ${f.version}`;
    seen.add(key);
    if (!series.mae.has(key)) series.mae.set(key, new Array(series.t.length - 1).fill(null));
    series.mae.get(key).push(f.mae);
  }
  for (const [key, values] of series.mae) if (!seen.has(key)) values.push(null);
  if (series.t.length > MAX_POINTS) {
    for (const list of [series.t, series.p50, series.p95, series.p99, ...series.mae.values()]) list.shift();
  }
}

function drawCharts() {
  const latency = [series.t, series.p50, series.p95, series.p99];
  if (!charts.latency) charts.latency = chart($('latency-chart'), ['p50', 'p95', 'p99'], latency);
  else charts.latency.setData(latency);
  const keys = [...series.mae.keys()].sort();
  const mae = [series.t, ...keys.map((k) => series.mae.get(k))];
  if (keys.length === 0) return;
  if (keys.join('|') !== charts.maeKeys) {
    charts.maeKeys = keys.join('|');
    charts.mae = chart($('mae-chart'), keys, mae);
  } else charts.mae.setData(mae);
}

function drawFigures(s) {
  $('rides-rate').textContent = fmt(s.ridesPerSec, 0);
  $('decisions-rate').textContent = fmt(s.decisionsPerSec, 0);
  $('latency').textContent = s.latencyMs
    ? `p50 ${fmt(s.latencyMs.p50, 0)} · p95 ${fmt(s.latencyMs.p95, 0)} · p99 ${fmt(s.latencyMs.p99, 0)}`
    : '–';
  const ws = windows(s.monitor);
  const [short, long] = [ws[0], ws[ws.length - 1]];
  for (const id of ['mae-window', 'accuracy-window']) $(id).textContent = long ?? '–';
  $('drift-window').textContent = short ?? '–';
  const active = (w) => (w ? s.monitor[w].filter((f) => f.predictions > 0) : []);
  fillTable(
    'accuracy',
    ['model', 'version', 'MAE', 'bias', 'outcomes', 'predicted', 'outcome share'],
    active(long).map((f) => [
      f.model,
      f.version,
      fmt(f.mae, 3),
      fmt(f.bias, 3),
      f.outcomes,
      f.predictions,
      fmt(f.outcomeShare, 2),
    ]),
  );
  const drift = active(short);
  const worst = STATUS_ORDER.find((st) => drift.some((f) => f.drift === st));
  $('drift-status').textContent = worst ?? '–';
  $('drift-status').className = worst ?? '';
  fillTable(
    'drift',
    ['model', 'status', 'largest PSI'],
    drift.map((f) => {
      const top = Object.entries(f.psi).sort((a, b) => b[1] - a[1])[0];
      return [
        `${f.model} ${f.version}`,
        { text: f.drift, className: f.drift },
        top ? `${top[0]} ${fmt(top[1], 3)}` : '–',
      ];
    }),
  );
  fillTable(
    'lag',
    ['group', 'topic', 'partition', 'lag'],
    s.lag.map((l) => [l.group, l.topic, l.partition, l.lag]),
  );
  fillTable('dlq', ['code', 'records'], Object.entries(s.dlq));
  fillTable(
    'services',
    ['service', 'port', 'state'],
    s.services.map((t) => [t.service, t.port, t.up ? 'up' : 'down']),
  );
  $('status').textContent = `updated ${new Date(s.at).toLocaleTimeString()}`;
}

function take(snapshot, draw) {
  record(snapshot);
  updates += 1;
  $('updates').textContent = `${updates} updates`;
  $('updates').dataset.count = String(updates);
  if (draw) {
    drawFigures(snapshot);
    drawCharts();
  }
}

const events = new EventSource('/events');
events.addEventListener('history', (e) => {
  const history = JSON.parse(e.data);
  history.forEach((s, i) => take(s, i === history.length - 1));
});
events.addEventListener('snapshot', (e) => take(JSON.parse(e.data), true));
events.addEventListener('error', () => ($('status').textContent = 'reconnecting …'));
window.addEventListener('resize', () => {
  charts.latency = null;
  charts.maeKeys = '';
  drawCharts();
});
