// Profiles: what each one observes, maps to telemetry and attributes, and
// its delivery settings.
import {el, replace, when} from './ui.js';
import {enc} from './api.js';

export async function render(ctx) {
  ctx.title('Profiles');
  const page = await ctx.api.get('/profiles', {limit: 200});
  const list = page.items.map((p) => {
    const s = p.spec || {};
    const observe = (s.observe && s.observe.targets) || [];
    return el('article', {class: 'card', 'data-profile': p.name},
      el('h2', {}, p.name),
      p.description ? el('p', {}, p.description) : null,
      el('dl', {class: 'props'},
        el('dt', {}, 'Observes'), el('dd', {}, observe.length
          ? observe.map((t) => `${t.path}${t.attributes ? ' ' + JSON.stringify(t.attributes) : ''}`).join(', ')
          : '—'),
        el('dt', {}, 'Telemetry'), el('dd', {}, (s.telemetry || []).map((m) => `${m.name} ← ${m.path}`).join(', ') || '—'),
        el('dt', {}, 'Attributes'), el('dd', {}, (s.attributes || []).map((m) => `${m.name} ← ${m.path}`).join(', ') || '—'),
        el('dt', {}, 'Format'), el('dd', {}, s.format || 'server default'),
        el('dt', {}, 'Awake window'), el('dd', {}, s.awake_window || 'server default'),
        el('dt', {}, 'Command expiry'), el('dd', {}, s.command_expiry || 'server default'),
        el('dt', {}, 'Updated'), el('dd', {}, when(p.updated_at))),
      el('p', {}, el('a', {href: `#/devices?profile=${enc(p.name)}`}, `Devices with ${p.name}`)));
  });
  replace(ctx.main, el('h1', {}, 'Profiles'),
    list.length ? list : el('p', {class: 'muted'}, 'No profiles. Create them with shoalctl or POST /api/v1/profiles.'),
    page.total > page.items.length ? el('p', {class: 'muted'}, `Showing ${page.items.length} of ${page.total}.`) : null);
}

