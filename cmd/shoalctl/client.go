package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// client calls the Shoal REST API.
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

func newClient(s settings) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	return &apiClient{base: s.Server, token: s.Token, hc: &http.Client{Transport: tr}}
}

// problemError is an RFC 9457 problem document the server answered.
type problemError struct {
	Status    int    `json:"status"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	Field     string `json:"field"`
	LwM2MCode string `json:"lwm2m_code"`
	CommandID int64  `json:"command_id"`
}

// Error is the problem's title and detail on one line.
func (p *problemError) Error() string {
	s := p.Title
	if s == "" {
		s = http.StatusText(p.Status)
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// request is one API call.
type request struct {
	method      string
	path        string // below the base URL, e.g. /api/v1/devices
	query       url.Values
	body        io.Reader
	contentType string
	accept      string
	header      http.Header
	// size is the body's length when known (sent as Content-Length;
	// otherwise a streamed body goes chunked).
	size int64
}

// jsonBody encodes v as a JSON request body.
func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// send performs r; a non-2xx answer becomes an error (a *problemError
// when the server sent a problem document). The caller closes the body.
func (c *apiClient) send(ctx context.Context, r request) (*http.Response, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.size > 0 {
		req.ContentLength = r.size
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", c.base, unwrapURLError(err))
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		var p problemError
		if json.Unmarshal(b, &p) == nil && (p.Title != "" || p.Detail != "") {
			if p.Status == 0 {
				p.Status = resp.StatusCode
			}
			return nil, &p
		}
	}
	return nil, &problemError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
		Detail: strings.TrimSpace(string(b))}
}

// do performs r and decodes a JSON answer into out (when out is non-nil
// and there is a body). It returns the status code.
func (c *apiClient) do(ctx context.Context, r request, out any) (int, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil && err != io.EOF {
		return resp.StatusCode, fmt.Errorf("the server's answer is not JSON: %v", err)
	}
	return resp.StatusCode, nil
}

// getJSON GETs path and decodes the answer.
func (c *apiClient) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, out)
	return err
}

// sendJSON sends v as a JSON body and decodes the answer.
func (c *apiClient) sendJSON(ctx context.Context, method, path string, q url.Values, v, out any) (int, error) {
	var body io.Reader
	if v != nil {
		var err error
		if body, err = jsonBody(v); err != nil {
			return 0, err
		}
	}
	return c.do(ctx, request{method: method, path: path, query: q, body: body}, out)
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// esc escapes one path segment (an endpoint name).
func esc(s string) string { return url.PathEscape(s) }
