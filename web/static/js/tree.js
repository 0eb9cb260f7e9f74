// The object tree of a device: objects and instances from its
// registration's links, resources from the server's object models. Every
// resource can be read, written, executed and observed in place; the
// answer or the problem shows beside it.
import {el, replace, problemBox, busy, fmtValue} from './ui.js';
import {enc, Problem} from './api.js';
import {objectsOf} from './links.js';

const NUMERIC = new Set(['integer', 'unsigned', 'float']);

// pathID turns "/3/0/9" into "3-0-9" for element ids.
const pathID = (p) => p.replace(/^\//, '').replaceAll('/', '-');

export class ObjectTree {
  constructor(ctx, endpoint) {
    this.ctx = ctx;
    this.api = ctx.api;
    this.ep = endpoint;
    this.cells = new Map(); // "/3/0/9" → {value, model, observe}
    this.observed = new Set();
    this.models = new Map(); // "3@1.2" → model, or null when the server has none
    this.root = el('div', {id: 'object-tree'});
  }

  base() {
    return '/devices/' + enc(this.ep);
  }

  async model(id, version) {
    const key = `${id}@${version}`;
    if (!this.models.has(key)) {
      this.models.set(key, this.api.get(`/objects/${id}`, {version}).catch((e) => {
        if (e instanceof Problem && e.status === 404) return null;
        throw e;
      }));
    }
    return this.models.get(key);
  }

  // render builds the tree for a registration (null: not registered).
  async render(reg) {
    this.cells.clear();
    if (!reg) {
      replace(this.root, el('p', {class: 'muted'}, 'The device is not registered: there is no object tree to show.'));
      return;
    }
    const objects = objectsOf(reg.objects, reg.root_path);
    let models;
    try {
      models = await Promise.all(objects.map((o) => this.model(o.id, o.version)));
    } catch (e) {
      replace(this.root, problemBox(e, 'Loading the object models failed'));
      return;
    }
    replace(this.root, objects.map((o, i) => this.object(o, models[i])));
  }

  object(o, m) {
    const name = m ? m.name : 'Unknown object (no model on this server)';
    const title = `/${o.id} ${name}${o.version ? ' v' + o.version : ''}`;
    const body = el('div', {});
    if (!o.instances.length) body.append(el('p', {class: 'muted small'}, 'No instances announced.'));
    for (const i of o.instances) body.append(this.instance(o.id, i, m));
    return el('details', {class: 'object', id: `obj-${o.id}`, open: o.id === 3},
      el('summary', {}, title, el('span', {class: 'muted small'}, ` — ${o.instances.length} instance(s)`)), body);
  }

  instance(oid, iid, m) {
    const path = `/${oid}/${iid}`;
    const out = el('div', {class: 'instance-result', id: `r-${pathID(path)}`, 'aria-live': 'polite'});
    const readAll = el('button', {type: 'button', class: 'small secondary', 'data-action': 'read-instance', 'data-path': path,
      'aria-label': `Read instance ${path}`}, `Read ${path}`);
    readAll.addEventListener('click', () => busy(readAll, () => this.read(path, out)));
    const rows = (m ? m.resources : []).map((r) => this.resource(`${path}/${r.id}`, r));
    return el('section', {'aria-label': `Instance ${path}`},
      el('div', {class: 'res-actions'}, el('h3', {}, `Instance ${path}`), readAll, out),
      rows.length ? el('div', {class: 'table-wrap'}, el('table', {},
        el('thead', {}, el('tr', {}, ['ID', 'Resource', 'Type', 'Ops', 'Value', 'Actions'].map((h) =>
          el('th', {scope: 'col', class: h === 'Type' || h === 'Ops' ? 'hide-narrow' : undefined}, h)))),
        el('tbody', {}, rows))) : el('p', {class: 'muted small'}, 'No model: read the instance to see its resources.'));
  }

  resource(path, r) {
    const id = pathID(path);
    const value = el('td', {class: 'res-value', id: `v-${id}`, 'aria-live': 'polite'}, '—');
    const actions = el('div', {class: 'res-actions'});
    const label = `${r.name} (${path})`;
    const ops = r.operations || '';
    if (ops.includes('R')) {
      const b = el('button', {type: 'button', class: 'small secondary', 'data-action': 'read', 'data-path': path,
        'aria-label': `Read ${label}`}, 'Read');
      b.addEventListener('click', () => busy(b, () => this.read(path, value)));
      const on = this.observed.has(path);
      const ob = el('button', {type: 'button', class: 'small secondary', 'data-action': 'observe', 'data-path': path,
        'aria-pressed': String(on), 'aria-label': `Observe ${label}`}, on ? 'Stop observing' : 'Observe');
      ob.addEventListener('click', () => busy(ob, () => this.toggleObserve(path, value, ob)));
      actions.append(b, ob);
    }
    if (ops.includes('W') && !r.multiple) {
      const input = el('input', {class: 'small', id: `w-${id}`, 'aria-label': `New value for ${label}`,
        inputmode: NUMERIC.has(r.type) ? 'decimal' : undefined, placeholder: r.type});
      const b = el('button', {type: 'button', class: 'small', 'data-action': 'write', 'data-path': path,
        'aria-label': `Write ${label}`}, 'Write');
      const submit = () => busy(b, () => this.write(path, r, input.value, value));
      b.addEventListener('click', submit);
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') submit();
      });
      actions.append(input, b);
    }
    if (ops.includes('E')) {
      const b = el('button', {type: 'button', class: 'small', 'data-action': 'execute', 'data-path': path,
        'aria-label': `Execute ${label}`}, 'Execute');
      b.addEventListener('click', () => busy(b, () => this.execute(path, value)));
      actions.append(b);
    }
    this.cells.set(path, {value, model: r});
    return el('tr', {'data-path': path},
      el('td', {class: 'num'}, r.id),
      el('th', {scope: 'row'}, r.name, r.units ? el('span', {class: 'muted small'}, ` (${r.units})`) : null),
      el('td', {class: 'hide-narrow'}, r.type + (r.multiple ? '[]' : '')),
      el('td', {class: 'ops hide-narrow'}, ops || '—'),
      value,
      el('td', {}, actions));
  }

  // show puts an answer or a problem into a value cell.
  show(cell, content) {
    replace(cell, content);
  }

  // op runs one call: its answer's data (null for 204), or undefined when
  // it failed or was queued (the cell then says so).
  async op(cell, fn, what) {
    try {
      const res = await fn();
      if (res.status === 202) {
        const c = res.data;
        this.show(cell, el('span', {class: 'ok'}, `queued as command #${c.id} (${c.state}): the device is not reachable now`));
        return undefined;
      }
      return res.data;
    } catch (e) {
      if (e instanceof Problem && e.status === 401) throw e;
      this.show(cell, problemBox(e, what));
      return undefined;
    }
  }

  async read(path, cell) {
    const res = await this.op(cell, () => this.api.call('GET', `${this.base()}/lwm2m${path}`), `Read ${path} failed`);
    if (res) this.fill(path, res.content, cell, res.code);
  }

  async write(path, model, raw, cell) {
    let body;
    try {
      body = parseInput(model.type, raw);
    } catch (e) {
      this.show(cell, problemBox({title: 'Not sent', detail: e.message}, `Write ${path}`));
      return;
    }
    const res = await this.op(cell, () => this.api.call('PUT', `${this.base()}/lwm2m${path}`, {body}), `Write ${path} failed`);
    if (res) this.show(cell, el('span', {class: 'ok'}, `written (${res.code}): ${fmtValue(body, model.units)}`));
  }

  async execute(path, cell) {
    const res = await this.op(cell, () => this.api.call('POST', `${this.base()}/lwm2m${path}`), `Execute ${path} failed`);
    if (res) this.show(cell, el('span', {class: 'ok'}, `executed (${res.code}) at ${new Date().toLocaleTimeString()}`));
  }

  async toggleObserve(path, cell, button) {
    const on = this.observed.has(path);
    const res = await this.op(cell, () => this.api.call(on ? 'DELETE' : 'POST', `${this.base()}/observe${path}`),
      `${on ? 'Cancelling the observation of' : 'Observing'} ${path} failed`);
    if (res === undefined) return;
    if (on) {
      this.observed.delete(path);
      button.textContent = 'Observe';
      button.setAttribute('aria-pressed', 'false');
      this.show(cell, el('span', {class: 'ok'}, 'observation cancelled'));
      return;
    }
    this.observed.add(path);
    button.textContent = 'Stop observing';
    button.setAttribute('aria-pressed', 'true');
    if (res && res.content) this.fill(path, res.content, cell, res.code);
  }

  // fill shows a read answer: a resource in its cell, an instance's
  // resources in theirs.
  fill(path, node, cell, code) {
    if (!node) {
      this.show(cell, el('span', {class: 'ok'}, `${code}: no content`));
      return;
    }
    if (node.kind === 'instance') {
      for (const r of node.resources || []) {
        const p = `${path}/${r.id}`;
        const c = this.cells.get(p);
        if (c) this.show(c.value, nodeText(r, c.model.units));
      }
      this.show(cell, el('span', {class: 'ok'}, `${code}: ${(node.resources || []).length} resources read`));
      return;
    }
    const c = this.cells.get(path);
    this.show(cell, nodeText(node, c && c.model.units));
  }

  // notified shows a value that arrived by notification or Send.
  notified(path, value) {
    const c = this.cells.get(path);
    if (!c) return;
    replace(c.value, el('span', {}, fmtValue(value, c.model.units)),
      el('span', {class: 'muted small'}, ` · notified ${new Date().toLocaleTimeString()}`));
  }
}

function nodeText(n, units) {
  if (n.kind === 'multiple') {
    const parts = (n.instances || []).map((i) => `${i.id}: ${fmtValue(i, units)}`);
    return el('span', {}, parts.length ? parts.join(' · ') : '(no instances)');
  }
  if (n.kind === 'resource' || n.kind === 'resource-instance') return el('span', {}, fmtValue(n, units));
  return el('pre', {}, JSON.stringify(n, null, 1));
}

// parseInput turns what was typed into the JSON to write; the server
// types it by the model and says what does not fit.
export function parseInput(type, raw) {
  const s = raw.trim();
  if (NUMERIC.has(type)) {
    if (s === '' || !Number.isFinite(Number(s))) throw new Error(`"${raw}" is not a number`);
    return Number(s);
  }
  if (type === 'boolean') {
    if (/^(true|1|on|yes)$/i.test(s)) return true;
    if (/^(false|0|off|no)$/i.test(s)) return false;
    throw new Error(`"${raw}" is not true or false`);
  }
  if (type === 'time' && /^-?\d+$/.test(s)) return Number(s);
  return raw;
}
