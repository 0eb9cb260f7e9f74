package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// startDownload fetches a pulled firmware image in the background and
// hands the result to the state machine under the lock.
func (c *Client) startDownload(ctx context.Context, gen int, uri string) {
	limit := c.cfg.Firmware.MaxSize
	go func() {
		data, err := c.download(ctx, uri, limit)
		c.mu.Lock()
		c.fw.downloaded(gen, data, err)
		c.mu.Unlock()
	}()
}

func (c *Client) download(ctx context.Context, uri string, limit int) ([]byte, error) {
	if d := c.cfg.Firmware.Downloader; d != nil {
		return d.Download(ctx, uri, limit)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDownload, err)
	}
	switch u.Scheme {
	case "http", "https":
		return httpDownload(ctx, c.cfg.Firmware.HTTPClient, uri, limit)
	case "coap", "coaps":
		return c.coapDownload(ctx, u, limit)
	}
	return nil, fmt.Errorf("%w: scheme %q", ErrDownload, u.Scheme)
}

// errTooLarge marks an image bigger than the flash.
var errTooLarge = fmt.Errorf("%w: image too large", ErrDownload)

func httpDownload(ctx context.Context, hc *http.Client, uri string, limit int) ([]byte, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDownload, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDownload, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrDownload, uri, resp.Status)
	}
	if resp.ContentLength > int64(limit) {
		return nil, errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDownload, err)
	}
	if len(data) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// coapDownload GETs the image over CoAP(S) with the device's own
// credentials; the transport reassembles Block2.
func (c *Client) coapDownload(ctx context.Context, u *url.URL, limit int) ([]byte, error) {
	c.mu.Lock()
	a, err := c.account()
	c.mu.Unlock()
	secure, addr, perr := parseServerURI(u.Scheme + "://" + u.Host)
	if perr != nil {
		return nil, fmt.Errorf("%w: %v", ErrDownload, perr)
	}
	t := Target{URI: u.String(), Addr: addr, Secure: secure, LocalAddr: c.local}
	if secure && err == nil {
		t.PSKIdentity, t.PSKKey = a.target.PSKIdentity, a.target.PSKKey
		t.CertDER, t.KeyDER, t.ServerCADER = a.target.CertDER, a.target.KeyDER, a.target.ServerCADER
	}
	conn, err := c.dialer.Dial(ctx, t, silent{})
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: %v", ErrDownload, addr, err)
	}
	defer conn.Close()
	req := coap.NewRequest(coap.GET, splitPath(u.Path)...)
	if u.RawQuery != "" {
		req.AddQuery(splitQuery(u.RawQuery)...)
	}
	resp, err := conn.Exchange(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDownload, err)
	}
	if resp.Code != lwm2m.CodeContent {
		return nil, fmt.Errorf("%w: %s answered %s", ErrDownload, u, resp.Code)
	}
	if len(resp.Payload) > limit {
		return nil, errTooLarge
	}
	return resp.Payload, nil
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if i > start {
				out = append(out, p[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func splitQuery(q string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(q); i++ {
		if i == len(q) || q[i] == '&' {
			if i > start {
				out = append(out, q[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// silent serves nothing: a download connection takes no requests.
type silent struct{}

func (silent) ServeCoAP(*coap.Message) *coap.Message { return nil }
func (silent) Cancelled(coap.Token)                  {}
