// What this server offers, from its own OpenAPI document: pages for
// sections that arrive with later server versions find their routes here
// instead of guessing them.

let cached = null; // one fetch per API object (per sign-in)

export async function operations(api) {
  if (cached && cached.api === api) return cached.ops;
  const ops = api.get('/openapi.json').then((doc) => {
    const out = [];
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const [method, op] of Object.entries(item)) {
        out.push({method: method.toUpperCase(), path, id: op.operationId || '', summary: op.summary || ''});
      }
    }
    return out;
  });
  cached = {api, ops};
  return ops;
}

// find returns the first operation whose method matches and whose path and
// operationId pass the tests, or null.
export async function find(api, method, pathRe, idRe) {
  const ops = await operations(api);
  return ops.find((o) => o.method === method && pathRe.test(o.path) && (!idRe || idRe.test(o.id))) || null;
}

// fill puts values into a path template: /api/v1/alarms/{id}/ack → …/7/ack;
// the /api/v1 prefix is dropped (the client adds it).
export function fill(template, values) {
  return template.replace(/^\/api\/v1/, '').replace(/\{([^}]+)\}/g, (_, k) => encodeURIComponent(values[k] ?? values.id));
}
