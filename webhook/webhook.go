// Package webhook sends Shoal's webhook requests over HTTP and HTTPS: it
// is the net/http side of dm.WebhookTransport. dm decides what to send,
// signs it and retries; this package only POSTs and reports the status.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxDrain bounds how much of a receiver's answer is read (and thrown
// away) so the connection can be reused.
const maxDrain = 64 << 10

// Config configures the Client. Zero fields take the defaults Validate
// documents.
type Config struct {
	// Timeout bounds one request when the caller's context has no earlier
	// deadline (default 10 s).
	Timeout time.Duration
	// Transport is the HTTP transport (default: a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
}

// Validate applies the defaults.
func (c *Config) Validate() error {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Timeout < 0 {
		return fmt.Errorf("webhook: Timeout %v is negative", c.Timeout)
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return nil
}

// Client POSTs webhook requests. Redirects are not followed: a 3xx answer
// is a failed attempt, so a receiver cannot bounce signed events
// elsewhere.
type Client struct {
	hc *http.Client
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{hc: &http.Client{
		Transport: cfg.Transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}, nil
}

// Post implements dm.WebhookTransport: it sends body with the headers and
// returns the receiver's status code.
func (c *Client) Post(ctx context.Context, target string, body []byte, header map[string]string) (int, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return 0, fmt.Errorf("webhook: %q is not an http or https URL", target)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook: %w", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("webhook: POST to %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return resp.StatusCode, nil
}
