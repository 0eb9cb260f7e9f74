package client

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

var timeZero time.Time

// Client is one simulated LwM2M device.
type Client struct {
	cfg    Config
	log    zerolog.Logger
	clock  Clock
	models lwm2m.ModelProvider
	codecs *codec.Registry
	dialer Dialer
	local  string // local address to send from

	mu   sync.Mutex
	tree *Tree
	obs  observations
	fw   *firmware
	sim  simState
	rng  *rand.Rand

	conn          Conn
	bootstrap     bool // bootstrapping (or about to)
	bsFinished    bool // Bootstrap-Finish received
	bsDone        chan struct{}
	registered    bool      // holds a registration
	location      []string  // registration's Location-Path
	lastUplink    time.Time // start of the queue-mode awake window
	lastUpdate    time.Time // last successful Register or Update
	wantUpdate    bool      // send an Update as soon as possible
	wantObjects   bool      // the next Update carries the object list
	sleeping      bool
	forceSleep    bool
	reboot        bool          // a reboot is pending
	rebootAt      time.Time     // when it happens
	disableFor    time.Duration // the pending reboot is a Disable (/1/x/4)
	disabledUntil time.Time
	sends         []sendJob
	nextSim       time.Time
	timeOffset    time.Duration // /3/0/13 written by a server
	seq           uint32
	poke          chan struct{}
	started       bool
}

// New builds a client from cfg (defaults applied, then validated), with
// the standard objects installed and filled.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		clock:  cfg.Clock,
		models: cfg.Models,
		codecs: cfg.Codecs,
		dialer: cfg.Dialer,
		local:  cfg.LocalAddr,
		tree:   NewTree(),
		poke:   make(chan struct{}, 1),
	}
	if cfg.Logger != nil {
		c.log = cfg.Logger.With().Str("ep", cfg.Endpoint).Logger()
	} else {
		c.log = zerolog.Nop()
	}
	h := fnv.New64a()
	h.Write([]byte(cfg.Endpoint))
	c.rng = rand.New(rand.NewPCG(cfg.Seed, h.Sum64()))
	c.tree.changed = c.changed
	c.tree.structure = func() { c.wantUpdate, c.wantObjects = true, true }
	if err := c.installStandardObjects(); err != nil {
		return nil, err
	}
	c.bootstrap = cfg.BootstrapURI != ""
	c.nextSim = c.clock.Now().Add(cfg.SimInterval)
	return c, nil
}

// changed runs (under the lock) for every changed path.
func (c *Client) changed(p lwm2m.Path) {
	c.obs.changed(p)
	c.kick()
}

// kick wakes the Run loop to recompute its schedule.
func (c *Client) kick() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// Endpoint returns the endpoint name.
func (c *Client) Endpoint() string { return c.cfg.Endpoint }

// AddObject adds a custom object before Run; its model must be known.
func (c *Client) AddObject(o *Object) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.tree.AddObject(o); err != nil {
		return err
	}
	c.wantUpdate, c.wantObjects = true, true
	return nil
}

// Get returns the value at a resource or resource-instance path.
func (c *Client) Get(p lwm2m.Path) (lwm2m.Value, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.tree.Value(p)
	if !ok {
		return lwm2m.Value{}, fmt.Errorf("%w: %s", ErrUnknownPath, p)
	}
	return v, nil
}

// Read returns the node at p as the device sees it (no access checks).
func (c *Client) Read(p lwm2m.Path) (lwm2m.Node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.tree.Read(p, byDevice)
	if err != nil {
		return lwm2m.Node{}, fmt.Errorf("%w: %v", ErrUnknownPath, err)
	}
	return n, nil
}

// Set stores a value on the device's own behalf (read-only resources
// included); observations of the path are evaluated and notify when due.
func (c *Client) Set(p lwm2m.Path, v lwm2m.Value) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.tree.Set(p, v); err != nil {
		code, _ := lwm2m.StatusCode(err)
		if code == lwm2m.CodeNotFound {
			return fmt.Errorf("%w: %v", ErrUnknownPath, err)
		}
		return fmt.Errorf("%w: %v", ErrType, err)
	}
	return nil
}

