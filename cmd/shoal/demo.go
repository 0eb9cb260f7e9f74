package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/sim"
)

// runWithDemo runs the app and, once it is ready, n simulated demo devices
// in the same process over loopback (DTLS-PSK when CoAPS listens, else
// NoSec). At the end the devices deregister first, then the app stops.
func runWithDemo(ctx context.Context, a *app.App, n int, dataDir string, out io.Writer) error {
	appCtx, stopApp := context.WithCancel(context.WithoutCancel(ctx))
	defer stopApp()
	appDone := make(chan error, 1)
	go func() { appDone <- a.Run(appCtx) }()
	demoCtx, stopDemo := context.WithCancel(ctx)
	defer stopDemo()
	demoDone := make(chan error, 1)
	go func() { demoDone <- runDemo(demoCtx, a, n, dataDir, out) }()
	select {
	case err := <-appDone: // the app failed: the demo has nothing to talk to
		stopDemo()
		<-demoDone
		return err
	case err := <-demoDone:
		stopApp()
		if appErr := <-appDone; appErr != nil {
			return appErr
		}
		return err
	}
}

func runDemo(ctx context.Context, a *app.App, n int, dataDir string, out io.Writer) error {
	select {
	case <-a.Ready():
	case <-ctx.Done():
		return nil
	}
	uri, security := "", "psk"
	switch {
	case a.CoAPSAddr() != nil:
		uri = "coaps://" + loopback(a.CoAPSAddr())
	case a.CoAPAddr() != nil:
		uri, security = "coap://"+loopback(a.CoAPAddr()), "nosec"
	default:
		return errors.New("demo: both LwM2M listeners are disabled")
	}
	svc := a.Service()
	if _, err := svc.GetProfile(ctx, dm.System(), sim.DemoProfileName); errors.Is(err, dm.ErrNotFound) {
		if _, err := svc.CreateProfile(ctx, dm.System(), sim.DemoProfile()); err != nil {
			return fmt.Errorf("demo: profile: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("demo: profile: %w", err)
	}
	cfg := sim.DemoConfig(n, uri)
	if security == "psk" {
		key, err := sim.DemoKey(dataDir)
		if err != nil {
			return err
		}
		cfg.PSKKey = key
	}
	cfg.Provision = func(ctx context.Context, devs []sim.Device) error { return provisionDemo(ctx, svc, devs) }
	f, err := sim.New(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: %d simulated devices (%s … %s, profile %q) connecting to %s\n",
		n, f.Devices()[0].Endpoint, f.Devices()[n-1].Endpoint, sim.DemoProfileName, uri)
	return f.Run(ctx)
}

// provisionDemo creates the demo devices that do not exist yet.
func provisionDemo(ctx context.Context, svc *dm.Service, devs []sim.Device) error {
	rows := make([]dm.DeviceInput, len(devs))
	for i, d := range devs {
		cred := &dm.CredentialsInput{Mode: d.Security}
		if d.Security == "psk" {
			cred.PSKIdentity, cred.PSKKeyHex = d.PSKIdentity, fmt.Sprintf("%x", d.PSKKey)
		}
		rows[i] = dm.DeviceInput{Endpoint: d.Endpoint, Name: "Demo device " + strings.TrimPrefix(d.Endpoint, "demo-"),
			Profile: sim.DemoProfileName, Labels: map[string]string{"demo": "true"}, Credentials: cred}
	}
	results, err := svc.ImportDevices(ctx, dm.System(), rows)
	if err != nil {
		return err
	}
	for _, res := range results {
		if res.OK {
			continue
		}
		if _, err := svc.GetDevice(ctx, dm.System(), res.Endpoint); err == nil {
			continue // created by an earlier demo run
		}
		return fmt.Errorf("demo: creating %s: %s", res.Endpoint, res.Error)
	}
	return nil
}

// loopback turns a wildcard listen address into 127.0.0.1 with its port.
func loopback(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
