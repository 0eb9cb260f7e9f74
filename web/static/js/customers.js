// Customers and API tokens, for admins: list, create, revoke. The routes
// come with the tenancy issue; without them the page says so.
import {el, replace, problemBox, unavailable, badge, when, table, busy} from './ui.js';
import {Problem, enc} from './api.js';

export async function render(ctx) {
  ctx.title('Customers & tokens');
  const api = ctx.api;
  const custBox = el('section', {class: 'card', 'aria-labelledby': 'cust-title'}, el('h2', {id: 'cust-title'}, 'Customers'));
  const tokBox = el('section', {class: 'card', 'aria-labelledby': 'tok-title'}, el('h2', {id: 'tok-title'}, 'API tokens'));
  replace(ctx.main, el('h1', {}, 'Customers and tokens'), el('div', {class: 'grid'}, custBox, tokBox));
  await Promise.all([customers(api, custBox), tokens(api, tokBox)]);
}

// guarded runs a section's loader, showing its problem in the section.
async function guarded(box, what, fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Problem && e.status === 401) throw e;
    box.append(problemBox(e, what));
    return undefined;
  }
}

async function customers(api, box) {
  const list = el('div', {id: 'customer-list'});
  const out = el('div', {'aria-live': 'polite'});
  const name = el('input', {id: 'c-name', required: true});
  const desc = el('input', {id: 'c-desc'});
  const form = el('form', {class: 'form-row', 'aria-label': 'New customer'},
    el('div', {class: 'field'}, el('label', {for: 'c-name'}, 'Name'), name),
    el('div', {class: 'field'}, el('label', {for: 'c-desc'}, 'Description'), desc),
    el('button', {type: 'submit'}, 'Create customer'));
  async function load() {
    const page = await api.optional('/customers', {limit: 200});
    if (page === null) {
      replace(box, el('h2', {id: 'cust-title'}, 'Customers'), unavailable('Customers', 'GET /api/v1/customers'));
      return false;
    }
    replace(list, page.items.length ? table(`${page.total} customers`, ['Id', 'Name', 'Description', 'Devices', 'Created'],
      page.items.map((c) => el('tr', {'data-customer': c.name}, el('td', {class: 'num'}, c.id), el('td', {}, c.name),
        el('td', {}, c.description || '—'),
        el('td', {}, el('a', {href: `#/devices?customer=${enc(c.id)}`}, 'devices')),
        el('td', {}, when(c.created_at))))) : el('p', {class: 'muted'}, 'No customers.'));
    return true;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = form.querySelector('button');
    await busy(b, async () => {
      try {
        await api.call('POST', '/customers', {body: {name: name.value.trim(), description: desc.value.trim()}});
        replace(out, el('p', {class: 'ok'}, `Customer ${name.value.trim()} created.`));
        name.value = desc.value = '';
        await load();
      } catch (e) {
        replace(out, problemBox(e, 'Creating the customer failed'));
      }
    });
  });
  box.append(form, out, list);
  await guarded(box, 'Listing customers failed', load);
}

async function tokens(api, box) {
  const list = el('div', {id: 'token-list'});
  const out = el('div', {'aria-live': 'polite'});
  const name = el('input', {id: 't-name', required: true});
  const role = el('select', {id: 't-role'}, ['operator', 'admin', 'customer'].map((r) => el('option', {value: r}, r)));
  const customer = el('input', {id: 't-customer', placeholder: 'name or id (customer role)'});
  const expires = el('input', {id: 't-expires', placeholder: 'e.g. 720h'});
  const form = el('form', {class: 'form-row', 'aria-label': 'New token'},
    el('div', {class: 'field'}, el('label', {for: 't-name'}, 'Name'), name),
    el('div', {class: 'field'}, el('label', {for: 't-role'}, 'Role'), role),
    el('div', {class: 'field'}, el('label', {for: 't-customer'}, 'Customer'), customer),
    el('div', {class: 'field'}, el('label', {for: 't-expires'}, 'Expires in'), expires),
    el('button', {type: 'submit'}, 'Create token'));
  async function load() {
    const page = await api.optional('/tokens', {limit: 200});
    if (page === null) {
      replace(box, el('h2', {id: 'tok-title'}, 'API tokens'), unavailable('Tokens', 'GET /api/v1/tokens'));
      return;
    }
    replace(list, page.items.length ? table(`${page.total} active tokens`, ['Name', 'Prefix', 'Role', 'Customer', 'Last used', 'Expires', ''],
      page.items.map((t) => {
        const cell = el('td', {});
        if (!t.revoked) {
          const b = el('button', {type: 'button', class: 'small secondary', 'aria-label': `Revoke token ${t.name}`}, 'Revoke');
          b.addEventListener('click', () => busy(b, async () => {
            try {
              await api.call('DELETE', `/tokens/${t.id}`);
              await load();
            } catch (e) {
              replace(cell, problemBox(e, 'Revoking failed'));
            }
          }));
          cell.append(b);
        } else cell.append(badge('revoked'));
        return el('tr', {'data-token': t.id}, el('td', {}, t.name), el('td', {class: 'mono'}, t.prefix || ''),
          el('td', {}, t.role), el('td', {}, t.customer_id ? `#${t.customer_id}` : '—'),
          el('td', {}, when(t.last_used_at)), el('td', {}, when(t.expires_at)), cell);
      })) : el('p', {class: 'muted'}, 'No tokens.'));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = form.querySelector('button');
    await busy(b, async () => {
      const body = {name: name.value.trim(), role: role.value};
      if (customer.value.trim()) body.customer = customer.value.trim();
      if (expires.value.trim()) body.expires_in = expires.value.trim();
      try {
        const {data} = await api.call('POST', '/tokens', {body});
        replace(out, el('div', {class: 'notice'}, el('strong', {}, 'Copy this token now — it is shown only once: '),
          el('code', {class: 'secret', id: 'new-secret'}, data.secret)));
        name.value = customer.value = expires.value = '';
        await load();
      } catch (e) {
        replace(out, problemBox(e, 'Creating the token failed'));
      }
    });
  });
  box.append(form, out, list);
  await guarded(box, 'Listing tokens failed', load);
}