// Attributes returns the notification attributes written at p.
func (c *Client) Attributes(p lwm2m.Path) lwm2m.Attributes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tree.AttributesAt(p)
}

// Status is a snapshot of the client's state.
type Status struct {
	Registered     bool
	Location       string
	Sleeping       bool
	Bootstrapping  bool
	Observations   int
	FirmwareState  int64
	FirmwareResult int64
}

// Status returns the client's current state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{
		Registered:    c.registered,
		Sleeping:      c.sleeping,
		Bootstrapping: c.bootstrap,
		Observations:  len(c.obs.list),
	}
	if len(c.location) > 0 {
		s.Location = "/" + joinPath(c.location)
	}
	if v, ok := c.tree.Value(lwm2m.ResourcePath(5, 0, fwState)); ok {
		s.FirmwareState = v.Int()
	}
	if v, ok := c.tree.Value(lwm2m.ResourcePath(5, 0, fwResult)); ok {
		s.FirmwareResult = v.Int()
	}
	return s
}

func joinPath(segs []string) string {
	out := ""
	for i, s := range segs {
		if i > 0 {
			out += "/"
		}
		out += s
	}
	return out
}

// Sleep puts a queue-mode device to sleep now (it goes silent until Wake
// or until something is due). Without queue mode it does nothing.
func (c *Client) Sleep() {
	c.mu.Lock()
	if c.cfg.QueueMode {
		c.forceSleep = true
	}
	c.mu.Unlock()
	c.kick()
}

// Wake wakes a sleeping device: it sends an Update and serves what the
// server held for it.
func (c *Client) Wake() {
	c.mu.Lock()
	c.forceSleep = false
	if c.sleeping {
		c.wantUpdate = true
	}
	c.mu.Unlock()
	c.kick()
}

// Reboot simulates a reboot: observations are lost and the device
// registers again (without deregistering, as a power cycle would).
func (c *Client) Reboot() {
	c.mu.Lock()
	c.reboot, c.rebootAt = true, c.clock.Now()
	c.mu.Unlock()
	c.kick()
}

// scheduleReboot reboots after RebootDelay, so the answer to the request
// that asked for it goes out first (under the lock).
func (c *Client) scheduleReboot() {
	c.reboot, c.rebootAt = true, c.clock.Now().Add(c.cfg.RebootDelay)
	c.kick()
}

// TriggerUpdate asks for a Registration Update now.
func (c *Client) TriggerUpdate() {
	c.mu.Lock()
	c.wantUpdate = true
	c.mu.Unlock()
	c.kick()
}

// ServeCoAP answers a request from the management server; a sleeping
// device answers nothing.
func (c *Client) serveServer(req *coap.Message) *coap.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sleeping {
		return nil
	}
	c.lastUplink = c.clock.Now()
	resp := c.handle(req, byServer)
	c.kick() // observations or schedules may have changed
	return resp
}

type inbound struct {
	c   *Client
	who access
}

func (in inbound) ServeCoAP(req *coap.Message) *coap.Message {
	if in.who == byBootstrap {
		in.c.mu.Lock()
		defer in.c.mu.Unlock()
		return in.c.handle(req, byBootstrap)
	}
	return in.c.serveServer(req)
}

func (in inbound) Cancelled(tok coap.Token) {
	in.c.mu.Lock()
	in.c.obs.remove(string(tok.Bytes()))
	in.c.mu.Unlock()
}

// Objects returns the ids of the objects the device carries, in order.
func (c *Client) Objects() []uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]uint16, 0, len(c.tree.objects))
	for _, o := range c.tree.objects {
		ids = append(ids, o.Model.ID)
	}
	return ids
}

// SetFirmwareFailure changes the failure injected into firmware updates
// (FailNone stops injecting). It applies from the next decision the state
// machine takes: the end of a download, or the reboot that installs.
func (c *Client) SetFirmwareFailure(f FirmwareFailure) {
	c.mu.Lock()
	c.fw.opts.Failure = f
	c.mu.Unlock()
}
