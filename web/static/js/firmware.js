// Firmware images and campaigns: a progress bar per campaign and each
// device's status. The API comes with the firmware issue; without it the
// page says so.
import {el, replace, problemBox, unavailable, badge, when, table} from './ui.js';
import {find, fill} from './discover.js';

const DONE = ['succeeded', 'failed', 'cancelled', 'skipped'];

export async function render(ctx) {
  ctx.title('Firmware');
  const api = ctx.api;
  const images = el('section', {class: 'card', 'aria-labelledby': 'img-title'}, el('h2', {id: 'img-title'}, 'Firmware images'));
  const campaigns = el('section', {class: 'card', 'aria-labelledby': 'camp-title'}, el('h2', {id: 'camp-title'}, 'Campaigns'));
  replace(ctx.main, el('h1', {}, 'Firmware and campaigns'), images, campaigns);

  const imgOp = await find(api, 'GET', /^\/api\/v1\/(firmware|firmware-images|images)$/).catch((e) => {
    images.append(problemBox(e, 'Reading the OpenAPI document failed'));
    return null;
  });
  const imgPath = imgOp ? fill(imgOp.path, {}) : '/firmware';
  const imgPage = await api.optional(imgPath, {limit: 100}).catch((e) => {
    images.append(problemBox(e, 'Listing images failed'));
    return undefined;
  });
  if (imgPage === null) images.append(unavailable('Firmware images', `GET /api/v1${imgPath}`));
  else if (imgPage) {
    images.append(imgPage.items.length ? table('Images', ['Name', 'Version', 'Size', 'SHA-256', 'Uploaded'],
      imgPage.items.map((i) => el('tr', {}, el('td', {}, i.name || `#${i.id}`), el('td', {}, i.version || '—'),
        el('td', {class: 'num'}, i.size != null ? `${i.size} B` : '—'),
        el('td', {class: 'mono small'}, (i.sha256 || '').slice(0, 16)), el('td', {}, when(i.created_at)))))
      : el('p', {class: 'muted'}, 'No images uploaded.'));
  }

  const campPage = await api.optional('/campaigns', {limit: 100}).catch((e) => {
    campaigns.append(problemBox(e, 'Listing campaigns failed'));
    return undefined;
  });
  if (campPage === null) {
    campaigns.append(unavailable('Campaigns', 'GET /api/v1/campaigns'));
    return;
  }
  if (!campPage) return;
  if (!campPage.items.length) {
    campaigns.append(el('p', {class: 'muted'}, 'No campaigns.'));
    return;
  }
  const devOp = await find(api, 'GET', /^\/api\/v1\/campaigns\/\{[^}]+\}\/devices$/).catch((e) => {
    campaigns.append(problemBox(e, 'Reading the OpenAPI document failed'));
    return null;
  });
  for (const c of campPage.items) campaigns.append(campaign(api, c, devOp));
}

// counts finds a campaign's per-state device counts, whatever the member
// is called.
function counts(c) {
  for (const k of ['counts', 'progress', 'stats', 'devices']) {
    if (c[k] && typeof c[k] === 'object' && !Array.isArray(c[k])) return c[k];
  }
  return null;
}

function campaign(api, c, devOp) {
  const n = counts(c);
  let bar = null;
  if (n) {
    const total = Object.values(n).filter((v) => typeof v === 'number').reduce((a, b) => a + b, 0);
    const done = DONE.reduce((a, k) => a + (n[k] || 0), 0);
    const pct = total ? Math.round((100 * done) / total) : 0;
    bar = el('div', {},
      el('div', {class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct,
        'aria-label': `Campaign ${c.name} progress`}, el('span', {style: undefined, 'data-pct': pct})),
      el('p', {class: 'small muted'}, `${done} of ${total} devices done (${pct} %): ` +
        Object.entries(n).map(([k, v]) => `${k} ${v}`).join(', ')));
    bar.querySelector('[data-pct]').style.width = pct + '%';
  }
  const devices = el('div');
  const d = el('details', {}, el('summary', {}, 'Per-device status'), devices);
  d.addEventListener('toggle', async () => {
    if (!d.open || devices.childElementCount) return;
    if (!devOp) {
      devices.append(el('p', {class: 'muted'}, 'This server has no per-device campaign route.'));
      return;
    }
    try {
      const page = await api.get(fill(devOp.path, {id: c.id}), {limit: 200});
      devices.append(table('Devices', ['Device', 'State', 'Method', 'Reason'], page.items.map((x) =>
        el('tr', {}, el('td', {}, x.endpoint || `#${x.device_id}`), el('td', {}, badge(x.state)),
          el('td', {}, x.method || '—'), el('td', {}, x.reason || '—')))));
    } catch (e) {
      devices.append(problemBox(e, 'Listing the campaign\'s devices failed'));
    }
  });
  return el('article', {class: 'card'}, el('h3', {}, c.name, ' ', badge(c.state)), bar, d);
}
