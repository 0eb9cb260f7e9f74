package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
}

// row reports whether out has a line with the cells next to each other,
// separated by the table's padding.
func row(out string, cells ...string) bool {
	parts := make([]string, len(cells))
	for i, c := range cells {
		parts[i] = regexp.QuoteMeta(c)
	}
	return regexp.MustCompile(`(?m)(^|\s)` + strings.Join(parts, `\s+`) + `(\s|$)`).MatchString(out)
}

func TestDevices(t *testing.T) {
	e := newEnv(t)
	r := e.ctl("devices", "create", "pump-1", "--name", "Pump 1", "-l", "site=north").ok(t)
	if !row(r.out, "ENDPOINT:", "pump-1") || !row(r.out, "PSK", "KEY:") || !strings.Contains(r.out, "shown this once") {
		t.Fatalf("create table:\n%s", r.out)
	}
	e.ctl("devices", "create", "pump-2", "--mode", "nosec").ok(t)

	r = e.ctl("devices", "list").ok(t)
	if !row(r.out, "ENDPOINT", "NAME", "STATUS") || !row(r.out, "pump-1", "Pump 1", "never") || !row(r.out, "pump-2", "never") {
		t.Fatalf("list table:\n%s", r.out)
	}
	// Columns line up: every row starts its STATUS cell at the same offset.
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	col := strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "never") {
			t.Errorf("misaligned row %q (STATUS at %d)", l, col)
		}
	}

	var page struct {
		Items []struct {
			Endpoint string            `json:"endpoint"`
			Labels   map[string]string `json:"labels"`
		} `json:"items"`
		Total int `json:"total"`
	}
	mustUnmarshal(t, e.ctl("devices", "list", "-o", "json", "-l", "site=north").ok(t).out, &page)
	if page.Total != 1 || page.Items[0].Endpoint != "pump-1" || page.Items[0].Labels["site"] != "north" {
		t.Fatalf("list -o json: %+v", page)
	}
	r = e.ctl("devices", "list", "--limit", "1").ok(t)
	if !strings.Contains(r.out, "next page: --cursor") {
		t.Errorf("no next-page hint:\n%s", r.out)
	}

	r = e.ctl("devices", "update", "pump-1", "--name", "Pump one", "-l", "site=south").ok(t)
	if !row(r.out, "NAME:", "Pump one") || !row(r.out, "LABELS:", "site=south") {
		t.Fatalf("update:\n%s", r.out)
	}
	r = e.ctl("devices", "get", "pump-1", "-o", "json").ok(t)
	var d struct {
		Name string `json:"name"`
	}
	mustUnmarshal(t, r.out, &d)
	if d.Name != "Pump one" {
		t.Errorf("get -o json: %s", r.out)
	}
	e.ctl("devices", "delete", "pump-1").ok(t)
	e.ctl("devices", "get", "pump-1").fails(t, exitError, "Not found")
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	e.ctl("devices", "get", "ghost").fails(t, exitError, "Not found: ")
	e.ctl("devices", "create", "a/b").fails(t, exitError, "Invalid input: endpoint: ")
	e.ctl("read", "ghost", "/3/x").fails(t, exitError, "Invalid input: path: ")
	e.ctlEnv(map[string]string{"SHOAL_SERVER": e.url}, "", "devices", "list").fails(t, exitError, "Unauthorized: ")
	e.ctlEnv(map[string]string{"SHOAL_SERVER": e.url, "SHOAL_TOKEN": "shoal_wrong"}, "", "devices", "list").fails(t, exitError, "Unauthorized")
	e.ctl("devices", "get").fails(t, exitUsage, "usage: shoalctl devices get <endpoint>")
	e.ctl("devices", "frobnicate").fails(t, exitUsage, "")
	e.ctl("devices", "list", "--bogus").fails(t, exitUsage, "unknown flag")
	e.ctl("devices", "list", "-o", "yaml").fails(t, exitUsage, "output \"yaml\"")
	e.ctl("devices", "update", "x").fails(t, exitUsage, "nothing to change")
	e.ctlEnv(map[string]string{"SHOAL_SERVER": "http://127.0.0.1:1"}, "", "devices", "list").fails(t, exitError, "cannot reach")
}

