// Alarms: active first, acknowledge and clear in place. The alarm API
// comes with the alarms issue; without it the page says so.
import {el, replace, problemBox, unavailable, badge, when, table, busy} from './ui.js';
import {Problem, enc} from './api.js';
import {find, fill} from './discover.js';

const ORDER = {active: 0, acknowledged: 1, cleared: 2};

export async function render(ctx) {
  ctx.title('Alarms');
  const api = ctx.api;
  const box = el('div', {id: 'alarms'});
  replace(ctx.main, el('h1', {}, 'Alarms'), box);
  const first = await api.optional('/alarms', {limit: 200});
  if (first === null) {
    replace(box, unavailable('Alarms', 'GET /api/v1/alarms'));
    return;
  }
  const routes = el('div');
  const found = (e) => {
    replace(routes, problemBox(e, 'Reading the OpenAPI document failed (no acknowledge or clear buttons)'));
    return null;
  };
  const [ack, clear] = await Promise.all([
    find(api, 'POST', /^\/api\/v1\/alarms\/\{[^}]+\}/, /ack/i).catch(found),
    find(api, 'POST', /^\/api\/v1\/alarms\/\{[^}]+\}/, /clear/i).catch(found),
  ]);
  box.before(routes);

  async function load(page) {
    const alarms = (page || await api.get('/alarms', {limit: 200})).items.slice();
    alarms.sort((a, b) => (ORDER[a.state] ?? 3) - (ORDER[b.state] ?? 3) ||
      String(b.started_at).localeCompare(String(a.started_at)));
    if (!alarms.length) {
      replace(box, el('p', {class: 'muted'}, 'No alarms.'));
      return;
    }
    replace(box, table('Alarms, active first', ['Severity', 'State', 'Alarm', 'Device', 'Started', 'Count', 'Actions'],
      alarms.map((a) => {
        const out = el('div', {'aria-live': 'polite'});
        const act = (op, label) => {
          if (!op) return null;
          const b = el('button', {type: 'button', class: 'small', 'aria-label': `${label} alarm ${a.id}`}, label);
          b.addEventListener('click', () => busy(b, async () => {
            try {
              await api.call(op.method, fill(op.path, {id: a.id}));
              await load();
            } catch (e) {
              if (e instanceof Problem && e.status === 401) return;
              replace(out, problemBox(e, `${label} failed`));
            }
          }));
          return b;
        };
        return el('tr', {'data-alarm': a.id, 'data-state': a.state},
          el('td', {}, badge(a.severity)), el('td', {}, badge(a.state)),
          el('td', {}, a.type || a.rule, a.message ? el('div', {class: 'muted small'}, a.message) : null),
          el('td', {}, a.endpoint ? el('a', {href: '#/devices/' + enc(a.endpoint)}, a.endpoint) : `#${a.device_id}`),
          el('td', {}, when(a.started_at)), el('td', {class: 'num'}, a.count ?? ''),
          el('td', {}, el('div', {class: 'res-actions'},
            a.state === 'active' ? act(ack, 'Acknowledge') : null,
            a.state !== 'cleared' ? act(clear, 'Clear') : null), out));
      })));
  }
  let timer = 0;
  ctx.live({category: 'alarm'}, () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((e) => replace(box, problemBox(e, 'Listing alarms failed'))), 500);
  });
  ctx.onLeave(() => clearTimeout(timer));
  await load(first);
}
