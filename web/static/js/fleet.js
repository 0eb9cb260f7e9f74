// The fleet page: counts by status, a filtered, server-paginated device
// list (nothing loads the whole fleet), kept current from the event stream.
import {el, replace, problemBox, badge, timeEl, table} from './ui.js';
import {enc, Problem} from './api.js';

export const STATUSES = ['online', 'asleep', 'offline', 'never'];
const PAGE_SIZE = 50;
const LIVE_TYPES = ['status', 'registered', 'deregistered', 'expired',
  'device.created', 'device.auto-created', 'device.deleted', 'device.updated'];

export async function render(ctx, _args, params) {
  ctx.title('Fleet');
  const api = ctx.api;
  const st = {
    filter: {search: params.get('search') || '', status: params.get('status') || '', profile: params.get('profile') || '',
      customer: params.get('customer') || ''},
    cursors: [''], // cursor of each page seen so far; the last is the current page
    rows: new Map(), // endpoint → {tr, device}
    counts: {},
    customers: new Map(), // id → name, when the server has customers
    reload: 0,
  };

  const countEls = {};
  const countsList = el('ul', {class: 'counts', 'aria-label': 'Devices by status'});
  for (const s of ['all', ...STATUSES]) {
    countEls[s] = el('span', {class: 'n', id: `count-${s}`}, '…');
    const b = el('button', {type: 'button', class: 'secondary', 'aria-label': `Show ${s} devices`},
      countEls[s], s === 'all' ? 'all devices' : s);
    b.addEventListener('click', () => {
      statusSelect.value = s === 'all' ? '' : s;
      apply();
    });
    countsList.append(el('li', {}, b));
  }

  const search = el('input', {id: 'f-search', type: 'search', value: st.filter.search, placeholder: 'endpoint or name'});
  const statusSelect = el('select', {id: 'f-status'}, el('option', {value: ''}, 'any'),
    STATUSES.map((s) => el('option', {value: s, selected: s === st.filter.status}, s)));
  const profileSelect = el('select', {id: 'f-profile'}, el('option', {value: ''}, 'any'));
  const form = el('form', {class: 'form-row', role: 'search', 'aria-label': 'Filter devices'},
    el('div', {class: 'field'}, el('label', {for: 'f-search'}, 'Search'), search),
    el('div', {class: 'field'}, el('label', {for: 'f-status'}, 'Status'), statusSelect),
    el('div', {class: 'field'}, el('label', {for: 'f-profile'}, 'Profile'), profileSelect),
    el('button', {type: 'submit'}, 'Apply'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });

  const errors = el('div', {'aria-live': 'polite'});
  const list = el('div', {id: 'device-list'});
  const pageInfo = el('span', {class: 'muted', id: 'page-info', 'aria-live': 'polite'});
  const prev = el('button', {type: 'button', class: 'secondary', disabled: true}, 'Previous page');
  const next = el('button', {type: 'button', class: 'secondary', disabled: true}, 'Next page');
  prev.addEventListener('click', () => {
    if (st.cursors.length > 1) {
      st.cursors.pop();
      loadPage();
    }
  });
  next.addEventListener('click', () => {
    if (st.next) {
      st.cursors.push(st.next);
      loadPage();
    }
  });

  replace(ctx.main,
    el('h1', {}, 'Fleet'),
    countsList,
    el('section', {class: 'card', 'aria-labelledby': 'devices-title'},
      el('h2', {id: 'devices-title'}, 'Devices'),
      form,
      st.filter.customer ? el('p', {class: 'notice'}, `Only customer #${st.filter.customer}'s devices. `,
        el('a', {href: '#/devices'}, 'Show all')) : null,
      errors, list,
      el('div', {class: 'pager'}, prev, next, pageInfo)));

  function query(extra) {
    return {search: st.filter.search, status: st.filter.status, profile: st.filter.profile, customer: st.filter.customer, ...extra};
  }

  function apply() {
    st.filter = {search: search.value.trim(), status: statusSelect.value, profile: profileSelect.value, customer: st.filter.customer};
    const qs = new URLSearchParams(Object.entries(st.filter).filter(([, v]) => v)).toString();
    history.replaceState(null, '', '#/devices' + (qs ? '?' + qs : ''));
    st.cursors = [''];
    loadPage();
    loadCounts();
  }

  // loadCounts asks for one-row pages per status: the totals are the counts.
  async function loadCounts() {
    try {
      const q = {search: st.filter.search, profile: st.filter.profile, customer: st.filter.customer, limit: 1};
      const totals = await Promise.all(['', ...STATUSES].map((s) => api.get('/devices', {...q, status: s})));
      st.counts = {all: totals[0].total};
      STATUSES.forEach((s, i) => {
        st.counts[s] = totals[i + 1].total;
      });
      showCounts();
    } catch (e) {
      replace(errors, problemBox(e, 'Counting devices failed'));
    }
  }

  function showCounts() {
    for (const [k, e] of Object.entries(countEls)) e.textContent = st.counts[k] ?? '…';
  }

  async function loadPage() {
    const cursor = st.cursors[st.cursors.length - 1];
    let page;
    try {
      page = await api.get('/devices', query({limit: PAGE_SIZE, cursor}));
    } catch (e) {
      replace(errors, problemBox(e, 'Listing devices failed'));
      return;
    }
    replace(errors);
    st.next = page.next;
    st.rows.clear();
    const rows = page.items.map((d) => row(d));
    replace(list, page.items.length ? table('Devices matching the filter, one page',
      ['Device', 'Status', 'Last seen', 'Profile', 'Customer', 'Firmware', 'Battery'], rows)
      : el('p', {class: 'muted'}, 'No device matches.'));
    const first = (st.cursors.length - 1) * PAGE_SIZE;
    pageInfo.textContent = page.items.length
      ? `Devices ${first + 1}–${first + page.items.length} of ${page.total}` : `0 of ${page.total}`;
    prev.disabled = st.cursors.length <= 1;
    next.disabled = !page.next;
  }

  function row(d) {
    const cells = {
      status: el('td', {}, badge(d.status)),
      seen: el('td', {}, timeEl(d.last_seen)),
    };
    const info = d.info || {};
    const tr = el('tr', {'data-endpoint': d.endpoint},
      el('td', {}, el('a', {href: '#/devices/' + enc(d.endpoint)}, d.endpoint),
        d.name ? el('div', {class: 'muted small'}, d.name) : null),
      cells.status, cells.seen,
      el('td', {}, d.profile || '—'),
      el('td', {}, d.customer_id ? (st.customers.get(d.customer_id) || `#${d.customer_id}`) : '—'),
      el('td', {}, info.firmware || '—'),
      el('td', {class: 'num'}, info.battery != null ? `${info.battery} %` : '—'));
    st.rows.set(d.endpoint, {tr, cells, device: d});
    return tr;
  }

  // onEvent applies a live event: a status change moves the counts and
  // the row; a device created or deleted reloads the page (debounced).
  function onEvent(ev) {
    const r = st.rows.get(ev.endpoint);
    if (ev.type === 'status' && ev.data) {
      const {from, to} = ev.data;
      if (!st.filter.search && !st.filter.profile && !st.filter.customer && from in st.counts && to in st.counts) {
        st.counts[from] = Math.max(0, st.counts[from] - 1);
        st.counts[to] += 1;
        showCounts();
      } else {
        soon('counts');
      }
      if (r) {
        r.device.status = to;
        replace(r.cells.status, badge(to));
        if (to === 'online') replace(r.cells.seen, timeEl(ev.time));
        flash(r.tr);
      }
      return;
    }
    if (ev.type === 'registered' && r) {
      replace(r.cells.seen, timeEl(ev.time));
      flash(r.tr);
      return;
    }
    if (ev.type.startsWith('device.')) {
      if (r || st.cursors.length === 1 || ev.type !== 'device.updated') soon('page');
      if (ev.type !== 'device.updated') soon('counts');
    }
  }

  const pending = new Set();
  function soon(what) {
    pending.add(what);
    if (st.reload) return;
    st.reload = setTimeout(() => {
      st.reload = 0;
      if (pending.has('page')) loadPage();
      if (pending.has('counts')) loadCounts();
      pending.clear();
    }, 1000);
  }
  ctx.onLeave(() => clearTimeout(st.reload));

  ctx.live({type: LIVE_TYPES.join(',')}, onEvent, () => {
    soon('page');
    soon('counts');
  });

  // Profiles and customers name things; both are optional extras.
  api.get('/profiles', {limit: 500}).then((p) => {
    for (const pr of p.items) {
      profileSelect.append(el('option', {value: pr.name, selected: pr.name === st.filter.profile}, pr.name));
    }
  }).catch((e) => {
    errors.append(problemBox(e, 'Listing profiles for the filter failed'));
  });
  // Customer names are fetched alongside the counts; the page waits for
  // them only so its rows are drawn once.
  const customers = api.optional('/customers', {limit: 500}).then((cs) => {
    for (const c of (cs && cs.items) || []) st.customers.set(c.id, c.name);
  }).catch((e) => {
    // A customer token may not list customers: ids are shown instead.
    if (!(e instanceof Problem && e.status === 403)) errors.append(problemBox(e, 'Listing customers failed'));
  });
  await Promise.all([customers.then(loadPage), loadCounts()]);
}

function flash(tr) {
  tr.classList.remove('flash');
  void tr.offsetWidth;
  tr.classList.add('flash');
}
