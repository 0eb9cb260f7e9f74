package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// action is what the Run loop does next.
type action uint8

const (
	actWait action = iota
	actReboot
	actBootstrap
	actRegister
	actUpdate
	actSend
	actNotify
)

// updateDue returns when the next Registration Update is due: at nine
// tenths of the lifetime, so it lands before the server expires us.
func (c *Client) updateDue() time.Time {
	lt := c.cfg.Lifetime
	if a, err := c.account(); err == nil {
		lt = a.lifetime
	}
	return c.lastUpdate.Add(lt - lt/10)
}

// plan decides, under the lock, what to do now and, for actWait, until
// when. Simulation ticks and the queue-mode sleep are done right here.
func (c *Client) plan(now time.Time, retryAt time.Time) (action, time.Time) {
	if c.reboot {
		if !now.Before(c.rebootAt) {
			return actReboot, now
		}
		return actWait, c.rebootAt
	}
	if !c.disabledUntil.IsZero() {
		if now.Before(c.disabledUntil) {
			return actWait, c.disabledUntil
		}
		c.disabledUntil = time.Time{}
	}
	if now.Before(retryAt) {
		return actWait, retryAt
	}
	if c.bootstrap {
		return actBootstrap, now
	}
	if !c.registered {
		return actRegister, now
	}
	if c.cfg.SimInterval > 0 && !now.Before(c.nextSim) {
		c.simulate()
		c.nextSim = now.Add(c.cfg.SimInterval)
	}
	if c.wantUpdate || !now.Before(c.updateDue()) {
		return actUpdate, now
	}
	if len(c.sends) > 0 {
		if c.sleeping {
			return actUpdate, now
		}
		return actSend, now
	}
	if at, ok := c.obs.next(c); ok && !now.Before(at) {
		if c.sleeping {
			return actUpdate, now // wake up to notify
		}
		return actNotify, now
	}
	if c.cfg.QueueMode && !c.sleeping && (c.forceSleep || !now.Before(c.lastUplink.Add(c.cfg.AwakeTime))) {
		c.sleeping, c.forceSleep = true, false
		c.radio(false)
		if c.cfg.Events.Asleep != nil {
			c.cfg.Events.Asleep(c.cfg.Endpoint)
		}
	}
	until := c.updateDue()
	if c.cfg.SimInterval > 0 && c.nextSim.Before(until) {
		until = c.nextSim
	}
	if at, ok := c.obs.next(c); ok && at.Before(until) {
		until = at
	}
	if c.cfg.QueueMode && !c.sleeping {
		if end := c.lastUplink.Add(c.cfg.AwakeTime); end.Before(until) {
			until = end
		}
	}
	return actWait, until
}

// Run registers (bootstrapping first when configured), keeps the
// registration alive, serves the server, sends notifications, Sends and
// simulated values, and deregisters when ctx ends. It returns nil after a
// clean shutdown; it fails at once only without a Dialer or when called
// twice. Failed exchanges are reported to Events.Error and retried after
// RetryDelay.
func (c *Client) Run(ctx context.Context) error {
	if c.dialer == nil {
		return fmt.Errorf("%w: no dialer", ErrConfig)
	}
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return fmt.Errorf("%w: Run called twice", ErrConfig)
	}
	c.started = true
	c.mu.Unlock()
	timer := c.clock.NewTimer()
	defer timer.Stop()
	defer c.shutdown()
	var retryAt time.Time
	for ctx.Err() == nil {
		c.mu.Lock()
		now := c.clock.Now()
		act, until := c.plan(now, retryAt)
		c.mu.Unlock()
		var err error
		switch act {
		case actReboot:
			c.doReboot()
		case actBootstrap:
			err = c.doBootstrap(ctx)
		case actRegister:
			err = c.doRegister(ctx)
		case actUpdate:
			err = c.doUpdate(ctx)
		case actSend:
			c.doSends(ctx)
		case actNotify:
			c.doNotify(ctx)
		case actWait:
			timer.Reset(until.Sub(now))
			select {
			case <-ctx.Done():
			case <-timer.C():
			case <-c.poke:
			}
			timer.Stop()
		}
		if err != nil && ctx.Err() == nil {
			// Even a broken account (a server may write nonsense into
			// /0 or /1) only delays the next attempt: a device never
			// stops because of what a server sent it.
			c.fail(err)
			c.mu.Lock()
			retryAt = c.clock.Now().Add(c.cfg.RetryDelay)
			c.mu.Unlock()
		}
	}
	return nil
}

// shutdown deregisters (bounded by the request timeout) and closes the
// connection.
func (c *Client) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
	defer cancel()
	c.mu.Lock()
	c.wakeUp() // a device switched off says goodbye first
	c.mu.Unlock()
	c.doDeregister(ctx)
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.registered = false
	c.fw.abort()
	for _, j := range c.sends {
		j.done <- ErrNotRegistered
	}
	c.sends = nil
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// doReboot simulates a power cycle: the firmware update (if one was being
// installed) completes, observations are lost, the connection is dropped
// and the device registers afresh.
func (c *Client) doReboot() {
	c.mu.Lock()
	disable := c.disableFor
	c.disableFor = 0
	c.mu.Unlock()
	if disable > 0 {
		// Disable (/1/x/4): de-register, then stay away for the timeout.
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
		c.doDeregister(ctx)
		cancel()
	}
	c.mu.Lock()
	if disable > 0 {
		c.disabledUntil = c.clock.Now().Add(disable)
	}
	c.reboot = false
	if v := c.fw.finishInstall(); v != "" {
		_ = c.tree.Set(pathFirmwareVersion, stringValue(v))
	}
	c.obs.list = nil
	conn := c.conn
	c.conn = nil
	c.registered = false
	c.sleeping, c.forceSleep = false, false
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
	if c.cfg.Events.Rebooted != nil {
		c.cfg.Events.Rebooted(c.cfg.Endpoint)
	}
}

// doNotify sends the notifications that are due.
func (c *Client) doNotify(ctx context.Context) {
	c.mu.Lock()
	now := c.clock.Now()
	due := c.dueNotifications(now)
	conn := c.conn
	c.lastUplink = now
	c.mu.Unlock()
	for _, n := range due {
		nctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		start := time.Now()
		err := conn.Notify(nctx, n.req, n.msg)
		cancel()
		if errors.Is(err, coap.ErrReset) {
			// The server forgot the observation (reactive cancel).
			c.mu.Lock()
			c.obs.remove(string(n.req.Token.Bytes()))
			c.mu.Unlock()
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return // switched off mid-notification: not a failure
			}
			c.fail(fmt.Errorf("notify %v: %w", n.paths, err))
			continue
		}
		if c.cfg.Events.Latency != nil {
			c.cfg.Events.Latency(c.cfg.Endpoint, "notify", time.Since(start))
		}
		if c.cfg.Events.Notified != nil {
			c.cfg.Events.Notified(c.cfg.Endpoint, n.paths)
		}
	}
}

// radio switches the connection's radio (under the lock).
func (c *Client) radio(on bool) {
	if rc, ok := c.conn.(radioControl); ok {
		rc.setRadio(on)
	}
}

// wakeUp ends a queue-mode sleep (under the lock).
func (c *Client) wakeUp() {
	if !c.sleeping {
		return
	}
	c.sleeping = false
	c.radio(true)
	if c.cfg.Events.Awake != nil {
		c.cfg.Events.Awake(c.cfg.Endpoint)
	}
}
