package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/firmware"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
)

// TestPackageHTTPPull: a device that pulls only over HTTP is given a
// Package URI under /fw/ on the API port, downloads the image there with
// its one-time token (no bearer token), installs it and reports the new
// version: the campaign completes with the device pulled.
func TestPackageHTTPPull(t *testing.T) {
	loc := firmware.NewLocator()
	e, _ := newFwEnv(t, func(c *dm.FirmwareConfig) { c.Packages, c.PollInterval = loc, 200*time.Millisecond })
	loc.Set("http", e.base+"/fw/")
	dev := e.startDevice("pull-1", func(c *client.Config) {
		c.Firmware.NewVersion, c.RebootDelay = "5.0.0", 50*time.Millisecond
	})
	if err := dev.c.Set(lwm2m.MustPath("/5/0/9"), lwm2m.IntValue(0)); err != nil { // pull only
		t.Fatal(err)
	}
	for i := range 4 {
		if err := dev.c.Set(lwm2m.MustPath(fmt.Sprintf("/5/0/8/%d", i)), lwm2m.IntValue(2)); err != nil { // HTTP 1.1
			t.Fatal(err)
		}
	}
	e.waitStatus("pull-1", "online")
	img := e.uploadBytes("5.0.0", []byte(strings.Repeat("pulled over HTTP ", 5000)), nil)
	var c campaignReply
	e.do("POST", "/api/v1/campaigns", map[string]any{"name": "http pull", "image_id": img,
		"selection": map[string]any{"endpoints": []string{"pull-1"}}}).want(t, 201).json(t, &c)
	path := fmt.Sprintf("/api/v1/campaigns/%d", c.ID)
	waitFor(t, "the campaign completed", func() bool {
		e.do("GET", path, nil).want(t, 200).json(t, &c)
		return c.State == "completed"
	})
	var devs struct {
		Items []map[string]any `json:"items"`
	}
	e.do("GET", path+"/devices", nil).want(t, 200).json(t, &devs)
	if len(devs.Items) != 1 || devs.Items[0]["state"] != "succeeded" || devs.Items[0]["method"] != "pull" || devs.Items[0]["to_version"] != "5.0.0" {
		t.Fatalf("devices %+v", devs)
	}
}
