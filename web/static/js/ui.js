// Small DOM helpers shared by the pages. Text always goes in through
// text nodes, never parsed as markup, so nothing the API returns can inject HTML.

// el builds an element: el('a', {href: '#/x', class: 'y'}, 'text', child).
// Attributes named on* take functions; true/false toggle boolean attributes.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties e and fills it with children.
export function replace(e, ...children) {
  e.replaceChildren();
  append(e, children);
  return e;
}

// problemBox renders a failed call: its title and detail, and the field
// or LwM2M code when the problem names one.
export function problemBox(err, what) {
  const title = err && err.title ? err.title : 'Error';
  const bits = [];
  if (err && err.status) bits.push(`HTTP ${err.status}`);
  if (err && err.lwm2mCode) bits.push(`LwM2M ${err.lwm2mCode}`);
  if (err && err.field) bits.push(`field ${err.field}`);
  return el('div', {class: 'problem', role: 'alert'},
    el('strong', {}, (what ? what + ': ' : '') + title),
    el('span', {class: 'detail'}, (err && err.detail) || (err && err.message) || String(err)),
    bits.length ? el('span', {class: 'small'}, ' (' + bits.join(', ') + ')') : null);
}

// unavailable says a section's API is not on this server.
export function unavailable(what, route) {
  return el('div', {class: 'notice', role: 'status'},
    el('strong', {}, `${what}: not available on this server. `),
    `This server answers 404 for ${route}, so it has no ${what.toLowerCase()} API yet.`);
}

export function badge(text) {
  return el('span', {class: 'badge ' + String(text || '').toLowerCase()}, text || '—');
}

// when formats a time for people: local date and time, or "—".
export function when(t) {
  if (!t) return '—';
  const d = new Date(t);
  if (isNaN(d)) return String(t);
  return d.toLocaleString(undefined, {dateStyle: 'short', timeStyle: 'medium'});
}

// ago says how long ago t was ("12 s ago").
export function ago(t) {
  if (!t) return 'never';
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  if (isNaN(s)) return String(t);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function timeEl(t) {
  return el('time', {datetime: t || '', title: t ? when(t) : ''}, t ? ago(t) : 'never');
}

// busy disables a button while fn runs.
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// table builds a table with a caption from headings and rows of cells.
export function table(caption, headings, rows) {
  return el('div', {class: 'table-wrap'},
    el('table', {},
      caption ? el('caption', {class: 'sr-only'}, caption) : null,
      el('thead', {}, el('tr', {}, headings.map((h) => el('th', {scope: 'col'}, h)))),
      el('tbody', {}, rows)));
}

// fmtValue renders a typed LwM2M value ({type, value}) as text.
export function fmtValue(v, units) {
  if (v === undefined || v === null) return '—';
  let s;
  if (typeof v === 'object' && 'value' in v) s = v.value;
  else s = v;
  if (typeof s === 'object') s = JSON.stringify(s);
  return units && s !== '' ? `${s} ${units}` : String(s);
}
