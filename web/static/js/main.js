// The console's shell: sign-in, the hash router, the header's live status.
import {API, Problem} from './api.js';
import {LiveStream} from './live.js';
import {el, replace, problemBox} from './ui.js';
import * as fleet from './fleet.js';
import * as device from './device.js';
import * as alarms from './alarms.js';
import * as firmware from './firmware.js';
import * as profiles from './profiles.js';
import * as customers from './customers.js';

const TOKEN_KEY = 'shoal.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const liveStatus = document.getElementById('live');
const signoutButton = document.getElementById('signout');
const banner = document.getElementById('banner');

let api = null;
let cleanups = [];

function cleanup() {
  for (const c of cleanups) {
    try {
      c();
    } catch (e) {
      console.error(e);
    }
  }
  cleanups = [];
}

// unauthorized ends the session: the token is dropped and the sign-in form
// says why.
function unauthorized(p) {
  if (!api) return;
  sessionStorage.removeItem(TOKEN_KEY);
  api = null;
  cleanup();
  signIn(p);
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  api = null;
  cleanup();
  signIn(null);
}

function signIn(problem) {
  nav.hidden = true;
  signoutButton.hidden = true;
  liveStatus.textContent = '';
  delete liveStatus.dataset.state;
  const input = el('input', {id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true,
    'aria-describedby': 'token-help'});
  const msg = el('div', {id: 'signin-message'});
  if (problem) {
    replace(msg, problemBox(problem, problem.status === 401 ? 'Signed out — the server refused the token' : 'Sign-in failed'));
  }
  const button = el('button', {type: 'submit'}, 'Sign in');
  const form = el('form', {class: 'card signin', 'aria-labelledby': 'signin-title'},
    el('h1', {id: 'signin-title'}, 'Sign in to Shoal'),
    el('div', {class: 'field'},
      el('label', {for: 'token'}, 'API token'),
      input,
      el('p', {id: 'token-help', class: 'muted small'},
        'An admin, operator or customer token (shoal serve prints the first admin token once). ',
        'It is kept in this tab\'s session storage only, and forgotten when the tab closes.')),
    msg,
    el('p', {}, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    button.disabled = true;
    const candidate = new API(token, () => {});
    try {
      await candidate.get('/devices', {limit: 1});
    } catch (e) {
      button.disabled = false;
      replace(msg, problemBox(e, e.status === 401 ? 'Token not accepted' : 'Sign-in failed'));
      input.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    start(token);
  });
  replace(main, form);
  document.title = 'Sign in — Shoal console';
  input.focus();
}

function start(token) {
  api = new API(token, unauthorized);
  nav.hidden = false;
  signoutButton.hidden = false;
  if (!location.hash.startsWith('#/')) location.hash = '#/devices';
  else route();
}

// ctx is what a page gets: the API, its container, and live() to open the
// page's event stream (closed when the page is left).
function context() {
  return {
    api,
    main,
    navigate: (hash) => {
      location.hash = hash;
    },
    live(filter, onEvent, onDropped) {
      const s = new LiveStream(api, filter, liveStatus, onEvent, onDropped || (() => {
        showBanner('Some live events were dropped by the server; reload the page to be sure it is current.');
      }));
      cleanups.push(() => s.close());
      return s;
    },
    onLeave(fn) {
      cleanups.push(fn);
    },
    title(t) {
      document.title = `${t} — Shoal console`;
    },
  };
}

function showBanner(text) {
  banner.textContent = text;
  banner.hidden = false;
}

const pages = [
  [/^\/devices\/?$/, fleet, 'devices'],
  [/^\/devices\/(.+)$/, device, 'devices'],
  [/^\/alarms$/, alarms, 'alarms'],
  [/^\/firmware$/, firmware, 'firmware'],
  [/^\/profiles$/, profiles, 'profiles'],
  [/^\/customers$/, customers, 'customers'],
];

function route(ev) {
  const navigated = !!ev;
  const hash = location.hash;
  if (!hash.startsWith('#/')) return; // in-page anchors such as #main
  if (!api) return;
  cleanup();
  banner.hidden = true;
  const [path, qs] = hash.slice(1).split('?');
  for (const [re, page, section] of pages) {
    const m = path.match(re);
    if (!m) continue;
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const args = m.slice(1).map(decodeURIComponent);
    const ctx = context();
    replace(main, el('p', {class: 'muted'}, 'Loading…'));
    Promise.resolve(page.render(ctx, args, new URLSearchParams(qs || ''))).catch((e) => {
      if (e instanceof Problem && e.status === 401) return;
      replace(main, problemBox(e, 'This page could not be loaded'));
    });
    // After a navigation, focus moves to the new page (screen readers
    // announce it); on the first load it stays at the top, where Tab
    // reaches the skip link first.
    if (navigated) main.focus({preventScroll: true});
    return;
  }
  replace(main, el('h1', {}, 'Not found'), el('p', {}, 'The console has no page at ', el('code', {}, hash), '. ',
    el('a', {href: '#/devices'}, 'Go to the fleet.')));
}

document.getElementById('skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
signoutButton.addEventListener('click', signOut);
window.addEventListener('hashchange', route);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else signIn(null);
