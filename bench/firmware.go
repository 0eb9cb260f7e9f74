package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fwImage is a deterministic image of n bytes whose first line names its
// version ("version=<v>"), which a simulated device (lwm2m/client) runs
// and reports in /3/0/3 after installing it.
func fwImage(version string, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{'s', 'h', 'o', 'a', 'l'})
	_, _ = r.Read(b)
	copy(b, "version="+version+"\n")
	return b
}

// uploadImage stores img through POST /api/v1/firmware (raw body, metadata
// in the query) and returns its id.
func uploadImage(ctx context.Context, s *serverProc, version string, img []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.http+"/api/v1/firmware?version="+version, bytes.NewReader(img))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("POST /api/v1/firmware: %s: %.300s", resp.Status, b)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	return out.ID, json.Unmarshal(b, &out)
}

// campaignView is the part of GET /api/v1/campaigns/{id} the harness reads.
type campaignView struct {
	ID          int64            `json:"id"`
	State       string           `json:"state"`
	StateReason string           `json:"state_reason"`
	Counts      map[string]int64 `json:"counts"`
	Total       int64            `json:"total"`
}

// simProc is a shoal-sim fleet running until it is interrupted.
type simProc struct {
	cmd    *exec.Cmd
	line   string
	stderr bytes.Buffer
	done   chan error
}

func (h *harness) startSim(args []string) (*simProc, error) {
	p := &simProc{cmd: exec.Command(h.bins.sim, args...), line: "shoal-sim " + strings.Join(args, " "), done: make(chan error, 1)}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

// stop interrupts the fleet (its devices deregister) and waits for it.
func (p *simProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// 7: fwDevs shoal-sim devices (lwm2m/client: Firmware Update object, pull
// over CoAP Block2 from the Package URI it is given) register over CoAP;
// a campaign with method pull and concurrency fwDevs updates them all at
// once with an fwImageSize image. Completion time runs from the campaign's
// creation to its completed state (download, integrity check, update,
// reboot, re-registration and Shoal reading the new version); MiB/s served
// is every device's image bytes over that time.
func (h *harness) firmware(ctx context.Context, sc *Scenario) error {
	s, err := h.server(ctx)
	if err != nil {
		return err
	}
	defer h.done(ctx, s, sc, "")
	n, size := h.sz.fwDevs, h.sz.fwImageSize
	summary := filepath.Join(h.dir, fmt.Sprintf("sim-fw-%d.json", time.Now().UnixNano()))
	args := []string{"fleet", "--server", "coap://" + s.coap, "-n", strconv.Itoa(n), "--prefix", "fw-",
		"--ramp", "1000/s", "--lifetime", "1h", "--progress", "-1s", "--stop-rate", "all", "--summary", summary}
	sim, err := h.startSim(args)
	if err != nil {
		return err
	}
	defer sim.stop()
	sc.Commands = []string{h.serveCmd(s), sim.line}
	c, err := openCounter(s.dsn)
	if err != nil {
		return err
	}
	defer c.close()
	if got := c.settle(ctx, "devices", int64(n), time.Second, 120*time.Second); got < int64(n) {
		return fmt.Errorf("only %d of %d devices known after registering; shoal-sim: %.300s", got, n, sim.stderr.String())
	}
	const version = "2.0.0"
	img := fwImage(version, size)
	imgID, err := uploadImage(ctx, s, version, img)
	if err != nil {
		return err
	}
	eps := make([]string, n)
	width := len(strconv.Itoa(n - 1))
	for i := range eps {
		eps[i] = fmt.Sprintf("fw-%0*d", width, i)
	}
	secs := 20
	if h.quick {
		secs = 5
	}
	m := h.begin(ctx, s, sc, secs)
	began := time.Now()
	var v campaignView
	if err := api(ctx, s, "POST", "/campaigns", map[string]any{"name": "bench pull", "image_id": imgID,
		"selection": map[string]any{"endpoints": eps}, "concurrency": n, "method": "pull"}, &v); err != nil {
		return err
	}
	sc.Commands = append(sc.Commands, fmt.Sprintf("POST /api/v1/firmware?version="+version+" (%d KiB); POST /api/v1/campaigns {selection: the %d endpoints, concurrency %d, method pull}", size>>10, n, n))
	if v.Total != int64(n) {
		return fmt.Errorf("the campaign selected %d devices, want %d", v.Total, n)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for v.State != "completed" && v.State != "cancelled" && v.State != "paused" {
		if time.Now().After(deadline) {
			return fmt.Errorf("campaign not finished after 10 minutes: %s %v", v.State, v.Counts)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-sim.done:
			sim.done <- err
			return fmt.Errorf("shoal-sim exited mid-campaign (%v): %.300s", err, sim.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if err := api(ctx, s, "GET", fmt.Sprintf("/campaigns/%d", v.ID), nil, &v); err != nil {
			return err
		}
	}
	took := time.Since(began)
	m.end(sc)
	ok := v.Counts["succeeded"]
	sc.add("devices updated (succeeded)", float64(ok), "devices").atLeast(float64(n), strconv.Itoa(n))
	sc.add("devices failed", float64(v.Counts["failed"]), "devices")
	sc.add("completion time (campaign created → completed)", took.Seconds(), "s")
	sc.add("MiB/s served (image bytes × devices updated / completion time)", float64(ok)*float64(size)/(1<<20)/took.Seconds(), "MiB/s")
	if v.Counts["failed"] > 0 {
		var rows struct {
			Items []struct {
				Endpoint string `json:"endpoint"`
				Reason   string `json:"reason"`
				Detail   string `json:"detail"`
			} `json:"items"`
		}
		if api(ctx, s, "GET", fmt.Sprintf("/campaigns/%d/devices?state=failed&limit=1", v.ID), nil, &rows) == nil && len(rows.Items) > 0 {
			r := rows.Items[0]
			sc.Notes = append(sc.Notes, fmt.Sprintf("a failed device: %s: %s (%s)", r.Endpoint, r.Reason, r.Detail))
		}
	}
	if v.State != "completed" {
		sc.Notes = append(sc.Notes, fmt.Sprintf("campaign ended %s: %s", v.State, v.StateReason))
	}
	sc.Notes = append(sc.Notes, "devices are shoal-sim (a full lwm2m/client each) on the same two cores; the pull is CoAP Block2 from /fw on the LwM2M port, one block outstanding per device")
	_ = os.Remove(summary)
	return nil
}