func TestConfigSources(t *testing.T) {
	e := newEnv(t)
	e.ctl("devices", "create", "cfg-1").ok(t)
	home := t.TempDir()
	dir := filepath.Join(home, ".config", "shoal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	yaml := "# shoalctl\nserver: \"" + e.url + "\"\ntoken: " + testToken + "  # admin\noutput: json\n"
	if err := os.WriteFile(filepath.Join(dir, "shoalctl.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.ctlEnv(map[string]string{"HOME": home}, "", "devices", "list").ok(t)
	if !strings.HasPrefix(strings.TrimSpace(r.out), "{") {
		t.Fatalf("the config file's output: json was not used:\n%s", r.out)
	}
	// The environment beats the file, flags beat both.
	e.ctlEnv(map[string]string{"HOME": home, "SHOAL_TOKEN": "shoal_wrong"}, "", "devices", "list").fails(t, exitError, "Unauthorized")
	e.ctlEnv(map[string]string{"HOME": home, "SHOAL_TOKEN": "shoal_wrong"}, "", "devices", "list", "--token", testToken).ok(t)
	r = e.ctlEnv(map[string]string{"HOME": home}, "", "devices", "list", "-o", "table").ok(t)
	if !row(r.out, "cfg-1") {
		t.Fatalf("-o table over the file:\n%s", r.out)
	}
	jsonCfg := filepath.Join(t.TempDir(), "ctl.json")
	os.WriteFile(jsonCfg, []byte(`{"server": "`+e.url+`", "token": "`+testToken+`"}`), 0o600)
	e.ctlEnv(nil, "", "--config", jsonCfg, "devices", "get", "cfg-1").ok(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("server http://x\n"), 0o600)
	e.ctlEnv(nil, "", "--config", bad, "devices", "list").fails(t, exitUsage, "bad.yaml:1")
	e.ctlEnv(nil, "", "--config", "/nonexistent/ctl.yaml", "devices", "list").fails(t, exitUsage, "no such file")
}

func TestImport(t *testing.T) {
	e := newEnv(t)
	csv := filepath.Join(t.TempDir(), "fleet.csv")
	os.WriteFile(csv, []byte("endpoint,name,labels\nimp-1,One,a=1\nimp-2,Two,\n"), 0o600)
	r := e.ctl("devices", "import", csv).ok(t)
	if !row(r.out, "1", "imp-1", "created") || !row(r.out, "2", "imp-2", "created") || !strings.Contains(r.out, "2 created, 0 failed") {
		t.Fatalf("import:\n%s", r.out)
	}
	r = e.ctlEnv(map[string]string{"SHOAL_SERVER": e.url, "SHOAL_TOKEN": testToken},
		`[{"endpoint": "imp-3"}, {"endpoint": "imp-1"}]`, "devices", "import", "-")
	if r.code != exitError || !row(r.out, "1", "imp-3", "created") || !row(r.out, "2", "imp-1", "failed") {
		t.Fatalf("import with a failing row: %d\n%s\n%s", r.code, r.out, r.err)
	}
}

func TestProfiles(t *testing.T) {
	e := newEnv(t)
	spec := `{"telemetry": [{"path": "/3/0/9", "name": "battery"}], "awake_window": "30s"}`
	r := e.ctl("profiles", "create", "meter", "--spec", spec, "--description", "meters").ok(t)
	if !row(r.out, "NAME:", "meter") || !strings.Contains(r.out, "battery") {
		t.Fatalf("create:\n%s", r.out)
	}
	file := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(file, []byte(`{"name": "meter", "spec": {"awake_window": "1m"}}`), 0o600)
	r = e.ctl("profiles", "update", "meter", "-f", file).ok(t)
	if !strings.Contains(r.out, `"awake_window":"1m0s"`) {
		t.Fatalf("update:\n%s", r.out)
	}
	r = e.ctl("profiles", "list").ok(t)
	if !row(r.out, "ID", "NAME") || !row(r.out, "1", "meter") {
		t.Fatalf("list:\n%s", r.out)
	}
	e.ctl("profiles", "create", "bad", "--spec", `{"telemetry": [{"path": "3/0/9", "name": "b"}]}`).
		fails(t, exitError, "Invalid input: spec.telemetry[0].path")
	e.ctl("profiles", "delete", "meter").ok(t)
	e.ctl("profiles", "get", "meter").fails(t, exitError, "Not found")
}

func TestOperations(t *testing.T) {
	e := newEnv(t)
	c := e.startDevice("op-1")
	waitFor(t, "op-1 online", func() bool { return row(e.ctl("devices", "list").out, "op-1", "online") })
	if err := c.Set(lwm2m.MustPath("/3/0/9"), lwm2m.IntValue(64)); err != nil {
		t.Fatal(err)
	}
	r := e.ctl("read", "op-1", "/3/0/9").ok(t)
	if !row(r.out, "PATH", "TYPE", "VALUE") || !row(r.out, "/3/0/9", "integer", "64") {
		t.Fatalf("read:\n%s", r.out)
	}
	r = e.ctl("read", "op-1", "3/0", "--format", "tlv").ok(t)
	if !row(r.out, "/3/0/0", "string", "Shoal") {
		t.Fatalf("read /3/0:\n%s", r.out)
	}
	var res struct {
		Code    string `json:"code"`
		Content struct {
			Value any `json:"value"`
		} `json:"content"`
	}
	mustUnmarshal(t, e.ctl("read", "op-1", "/3/0/9", "-o", "json").ok(t).out, &res)
	if res.Code != "2.05" || res.Content.Value != float64(64) {
		t.Fatalf("read -o json: %+v", res)
	}
	e.ctl("write", "op-1", "/3/0/14", "+05:00").ok(t)
	if v, _ := c.Get(lwm2m.MustPath("/3/0/14")); v.Str() != "+05:00" {
		t.Fatalf("after write: %v", v)
	}
	e.ctl("write", "op-1", "/3/0", "--partial", "--json", `{"15": "Asia/Tokyo"}`).ok(t)
	if v, _ := c.Get(lwm2m.MustPath("/3/0/15")); v.Str() != "Asia/Tokyo" {
		t.Fatalf("after partial write: %v", v)
	}
	e.ctl("write", "op-1", "/3/0/13", "later").fails(t, exitError, "Invalid input: value: /3/0/13")
	e.ctl("exec", "op-1", "/3/0/12").ok(t)
	e.ctl("exec", "op-1", "/3/0/1").fails(t, exitError, "Device answered 4.05")
	e.ctl("read", "op-1", "/3/0/99").fails(t, exitError, "Device answered 4.04")
	r = e.ctl("discover", "op-1", "/3/0").ok(t)
	if !row(r.out, "/3/0/9", "link") {
		t.Fatalf("discover:\n%s", r.out)
	}
	e.ctl("attributes", "op-1", "/3/0/9", "pmin=1", "pmax=30").ok(t)
	if a := c.Attributes(lwm2m.MustPath("/3/0/9")); a.Pmax == nil || *a.Pmax != 30 {
		t.Fatalf("attributes: %+v", a)
	}
	e.ctl("observe", "op-1", "/3/0/9").ok(t)
	e.ctl("unobserve", "op-1", "/3/0/9").ok(t)
	r = e.ctl("read-composite", "op-1", "/3/0/9", "/3/0/14").ok(t)
	if !row(r.out, "/3/0/9", "integer", "64") || !row(r.out, "/3/0/14", "string", "+05:00") {
		t.Fatalf("read-composite:\n%s", r.out)
	}
	e.ctl("write-composite", "op-1", "/3/0/14=+06:00", "/3/0/15=Asia/Dhaka").ok(t)
	if v, _ := c.Get(lwm2m.MustPath("/3/0/15")); v.Str() != "Asia/Dhaka" {
		t.Fatalf("after write-composite: %v", v)
	}
	r = e.ctl("attributes", "op-1").ok(t)
	if !row(r.out, "PATH", "KEY", "TYPE", "VALUE") || !row(r.out, "/3/0/0", "string", "Shoal") {
		t.Fatalf("latest values:\n%s", r.out)
	}
	r = e.ctl("commands", "send", "op-1", "--op", "read", "--path", "/3/0/9").ok(t)
	if !row(r.out, "/3/0/9", "integer", "64") {
		t.Fatalf("commands send:\n%s", r.out)
	}
	r = e.ctl("telemetry", "op-1").ok(t)
	if !row(r.out, "KEY", "TIME", "TYPE", "VALUE") {
		t.Fatalf("telemetry:\n%s", r.out)
	}
	r = e.ctl("events", "--device", "op-1", "--type", "status").ok(t)
	if !row(r.out, "ID", "TIME", "ENDPOINT") || !strings.Contains(r.out, "status") {
		t.Fatalf("events:\n%s", r.out)
	}
}

func TestCommandsQueued(t *testing.T) {
	e := newEnv(t)
	e.ctl("devices", "create", "asleep-1").ok(t)
	r := e.ctl("read", "asleep-1", "/3/0/9").ok(t)
	m := regexp.MustCompile(`command (\d+) \(pending\)`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("queued read:\n%s", r.out)
	}
	r = e.ctl("commands", "list", "--device", "asleep-1").ok(t)
	if !row(r.out, m[1], "asleep-1", "read", "/3/0/9", "pending") {
		t.Fatalf("commands list:\n%s", r.out)
	}
	r = e.ctl("commands", "cancel", m[1]).ok(t)
	if !row(r.out, "STATE:", "cancelled") {
		t.Fatalf("cancel:\n%s", r.out)
	}
	r = e.ctl("commands", "get", m[1], "-o", "json").ok(t)
	if !strings.Contains(r.out, `"state": "cancelled"`) {
		t.Fatalf("get -o json:\n%s", r.out)
	}
	e.ctl("read", "asleep-1", "/3/0/9", "--no-queue").fails(t, exitError, "Device unreachable")
	r = e.ctl("commands", "send", "--op", "execute", "--path", "/3/0/4", "--endpoints", "asleep-1").ok(t)
	if !row(r.out, "asleep-1", "execute", "/3/0/4", "pending") {
		t.Fatalf("selection send:\n%s", r.out)
	}
	e.ctl("commands", "get", "abc").fails(t, exitError, "Invalid input: id")
	e.ctl("commands", "send", "asleep-1").fails(t, exitUsage, "required flag")
}

func TestEventsFollow(t *testing.T) {
	e := newEnv(t)
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	env := map[string]string{"SHOAL_SERVER": e.url, "SHOAL_TOKEN": testToken, "HOME": e.home}
	go func() {
		done <- run(ctx, []string{"events", "--follow", "--type", "device.created"}, strings.NewReader(""), &out, &errb,
			func(k string) string { return env[k] })
	}()
	// The stream is open once the first device's event shows; create
	// devices until then.
	n := 0
	waitFor(t, "a followed event", func() bool {
		n++
		e.ctl("devices", "create", "follow-"+string(rune('a'+n%26))+num(int64(n))).ok(t)
		return strings.Contains(out.String(), "device.created")
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("follow exited %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "device.deleted") {
		t.Errorf("type filter ignored:\n%s", out.String())
	}
}

func TestServerCommands(t *testing.T) {
	e := newEnv(t)
	r := e.ctlEnv(map[string]string{"SHOAL_SERVER": e.url}, "", "health").ok(t)
	if !row(r.out, "STATUS:", "ok") {
		t.Fatalf("health:\n%s", r.out)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	mustUnmarshal(t, e.ctl("openapi").ok(t).out, &doc)
	if doc.OpenAPI == "" {
		t.Fatal("openapi: no version")
	}
	e.ctl("devices", "list").ok(t)
	if r := e.ctl("metrics").ok(t); !strings.Contains(r.out, "shoal_http_request_duration_seconds") {
		t.Fatalf("metrics:\n%.400s", r.out)
	}
}
