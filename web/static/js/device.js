// The device page: registration details, the object tree with in-place
// operations, commands, events and telemetry charts, all kept live.
import {el, replace, problemBox, badge, timeEl, when, table, busy} from './ui.js';
import {enc, Problem} from './api.js';
import {ObjectTree} from './tree.js';
import {Telemetry} from './telemetry.js';

const MAX_EVENTS = 100;

export async function render(ctx, [endpoint]) {
  ctx.title(endpoint);
  const api = ctx.api;
  const base = '/devices/' + enc(endpoint);
  let dev;
  try {
    dev = await api.get(base);
  } catch (e) {
    if (e instanceof Problem && e.status === 401) throw e;
    replace(ctx.main, el('p', {}, el('a', {href: '#/devices'}, '← Fleet')), el('h1', {}, endpoint),
      problemBox(e, 'This device cannot be shown'));
    return;
  }

  const heading = el('h1', {}, dev.name ? `${dev.name} ` : '', el('span', {class: 'mono'}, dev.endpoint), ' ',
    el('span', {id: 'device-status'}, badge(dev.status)));
  const details = el('div', {id: 'details'});
  const tree = new ObjectTree(ctx, endpoint);

  // The profile names telemetry keys for paths: live points then update
  // the tree too, and charts get units.
  const keyPaths = new Map();
  const units = {};
  let profileProblem = null;
  if (dev.profile) {
    try {
      const prof = await api.get('/profiles/' + enc(dev.profile));
      // The profile's observations are set up by the server at
      // registration: show them as observed.
      for (const o of (prof.spec && prof.spec.observe && prof.spec.observe.targets) || []) tree.observed.add(o.path);
      for (const m of (prof.spec && prof.spec.telemetry) || []) {
        keyPaths.set(m.name, m.path);
        const [oid, , rid] = m.path.split('/').filter(Boolean).map(Number);
        const model = await tree.model(oid, '').catch(() => null);
        const r = model && model.resources.find((x) => x.id === rid);
        if (r && r.units) units[m.name] = r.units;
      }
    } catch (e) {
      if (e instanceof Problem && e.status === 401) throw e;
      profileProblem = problemBox(e, `Loading profile ${dev.profile} failed (telemetry keys are not linked to the tree)`);
    }
  }
  const telemetry = new Telemetry(ctx, endpoint, units);
  if (profileProblem) telemetry.errors.append(profileProblem);
  ctx.onLeave(() => telemetry.close());

  const commandsBox = el('div', {id: 'commands'});
  const eventsList = el('ul', {class: 'events', id: 'events', 'aria-live': 'polite', 'aria-relevant': 'additions'});
  const eventsErr = el('div');

  replace(ctx.main,
    el('p', {}, el('a', {href: '#/devices'}, '← Fleet')),
    heading,
    el('div', {class: 'grid'},
      el('section', {class: 'card', 'aria-labelledby': 'details-title'}, el('h2', {id: 'details-title'}, 'Registration'), details),
      el('section', {class: 'card', 'aria-labelledby': 'events-title'}, el('h2', {id: 'events-title'}, 'Events'), eventsErr, eventsList)),
    el('section', {class: 'card', 'aria-labelledby': 'tree-title'}, el('h2', {id: 'tree-title'}, 'Objects'),
      el('p', {class: 'muted small'}, 'From the registration\'s object links and the server\'s object models. ',
        'Reads, writes, executes and observations go to the device now; a sleeping device gets them queued.'),
      tree.root),
    telemetry.root,
    el('section', {class: 'card', 'aria-labelledby': 'commands-title'}, el('h2', {id: 'commands-title'}, 'Commands'), commandsBox));

  function showDetails() {
    const r = dev.registration;
    const info = dev.info || {};
    const rows = [
      ['Endpoint', dev.endpoint], ['Name', dev.name || '—'], ['Status', badge(dev.status)],
      ['Last seen', timeEl(dev.last_seen)], ['Profile', dev.profile || '—'],
      ['Customer', dev.customer_id ? `#${dev.customer_id}` : '—'],
      ['Labels', Object.entries(dev.labels || {}).map(([k, v]) => `${k}=${v}`).join(', ') || '—'],
      ['Device', [info.manufacturer, info.model, info.serial].filter(Boolean).join(' · ') || '—'],
      ['Firmware', info.firmware || '—'], ['Battery', info.battery != null ? `${info.battery} %` : '—'],
    ];
    if (r) {
      rows.push(['LwM2M', `${r.lwm2m_version}, binding ${r.binding}${r.queue_mode ? ', queue mode' : ''}`],
        ['Transport', `${r.transport}, security ${r.security}${r.identity ? ` (${r.identity})` : ''}`],
        ['Address', r.address], ['Lifetime', `${r.lifetime} s, expires ${when(r.expires_at)}`],
        ['Registered', when(r.registered_at)], ['Registration id', r.id]);
    } else {
      rows.push(['Registration', 'not registered']);
    }
    replace(details, el('dl', {class: 'props'}, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
    replace(document.getElementById('device-status'), badge(dev.status));
  }

  let lastObjects = dev.registration ? dev.registration.objects : null;
  async function reloadDevice() {
    try {
      dev = await api.get(base);
    } catch (e) {
      if (e instanceof Problem && e.status === 401) throw e;
      replace(details, problemBox(e, 'Reloading the device failed'));
      return;
    }
    showDetails();
    const objs = dev.registration ? dev.registration.objects : null;
    if (objs !== lastObjects) {
      lastObjects = objs;
      tree.render(dev.registration);
    }
  }

  async function loadCommands() {
    let page;
    try {
      page = await api.get(base + '/commands', {limit: 20});
    } catch (e) {
      if (e instanceof Problem && e.status === 401) throw e;
      replace(commandsBox, problemBox(e, 'Listing commands failed'));
      return;
    }
    if (!page.items.length) {
      replace(commandsBox, el('p', {class: 'muted'}, 'No queued commands. (Operations answered at once are in the events.)'));
      return;
    }
    replace(commandsBox, table(`${page.items.length} of ${page.total} commands, newest first`,
      ['#', 'Operation', 'State', 'Attempts', 'Created', 'Outcome', ''],
      page.items.map((c) => {
        const cancel = c.state === 'pending' ? el('button', {type: 'button', class: 'small secondary',
          'aria-label': `Cancel command ${c.id}`}, 'Cancel') : null;
        const outcome = el('td', {}, c.error || (c.result ? c.result.code : '—'));
        if (cancel) {
          cancel.addEventListener('click', () => busy(cancel, async () => {
            try {
              await api.call('DELETE', `/commands/${c.id}`);
              loadCommands();
            } catch (e) {
              replace(outcome, problemBox(e, 'Cancel failed'));
            }
          }));
        }
        return el('tr', {'data-command': c.id}, el('td', {class: 'num'}, c.id),
          el('td', {}, `${c.op} ${c.path || (c.paths || []).join(', ')}`), el('td', {}, badge(c.state)),
          el('td', {class: 'num'}, `${c.attempts}/${c.max_attempts}`), el('td', {}, when(c.created_at)), outcome,
          el('td', {}, cancel));
      })));
  }

  function eventItem(ev) {
    let text = ev.type;
    const d = ev.data || {};
    if (ev.type === 'status') text = `status ${d.from} → ${d.to} (${d.cause})`;
    else if (ev.category === 'operation' && d.paths) text = `${ev.type} ${d.paths.join(', ')}${d.code ? ' → ' + d.code : ''}`;
    return el('li', {'data-type': ev.type}, el('time', {datetime: ev.time, class: 'muted small'}, when(ev.time)), ' ',
      el('span', {class: 'badge'}, ev.category), ' ', text, ev.actor ? el('span', {class: 'muted small'}, ` by ${ev.actor}`) : null);
  }

  async function loadEvents() {
    try {
      const page = await api.get(base + '/events', {limit: 30});
      replace(eventsList, page.items.map(eventItem));
      if (!page.items.length) eventsList.append(el('li', {class: 'muted'}, 'No events yet.'));
    } catch (e) {
      if (e instanceof Problem && e.status === 401) throw e;
      replace(eventsErr, problemBox(e, 'Listing events failed'));
    }
  }

  let timer = 0;
  const due = new Set();
  function soon(what) {
    due.add(what);
    if (timer) return;
    timer = setTimeout(() => {
      timer = 0;
      if (due.has('device')) reloadDevice();
      if (due.has('commands')) loadCommands();
      due.clear();
    }, 500);
  }
  ctx.onLeave(() => clearTimeout(timer));

  ctx.live({device: endpoint}, (ev) => {
    if (ev.category === 'telemetry') {
      const d = ev.data || {};
      if (d.points) {
        telemetry.add(d.points);
        for (const p of d.points) if (keyPaths.has(p.key)) tree.notified(keyPaths.get(p.key), p.value);
      }
      for (const a of d.attributes || []) tree.notified(a.path, a.value);
      return;
    }
    eventsList.prepend(eventItem(ev));
    while (eventsList.children.length > MAX_EVENTS) eventsList.lastChild.remove();
    if (ev.category === 'registration') {
      if (ev.type === 'status') {
        dev.status = ev.data.to;
        showDetails();
      }
      soon('device');
    }
    if (ev.type.startsWith('command.')) soon('commands');
  });

  showDetails();
  await Promise.all([tree.render(dev.registration), telemetry.load(), loadCommands(), loadEvents()]);
}
