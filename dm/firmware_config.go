package dm

import (
	"errors"
	"fmt"
	"time"
)

// PackageLocator says where devices fetch firmware packages from: the
// prefix a one-time token is appended to, per URI scheme (coap, coaps,
// http, https), e.g. "coaps://shoal.example:5684/fw/". ok is false for a
// scheme Shoal does not serve.
type PackageLocator interface {
	PackagePrefix(scheme string) (prefix string, ok bool)
}

// FirmwareConfig tunes firmware delivery. Zero fields take the defaults
// Validate documents.
type FirmwareConfig struct {
	// Packages locates the file service for pulls; nil leaves pull off,
	// so devices get their images pushed.
	Packages PackageLocator
	// MaxImageSize bounds an upload (default 1 GiB).
	MaxImageSize int64
	// Interval is how often campaigns are scheduled and stage deadlines
	// checked (default 1 s).
	Interval time.Duration
	// MinRate is the slowest transfer, in bytes per second, a download or
	// push is given time for (default 1024): a stage's time is its base
	// plus the image's size at this rate.
	MinRate int64
	// DownloadTimeout is the base time of a pull (default 10 min) and
	// PushTimeout of a push (default 2 min), both plus size/MinRate.
	DownloadTimeout time.Duration
	PushTimeout     time.Duration
	// UpdateTimeout is how long installing may take, from Execute to the
	// new version confirmed (default 10 min).
	UpdateTimeout time.Duration
	// SleepyTimeout is the least time any stage gets on a queue-mode
	// device, which may sleep through several windows (default 24 h).
	SleepyTimeout time.Duration
	// PollInterval: a job re-reads the device's /5 state this often when
	// no notification came (default 30 s).
	PollInterval time.Duration
	// MaxAttempts bounds attempts per device after retryable failures
	// when the campaign sets none (default 3); RetryBackoff is the pause
	// before the second attempt, doubling up to MaxRetryBackoff (default
	// 30 s and 10 min).
	MaxAttempts     int
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// AutoConcurrency is the concurrency of the automatic campaign of a
	// profile's target firmware (default 10).
	AutoConcurrency int
	// ScanLimit bounds the pending devices one campaign's scheduling looks
	// at per Interval (default 1000): devices that are asleep are skipped
	// and found again when they wake.
	ScanLimit int
	// OmitDigest leaves "?sha256=<hex>" off Package URIs. By default it is
	// appended whenever the URI still fits 255 characters with it, so
	// devices can check the image they fetched.
	OmitDigest bool
}

// Validate applies the defaults and checks the rest.
func (c *FirmwareConfig) Validate() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Interval, time.Second)
	def(&c.DownloadTimeout, 10*time.Minute)
	def(&c.PushTimeout, 2*time.Minute)
	def(&c.UpdateTimeout, 10*time.Minute)
	def(&c.SleepyTimeout, 24*time.Hour)
	def(&c.PollInterval, 30*time.Second)
	def(&c.RetryBackoff, 30*time.Second)
	def(&c.MaxRetryBackoff, 10*time.Minute)
	if c.MaxImageSize == 0 {
		c.MaxImageSize = 1 << 30
	}
	if c.MinRate == 0 {
		c.MinRate = 1024
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.AutoConcurrency == 0 {
		c.AutoConcurrency = 10
	}
	if c.ScanLimit == 0 {
		c.ScanLimit = 1000
	}
	var errs []error
	for name, d := range map[string]time.Duration{"Interval": c.Interval, "DownloadTimeout": c.DownloadTimeout,
		"PushTimeout": c.PushTimeout, "UpdateTimeout": c.UpdateTimeout, "SleepyTimeout": c.SleepyTimeout,
		"PollInterval": c.PollInterval, "RetryBackoff": c.RetryBackoff, "MaxRetryBackoff": c.MaxRetryBackoff} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	for name, n := range map[string]int64{"MaxImageSize": c.MaxImageSize, "MinRate": c.MinRate,
		"MaxAttempts": int64(c.MaxAttempts), "AutoConcurrency": int64(c.AutoConcurrency), "ScanLimit": int64(c.ScanLimit)} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s %d must be positive", name, n))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("dm: firmware config: %w", errors.Join(errs...))
	}
	return nil
}

// transferTime is the time a transfer of size bytes is given: base plus
// the size at MinRate.
func (c *FirmwareConfig) transferTime(base time.Duration, size int64) time.Duration {
	return base + time.Duration(size/c.MinRate+1)*time.Second
}
