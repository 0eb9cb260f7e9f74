// The REST client: every call carries the token, and every failure is a
// Problem with the RFC 9457 document's title and detail.

export const V1 = '/api/v1';

export class Problem extends Error {
  constructor(status, doc) {
    const d = doc && typeof doc === 'object' ? doc : {};
    super(d.detail || d.title || `HTTP ${status}`);
    this.status = status;
    this.type = d.type || '';
    this.title = d.title || (status ? `HTTP ${status}` : 'Network error');
    this.detail = d.detail || (typeof doc === 'string' ? doc : '');
    this.field = d.field || '';
    this.lwm2mCode = d.lwm2m_code || '';
    this.commandId = d.command_id || 0;
  }

  // noRoute is true when the server has no such route at all (as opposed
  // to a record that does not exist).
  get noRoute() {
    return this.status === 404 && this.type.endsWith(':no-such-route');
  }
}

function query(q) {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

// enc escapes one path segment (an endpoint name).
export const enc = encodeURIComponent;

export class API {
  // onUnauthorized is called with the Problem of any 401.
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized || (() => {});
  }

  // call does one request and returns {status, data}; it throws a Problem
  // for anything but 2xx.
  async call(method, path, {q, body, signal} = {}) {
    const headers = {Authorization: 'Bearer ' + this.token, Accept: 'application/json'};
    const init = {method, headers, signal, cache: 'no-store'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(V1 + path + query(q), init);
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new Problem(0, {title: 'Server unreachable', detail: `${method} ${V1}${path} did not get an answer: ${e.message}`});
    }
    let data = null;
    const text = resp.status === 204 ? '' : await resp.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!resp.ok) {
      const p = new Problem(resp.status, data || {title: resp.statusText});
      if (resp.status === 401) this.onUnauthorized(p);
      throw p;
    }
    return {status: resp.status, data};
  }

  async get(path, q, opts = {}) {
    return (await this.call('GET', path, {...opts, q})).data;
  }

  // optional GETs a route that may not exist on this server: null when
  // the server has no such route.
  async optional(path, q) {
    try {
      return await this.get(path, q);
    } catch (e) {
      if (e instanceof Problem && e.noRoute) return null;
      throw e;
    }
  }

  // streamURL is the event stream's URL: EventSource sends no headers, so
  // the token goes in ?access_token= (accepted on this route only).
  streamURL(q) {
    return V1 + '/events' + query({...q, access_token: this.token});
  }
}
