package dm

import (
	"context"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// deviceCache keeps the devices and profiles the hot paths (ingest,
// commands) need, so an event or a command does not cost a query. dm
// invalidates its own changes at once; entries are also refreshed after
// CacheTTL so changes made by another node show up.
type deviceCache struct {
	mu       sync.Mutex
	byEP     map[string]*devEntry
	byID     map[int64]*devEntry
	profiles map[int64]profEntry
}

// devEntry is a cached device plus what dm tracks about it.
type devEntry struct {
	dev      models.Device
	loadedAt time.Time
	// lastSeenWritten is when last-seen was last stored.
	lastSeenWritten time.Time
	info            *DeviceInfo
}

type profEntry struct {
	p        *models.Profile
	m        *mapping
	loadedAt time.Time
}

func newDeviceCache() *deviceCache {
	return &deviceCache{byEP: map[string]*devEntry{}, byID: map[int64]*devEntry{}, profiles: map[int64]profEntry{}}
}

func (c *deviceCache) put(d models.Device, now time.Time) *devEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.byID[d.ID]; old != nil && old.dev.Endpoint != d.Endpoint {
		delete(c.byEP, old.dev.Endpoint)
	}
	e := c.byEP[d.Endpoint]
	if e == nil || e.dev.ID != d.ID {
		e = &devEntry{}
	}
	e.dev, e.loadedAt = d, now
	c.byEP[d.Endpoint], c.byID[d.ID] = e, e
	return e
}

// snapshot copies an entry's device under the lock.
func (c *deviceCache) snapshot(e *devEntry) models.Device {
	c.mu.Lock()
	defer c.mu.Unlock()
	return e.dev
}

func (c *deviceCache) drop(ep string) {
	c.mu.Lock()
	if e := c.byEP[ep]; e != nil {
		delete(c.byID, e.dev.ID)
	}
	delete(c.byEP, ep)
	c.mu.Unlock()
}

func (c *deviceCache) dropProfile(id int64) {
	c.mu.Lock()
	delete(c.profiles, id)
	c.mu.Unlock()
}

// device returns the device of an endpoint from the cache or the store.
func (s *Service) device(ctx context.Context, ep string) (models.Device, error) {
	e, err := s.deviceEntry(ctx, ep)
	if err != nil {
		return models.Device{}, err
	}
	return s.rt.devices.snapshot(e), nil
}

func (s *Service) deviceEntry(ctx context.Context, ep string) (*devEntry, error) {
	c := s.rt.devices
	now := s.now()
	c.mu.Lock()
	e := c.byEP[ep]
	fresh := e != nil && now.Sub(e.loadedAt) < s.cfg.CacheTTL
	c.mu.Unlock()
	if fresh {
		return e, nil
	}
	if b := batchOf(ctx); b != nil && b.creating[ep] {
		// The ingest batch is creating this device: do that first.
		s.flushCreates(ctx, b)
		return s.deviceEntry(ctx, ep)
	}
	d, err := s.st.Devices.GetByEndpoint(ctx, ep)
	if err != nil {
		return nil, err
	}
	return c.put(d, now), nil
}

// fresh returns the entry of ep and a copy of its device when it was
// loaded less than ttl before now (no store access).
func (c *deviceCache) fresh(ep string, now time.Time, ttl time.Duration) (*devEntry, models.Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byEP[ep]
	if e == nil || now.Sub(e.loadedAt) >= ttl {
		return nil, models.Device{}, false
	}
	return e, e.dev, true
}

// cachedByID returns a cached device without going to the store.
func (c *deviceCache) cachedByID(id int64) (models.Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil {
		return e.dev, true
	}
	return models.Device{}, false
}

// deviceByID returns a device by id from the cache or the store.
func (s *Service) deviceByID(ctx context.Context, id int64) (models.Device, error) {
	c := s.rt.devices
	now := s.now()
	c.mu.Lock()
	e := c.byID[id]
	if e != nil && now.Sub(e.loadedAt) < s.cfg.CacheTTL {
		d := e.dev
		c.mu.Unlock()
		return d, nil
	}
	c.mu.Unlock()
	d, err := s.st.Devices.Get(ctx, id)
	if err != nil {
		return models.Device{}, err
	}
	c.put(d, now)
	return d, nil
}

// profileOf returns a device's profile, nil when it has none.
func (s *Service) profileOf(ctx context.Context, d models.Device) (*models.Profile, error) {
	if d.ProfileID == 0 {
		return nil, nil
	}
	c := s.rt.devices
	now := s.now()
	c.mu.Lock()
	pe, ok := c.profiles[d.ProfileID]
	c.mu.Unlock()
	if ok && now.Sub(pe.loadedAt) < s.cfg.CacheTTL {
		return pe.p, nil
	}
	p, err := s.st.Profiles.Get(ctx, d.ProfileID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.profiles[p.ID] = profEntry{p: &p, loadedAt: now}
	c.mu.Unlock()
	return &p, nil
}
