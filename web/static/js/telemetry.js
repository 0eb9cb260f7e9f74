// A device's telemetry: one chart per numeric key over a chosen time
// range, extended live by the points that arrive on the event stream.
import {el, replace, problemBox, fmtValue} from './ui.js';
import {enc} from './api.js';
import {lineChart} from './chart.js';

export const RANGES = [
  ['15m', 'Last 15 minutes', 15 * 60e3],
  ['1h', 'Last hour', 3600e3],
  ['6h', 'Last 6 hours', 6 * 3600e3],
  ['24h', 'Last 24 hours', 24 * 3600e3],
  ['168h', 'Last 7 days', 7 * 24 * 3600e3],
];
const NUMERIC = new Set(['integer', 'unsigned', 'float']);
const MAX_BUCKETS = 240;

export class Telemetry {
  constructor(ctx, endpoint, units) {
    this.ctx = ctx;
    this.api = ctx.api;
    this.ep = endpoint;
    this.units = units || {}; // key → units, from the profile's mapped paths
    this.range = RANGES[1];
    this.series = new Map(); // key → {points: [{t, v}], box, last, numeric}
    this.frame = 0;
    const select = el('select', {id: 'range'}, RANGES.map(([v, label]) => el('option', {value: v, selected: v === '1h'}, label)));
    select.addEventListener('change', () => {
      this.range = RANGES.find((r) => r[0] === select.value);
      this.load();
    });
    this.charts = el('div', {class: 'grid', id: 'charts'});
    this.errors = el('div');
    this.root = el('section', {class: 'card', 'aria-labelledby': 'telemetry-title'},
      el('div', {class: 'form-row'}, el('h2', {id: 'telemetry-title'}, 'Telemetry'),
        el('div', {class: 'field'}, el('label', {for: 'range'}, 'Time range'), select)),
      this.errors, this.charts);
  }

  window() {
    const to = Date.now();
    return {from: to - this.range[2], to};
  }

  async load() {
    const span = this.range[2];
    const q = {from: '-' + this.range[0]};
    // Long ranges are downsampled by the server so no range loads more
    // than a few hundred points per key.
    if (span > 3600e3) q.interval = `${Math.ceil(span / MAX_BUCKETS / 1000)}s`;
    else q.limit = 5000;
    let res;
    try {
      res = await this.api.get(`/devices/${enc(this.ep)}/telemetry`, q);
    } catch (e) {
      replace(this.errors, problemBox(e, 'Loading telemetry failed'));
      return;
    }
    replace(this.errors);
    this.series.clear();
    replace(this.charts);
    for (const s of res.series || []) {
      const raw = s.points || s.buckets || [];
      const st = this.ensure(s.key, raw.length ? raw[raw.length - 1].type : '');
      st.points = raw.filter((p) => NUMERIC.has(p.type)).map((p) => ({t: Date.parse(p.time), v: Number(p.value)}));
      if (raw.length) st.last = raw[raw.length - 1];
    }
    if (!this.series.size) {
      this.charts.append(el('p', {class: 'muted', id: 'no-telemetry'},
        'No telemetry in this range. Keys come from the device profile\'s telemetry mappings.'));
    }
    this.draw();
  }

  ensure(key, type) {
    let st = this.series.get(key);
    if (st) return st;
    const no = this.charts.querySelector('#no-telemetry');
    if (no) no.remove();
    const slug = key.replace(/[^A-Za-z0-9_-]/g, '_');
    st = {points: [], last: null, numeric: NUMERIC.has(type),
      value: el('span', {class: 'mono', id: `last-${slug}`}),
      plot: el('div', {id: `chart-${slug}`, 'data-key': key})};
    this.charts.append(el('figure', {class: 'card', style: undefined},
      el('h3', {}, key, ' ', st.value), st.plot));
    this.series.set(key, st);
    return st;
  }

  // add takes live points [{key, time, value: {type, value}}].
  add(points) {
    for (const p of points) {
      const type = p.value && p.value.type;
      const st = this.ensure(p.key, type);
      st.last = {time: p.time, type, value: p.value && p.value.value};
      if (NUMERIC.has(type)) {
        st.numeric = true;
        st.points.push({t: Date.parse(p.time), v: Number(p.value.value)});
      }
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    const {from, to} = this.window();
    for (const [key, st] of this.series) {
      st.points = st.points.filter((p) => p.t >= from);
      st.value.textContent = st.last ? '— last ' + fmtValue(st.last, this.units[key]) : '';
      if (st.numeric) {
        replace(st.plot, lineChart(st.points, {from, to, label: key, units: this.units[key]}));
      } else {
        replace(st.plot, el('p', {class: 'muted small'}, 'Not numeric: no chart.'));
      }
    }
  }

  close() {
    cancelAnimationFrame(this.frame);
  }
}
