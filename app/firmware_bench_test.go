package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// versionOf is the version a simulated device reports after installing
// data (lwm2m/client's default: "fw-" and the digest's first 8 hex
// digits), so one device can take image after image.
func versionOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "fw-" + hex.EncodeToString(sum[:])[:8]
}

// BenchmarkFirmwarePush1MiB pushes a 1 MiB image to one plain-UDP device
// over loopback, block-wise in 1024-byte blocks (Block1, the default
// block size), through a whole campaign on SQLite. Each iteration is one
// campaign with a new image; the time counted is the campaign's, from
// creation to completion (push, Execute, reboot, re-registration, /3/0/3
// confirmed). It also reports the push alone ("push-MiB/s": from the
// firmware.downloading event to firmware.downloaded).
//
//	go test -run '^$' -bench FirmwarePush1MiB -benchtime 5x ./app/
func BenchmarkFirmwarePush1MiB(b *testing.B) {
	cfg := fwConfig(b, storetest.SQLite().NewDSN(b))
	p := runApp(b, cfg)
	svc := p.a.Service()
	newFwDevice(b, p.a, "pushee", "", nil, devOpts{delivery: 1, mod: func(c *client.Config) {
		c.RebootDelay = time.Millisecond
		c.Firmware.MaxSize = 2 << 20
		c.RequestTimeout = 10 * time.Second
	}})
	waitOnline(b, p.a, []string{"pushee"})
	sub, stop, err := svc.Subscribe(dm.System(), dm.EventFilter{Types: []string{"firmware.downloading", "firmware.downloaded"}})
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	const size = 1 << 20
	var pushTime time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		data := fwImage(size, byte(i))
		data[0], data[1] = byte(i), byte(i>>8)
		img := upload(b, p.a, versionOf(data), data)
		b.StartTimer()
		v, err := svc.CreateCampaign(context.Background(), dm.System(), dm.CampaignInput{Name: fmt.Sprintf("push %d", i),
			ImageID: img.ID, Selection: models.DeviceSelection{Endpoints: []string{"pushee"}}, Method: models.DeliveryPush})
		if err != nil {
			b.Fatal(err)
		}
		var began time.Time
		for done := false; !done; {
			select {
			case ev := <-sub.C:
				switch ev.Type {
				case "firmware.downloading":
					began = time.Now()
				case "firmware.downloaded":
					pushTime += time.Since(began)
					done = true
				}
			case <-time.After(60 * time.Second):
				b.Fatal("no firmware.downloaded event")
			}
		}
		v = waitCampaign(b, p.a, v.ID, models.CampaignCompleted, 60*time.Second)
		if v.Counts[models.CampaignDeviceSucceeded] != 1 {
			b.Fatalf("campaign %d: %v (%s)", v.ID, v.Counts, v.StateReason)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*size/(1<<20)/pushTime.Seconds(), "push-MiB/s")
}

// BenchmarkFirmwarePull1000 has 1,000 plain-UDP devices pull a 32 KiB
// image at once (a campaign at concurrency 1,000) from the CoAP file
// service on the LwM2M port, in 1024-byte Block2 blocks. It reports the
// aggregate rate over the downloads ("MiB/s": all bytes served, from the
// first download's start to the last one's end) and the time until every
// device had its image ("s-all-downloaded") and until the campaign
// completed ("s-campaign"). One iteration is one whole campaign:
//
//	go test -run '^$' -bench FirmwarePull1000 -benchtime 1x -timeout 20m ./app/
func BenchmarkFirmwarePull1000(b *testing.B) {
	const devices, size = 1000, 32 << 10
	for i := range b.N {
		b.StopTimer()
		cfg := fwConfig(b, storetest.SQLite().NewDSN(b))
		cfg.Firmware.ScanLimit = devices
		cfg.Firmware.PollInterval = 5 * time.Second
		p := runApp(b, cfg)
		var mu sync.Mutex
		var first, last time.Time
		f := &fetcher{wait: func(context.Context) error {
			mu.Lock()
			if first.IsZero() {
				first = time.Now()
			}
			mu.Unlock()
			return nil
		}}
		var eps []string
		var wg sync.WaitGroup
		sem := make(chan struct{}, 50)
		for d := range devices {
			ep := fmt.Sprintf("pull-%d-%04d", i, d)
			eps = append(eps, ep)
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				newFwDevice(b, p.a, ep, "", map[string]string{"bench": "pull"}, devOpts{delivery: 0, mod: func(c *client.Config) {
					c.RebootDelay = 10 * time.Millisecond
					c.RequestTimeout = 30 * time.Second
					c.Firmware.Downloader = timedFetcher{f, func() { mu.Lock(); last = time.Now(); mu.Unlock() }}
				}})
			})
		}
		wg.Wait()
		waitOnline(b, p.a, eps)
		data := fwImage(size, byte(i))
		img := upload(b, p.a, versionOf(data), data)
		b.StartTimer()
		began := time.Now()
		v, err := p.a.Service().CreateCampaign(context.Background(), dm.System(), dm.CampaignInput{Name: "pull 1000",
			ImageID: img.ID, Selection: models.DeviceSelection{Labels: map[string]string{"bench": "pull"}}, Concurrency: devices})
		if err != nil {
			b.Fatal(err)
		}
		v = waitCampaign(b, p.a, v.ID, models.CampaignCompleted, 15*time.Minute)
		b.StopTimer()
		if v.Counts[models.CampaignDeviceSucceeded] != devices {
			b.Fatalf("campaign: %v (%s)", v.Counts, v.StateReason)
		}
		f.mu.Lock()
		total := f.n
		f.mu.Unlock()
		mu.Lock()
		b.ReportMetric(float64(total)/(1<<20)/last.Sub(first).Seconds(), "MiB/s")
		b.ReportMetric(last.Sub(began).Seconds(), "s-all-downloaded")
		mu.Unlock()
		b.ReportMetric(time.Since(began).Seconds(), "s-campaign")
	}
}

// timedFetcher notes when each download ended.
type timedFetcher struct {
	f    *fetcher
	done func()
}

func (t timedFetcher) Download(ctx context.Context, uri string, limit int) ([]byte, error) {
	data, err := t.f.Download(ctx, uri, limit)
	t.done()
	return data, err
}
