// CoRE link format (RFC 6690) as a registration carries it:
// </>;rt="oma.lwm2m",</1>;ver=1.2,</1/0>,</3/0>. Only what the object tree
// needs: each link's target and its attributes.

// splitLinks splits at commas outside quotes and angle brackets.
export function splitLinks(s) {
  const out = [];
  let cur = '';
  let quote = false;
  let angle = false;
  for (const ch of s || '') {
    if (ch === '"' && !angle) quote = !quote;
    else if (ch === '<' && !quote) angle = true;
    else if (ch === '>' && !quote) angle = false;
    if (ch === ',' && !quote && !angle) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

// parseLink reads one link: {target, attrs}; null when it is not one.
export function parseLink(s) {
  const m = /^<([^>]*)>(.*)$/.exec(s.trim());
  if (!m) return null;
  const attrs = {};
  for (const part of m[2].split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) attrs[p] = true;
    else attrs[p.slice(0, eq)] = p.slice(eq + 1).replace(/^"|"$/g, '');
  }
  return {target: m[1], attrs};
}

// objectsOf turns a registration's links into objects by id, in order:
// [{id, version, instances: [ids]}]. rootPath ("/" or "/lwm2m") is
// stripped from targets.
export function objectsOf(linkText, rootPath) {
  const root = rootPath && rootPath !== '/' ? rootPath.replace(/\/$/, '') : '';
  const byID = new Map();
  for (const raw of splitLinks(linkText)) {
    const l = parseLink(raw);
    if (!l) continue;
    let t = l.target;
    if (root && t.startsWith(root)) t = t.slice(root.length);
    const segs = t.split('/').filter(Boolean);
    if (segs.length === 0 || segs.length > 2 || !segs.every((x) => /^\d+$/.test(x))) continue;
    const id = Number(segs[0]);
    let o = byID.get(id);
    if (!o) {
      o = {id, version: '', instances: []};
      byID.set(id, o);
    }
    if (segs.length === 1 && l.attrs.ver) o.version = l.attrs.ver;
    if (segs.length === 2) o.instances.push(Number(segs[1]));
  }
  return [...byID.values()];
}
