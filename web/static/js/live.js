// The live event stream (Server-Sent Events). Each page opens one with the
// filter it needs; a lost connection reconnects on its own and says so in
// the header's status line.

export class LiveStream {
  // status is the element that shows the connection state; onEvent gets
  // every parsed event; onDropped is told when the server dropped events.
  constructor(api, filter, status, onEvent, onDropped) {
    this.api = api;
    this.filter = filter || {};
    this.status = status;
    this.onEvent = onEvent;
    this.onDropped = onDropped || (() => {});
    this.lost = false;
    this.closed = false;
    this.retry = 1000;
    this.timer = 0;
    this.connect();
  }

  connect() {
    if (this.closed) return;
    const es = new EventSource(this.api.streamURL(this.filter));
    this.es = es;
    es.onopen = () => {
      this.retry = 1000;
      this.say('live', this.lost ? 'Live updates restored' : 'Live');
      this.lost = false;
    };
    es.onmessage = (m) => {
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      this.onEvent(ev);
    };
    es.addEventListener('dropped', () => this.onDropped());
    es.onerror = () => {
      if (this.closed) return;
      this.lost = true;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (an HTTP error, not a dropped connection):
        // reconnect ourselves, backing off to 30 s.
        const wait = this.retry;
        this.retry = Math.min(this.retry * 2, 30000);
        this.say('lost', `Live updates lost — reconnecting in ${Math.round(wait / 1000)} s…`);
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.connect(), wait);
      } else {
        this.say('lost', 'Live updates lost — reconnecting…');
      }
    };
  }

  say(state, text) {
    if (!this.status || this.closed) return;
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.es) this.es.close();
  }
}
