package storetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

// crashEnv carries the database location to the writer subprocess.
const crashEnv = "SHOAL_STORETEST_CRASH_DSN"

const crashDevices = 4

// Crash is the crash test. In the test process it creates a database,
// re-executes the test binary running only the test named testName (which
// must call Crash with the same backend) as a writer subprocess, reads the
// writes it acknowledges, kills it with SIGKILL mid-stream, reopens the
// database and checks that every acknowledged telemetry point and queued
// command survived. In the subprocess it is the writer and never returns.
func Crash(t *testing.T, b Backend, testName string) {
	if dsn := os.Getenv(crashEnv); dsn != "" {
		crashWriter(t, dsn)
		return
	}
	dsn := b.NewDSN(t)
	st := b.Open(t, dsn)
	var devs []int64
	for i := range crashDevices {
		devs = append(devs, newDevice(t, st, fmt.Sprintf("crash-%d", i)))
	}
	st.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^"+testName+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dsn)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	// ACK T <device> <seq>: points 1..seq of the device are stored.
	// ACK C <id>: command id is queued.
	acked := map[int64]int64{}
	var cmds []int64
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	parse := func(line string) {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "ACK" && f[1] == "T":
			dev, _ := strconv.ParseInt(f[2], 10, 64)
			seq, _ := strconv.ParseInt(f[3], 10, 64)
			acked[dev] = max(acked[dev], seq)
		case len(f) == 3 && f[0] == "ACK" && f[1] == "C":
			id, _ := strconv.ParseInt(f[2], 10, 64)
			cmds = append(cmds, id)
		}
	}
	deadline := time.After(2 * time.Minute)
	tAcks := 0
	for tAcks < 60 || len(cmds) < 60 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the writer exited early: %v", cmd.Wait())
			}
			if strings.HasPrefix(line, "ACK T") {
				tAcks++
			}
			parse(line)
		case <-deadline:
			t.Fatalf("the writer acknowledged only %d flushes and %d commands in 2 minutes", tAcks, len(cmds))
		}
	}
	// SIGKILL while it is writing, then take every line it managed to print.
	must(t, cmd.Process.Kill())
	killed = true
	for line := range lines {
		parse(line)
	}
	err = cmd.Wait()
	t.Logf("writer killed (%v) after acknowledging %d commands and points up to %v", err, len(cmds), acked)

	st = b.Open(t, dsn)
	ctx := t.Context()
	for dev, seq := range acked {
		pts, err := st.Telemetry().Query(ctx, dm.TelemetryQuery{DeviceID: dev, Limit: dm.MaxTelemetryLimit})
		must(t, err)
		have := make(map[int64]bool, len(pts))
		for _, p := range pts {
			have[p.Value.Int()] = true
		}
		for i := int64(1); i <= seq; i++ {
			if !have[i] {
				t.Fatalf("device %d: acknowledged point %d is missing (acknowledged up to %d, %d stored)", dev, i, seq, len(pts))
			}
		}
	}
	if _, err := st.Commands().Recover(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range cmds {
		c, err := st.Commands().Get(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged command %d: %v", id, err)
		}
		if c.State != models.CommandPending {
			t.Errorf("acknowledged command %d is %s after recovery, want pending", id, c.State)
		}
	}
	// And the queue still works in order after the crash.
	for _, dev := range devs {
		c, ok, err := st.Commands().Claim(ctx, dev, time.Time{})
		must(t, err)
		if !ok {
			continue
		}
		pg, err := st.Commands().List(ctx, dm.CommandFilter{DeviceID: dev}, dm.PageRequest{Limit: 1})
		must(t, err)
		if len(pg.Items) == 0 || pg.Items[0].ID != c.ID {
			t.Errorf("device %d: claimed %d, not the oldest command", dev, c.ID)
		}
	}
}

// crashWriter is the subprocess: it writes telemetry through a
// TelemetryWriter and enqueues (and sometimes claims) commands as fast as
// it can, printing an ACK line after each Flush and each Enqueue.
func crashWriter(t *testing.T, dsn string) {
	ctx := context.Background()
	st, err := storage.Open(ctx, dsn, storage.Options{SecretKey: TestKey(), QueueDepth: 1 << 30})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		os.Exit(2)
	}
	w, err := storage.NewTelemetryWriter(st.Telemetry(), storage.WriterConfig{BatchSize: 300, FlushInterval: 2 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		os.Exit(2)
	}
	go w.Serve(ctx)
	var out io.Writer = os.Stdout // unbuffered: a printed ACK has left the process
	seq := make([]int64, crashDevices)
	for round := 0; ; round++ {
		dev := int64(round%crashDevices) + 1
		for range 100 {
			seq[dev-1]++
			if err := w.Write(ctx, models.TelemetryPoint{DeviceID: dev, Key: "seq", Time: time.Now(), Value: lwm2m.IntValue(seq[dev-1])}); err != nil {
				fmt.Fprintln(os.Stderr, "crash writer:", err)
				os.Exit(2)
			}
		}
		if round%3 == 0 {
			if err := w.Flush(ctx); err != nil {
				fmt.Fprintln(os.Stderr, "crash writer:", err)
				os.Exit(2)
			}
			for d := range crashDevices {
				fmt.Fprintf(out, "ACK T %d %d\n", d+1, seq[d])
			}
		}
		c := models.Command{DeviceID: dev, Request: lwm2m.NewRequest(lwm2m.OpRead, lwm2m.ResourcePath(3, 0, uint16(round%20)))}
		if err := st.Commands().Enqueue(ctx, &c); err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			os.Exit(2)
		}
		fmt.Fprintf(out, "ACK C %d\n", c.ID)
		if round%5 == 0 { // leave some in flight
			st.Commands().Claim(ctx, dev, time.Time{})
		}
	}
}
