package dm

import (
	"sync"
	"time"
)

// presence tracks, per endpoint, whether the device can be reached right
// now: registered, with a live session (a DTLS device must handshake again
// after a restart), and — in queue mode — awake. It is updated
// synchronously by the listener so a command issued right after an event
// sees it.
type presence struct {
	mu sync.RWMutex
	m  map[string]*presenceEntry
	// ended holds the endpoints whose registration ended last (until they
	// register again): an Update, wake-up or uplink reported after the end
	// must not bring them back online.
	ended map[string]struct{}
}

type presenceEntry struct {
	registered bool
	queueMode  bool
	awake      bool
	connected  bool
	heard      time.Time
	// window, when set, is the profile's awake window: a queue-mode
	// device counts as asleep once it has been silent that long, even if
	// the server's (global) window is longer.
	window time.Duration
}

func newPresence() *presence {
	return &presence{m: map[string]*presenceEntry{}, ended: map[string]struct{}{}}
}

// registered records a new registration (the device is talking: awake
// and connected).
func (p *presence) registered(ep string, queueMode bool, at time.Time) {
	p.mu.Lock()
	var w time.Duration
	if old := p.m[ep]; old != nil {
		w = old.window
	}
	p.m[ep] = &presenceEntry{registered: true, queueMode: queueMode, awake: true, connected: true, heard: at, window: w}
	delete(p.ended, ep)
	p.mu.Unlock()
}

// restored records a registration loaded at start: a plain-UDP device is
// reachable at once, a DTLS one once it is heard from; queue-mode devices
// count as asleep until then.
func (p *presence) restored(ep string, queueMode, udp bool, at time.Time) {
	p.mu.Lock()
	if _, ok := p.m[ep]; !ok {
		p.m[ep] = &presenceEntry{registered: true, queueMode: queueMode, connected: udp, heard: at}
	}
	p.mu.Unlock()
}

// heard records an uplink from a registered device: it is connected and,
// in queue mode, awake. It reports whether the endpoint is registered.
func (p *presence) heard(ep string, queueMode *bool, at time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[ep]
	if e == nil {
		return false
	}
	if queueMode != nil {
		e.queueMode = *queueMode
	}
	e.awake, e.connected, e.heard = true, true, at
	return e.registered
}

// setAwake records a queue-mode device waking or falling asleep.
func (p *presence) setAwake(ep string, awake bool, at time.Time) {
	p.mu.Lock()
	if e := p.m[ep]; e != nil {
		e.awake = awake
		if awake {
			e.connected, e.heard = true, at
		}
	}
	p.mu.Unlock()
}

// unreachable records that a send found the device gone: asleep, without
// a session, or unregistered.
func (p *presence) unreachable(ep string, registered bool) {
	p.mu.Lock()
	if e := p.m[ep]; e != nil {
		if !registered {
			delete(p.m, ep)
		} else if e.queueMode {
			e.awake = false
		} else {
			e.connected = false
		}
	}
	p.mu.Unlock()
}

// gone records a de-registration or expiry.
func (p *presence) gone(ep string) {
	p.mu.Lock()
	delete(p.m, ep)
	p.ended[ep] = struct{}{}
	p.mu.Unlock()
}

// over reports whether ep's registration ended and it has not registered
// since: what is still reported of it then changes no status.
func (p *presence) over(ep string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.ended[ep]
	return ok
}

// setWindow records the awake window of ep's profile (0: the server's).
func (p *presence) setWindow(ep string, w time.Duration) {
	p.mu.Lock()
	if e := p.m[ep]; e != nil {
		e.window = w
	}
	p.mu.Unlock()
}

// reachable reports whether a request to ep would go out now.
func (p *presence) reachable(ep string, now time.Time) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e := p.m[ep]
	if e == nil || !e.registered || !e.connected {
		return false
	}
	if !e.queueMode {
		return true
	}
	return e.awake && (e.window <= 0 || now.Sub(e.heard) < e.window)
}

// state returns ep's presence (ok false when not registered).
func (p *presence) state(ep string) (presenceEntry, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e := p.m[ep]
	if e == nil {
		return presenceEntry{}, false
	}
	return *e, true
}

// counts returns the number of registered devices and of those reachable
// now.
func (p *presence) counts() (registered, online int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, e := range p.m {
		if e.registered {
			registered++
			if !e.queueMode || e.awake {
				online++
			}
		}
	}
	return registered, online
}
