package main

import (
	"context"
	"fmt"
	"net/http"
)

// 7: firmware pull by fwDevs devices at once, to the REST contract of
// issue 7 (POST /api/v1/firmware, POST /api/v1/campaigns with method pull,
// packages served under /fw on the LwM2M port). When the server does not
// have the firmware routes the scenario is recorded as not run.
func (h *harness) firmware(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s)
	sc.Commands = []string{h.serveCmd(s)}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.http+"/api/v1/firmware", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		return fmt.Errorf("GET /api/v1/firmware answers %s: the firmware REST routes are not on main yet", resp.Status)
	}
	return fmt.Errorf("the firmware routes answer (%s) but the harness's pull driver (shoal-sim devices with /5 pulling the Package URI) is not written yet", resp.Status)
}
