// A small SVG line chart: time on x, value on y, with grid lines, axis
// labels and the last value marked. No library.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// niceTicks picks about n round values spanning lo..hi.
function niceTicks(lo, hi, n) {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmtNum(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(6)).toString();
}

function fmtTime(ms, span) {
  const d = new Date(ms);
  if (span > 2 * 86400e3) return d.toLocaleDateString(undefined, {month: 'short', day: 'numeric'});
  return d.toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', second: span < 600e3 ? '2-digit' : undefined});
}

// lineChart draws points [{t: ms, v: number}] over [from, to] (ms).
// label names the series for assistive technology.
export function lineChart(points, {from, to, label, units = '', width = 900, height = 280}) {
  const m = {l: 56, r: 14, t: 12, b: 26};
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const pts = points.filter((p) => p.t >= from && p.t <= to && Number.isFinite(p.v));
  const root = svg('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'data-points': pts.length});
  const last = pts[pts.length - 1];
  const summary = pts.length
    ? `${label}: ${pts.length} points; last ${fmtNum(last.v)}${units ? ' ' + units : ''} at ${new Date(last.t).toLocaleTimeString()}`
    : `${label}: no points in this time range`;
  root.setAttribute('aria-label', summary);
  root.append(svg('title', {}, summary));

  let lo = Math.min(...pts.map((p) => p.v));
  let hi = Math.max(...pts.map((p) => p.v));
  if (!pts.length) {
    lo = 0;
    hi = 1;
  } else if (lo === hi) {
    lo -= Math.abs(lo) * 0.05 || 1;
    hi += Math.abs(hi) * 0.05 || 1;
  }
  const ticks = niceTicks(lo, hi, 4);
  lo = Math.min(lo, ticks[0]);
  hi = Math.max(hi, ticks[ticks.length - 1]);
  const x = (t) => m.l + ((t - from) / (to - from || 1)) * w;
  const y = (v) => m.t + h - ((v - lo) / (hi - lo || 1)) * h;

  for (const v of ticks) {
    root.append(svg('line', {class: 'grid', x1: m.l, x2: m.l + w, y1: y(v), y2: y(v)}));
    root.append(svg('text', {x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end'}, fmtNum(v)));
  }
  for (let i = 0; i <= 3; i++) {
    const t = from + ((to - from) * i) / 3;
    root.append(svg('text', {x: x(t), y: height - 6, 'text-anchor': i === 0 ? 'start' : i === 3 ? 'end' : 'middle'},
      fmtTime(t, to - from)));
  }
  root.append(svg('line', {class: 'axis', x1: m.l, x2: m.l, y1: m.t, y2: m.t + h}));
  root.append(svg('line', {class: 'axis', x1: m.l, x2: m.l + w, y1: m.t + h, y2: m.t + h}));
  if (pts.length) {
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
    root.append(svg('path', {class: 'line', d}));
    root.append(svg('circle', {class: 'dot', cx: x(last.t), cy: y(last.v), r: 3.5}));
  } else {
    root.append(svg('text', {x: m.l + w / 2, y: m.t + h / 2, 'text-anchor': 'middle'}, 'no data in this range'));
  }
  return root;
}
