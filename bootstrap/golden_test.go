package bootstrap

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

var update = flag.Bool("update", false, "rewrite golden files")

// discoverSummary is the golden form of analyseDiscover's answer.
type discoverSummary struct {
	Version   string              `json:"version,omitempty"`
	Bootstrap []uint16            `json:"bootstrap_instances,omitempty"`
	Accounts  []DiscoveredAccount `json:"accounts,omitempty"`
	Error     string              `json:"error,omitempty"`
}

// TestDiscoverGolden reads every testdata/discover/*.lf answer and
// compares what analyseDiscover makes of it with the .json beside it.
func TestDiscoverGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/discover/*.lf")
	if len(files) == 0 {
		t.Fatal("no golden discover answers")
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sum discoverSummary
		st, err := analyseDiscover(in)
		if err != nil {
			sum.Error = err.Error()
		} else {
			sum = discoverSummary{Version: st.Version, Bootstrap: st.BootstrapInstances, Accounts: st.ServerAccounts}
		}
		got, _ := json.MarshalIndent(sum, "", "  ")
		golden := strings.TrimSuffix(f, ".lf") + ".json"
		if *update {
			os.WriteFile(golden, append(got, '\n'), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(want)) != string(got) {
			t.Errorf("%s:\n got %s\nwant %s", f, got, want)
		}
	}
}

// TestSecurityInstanceGolden pins the bytes of a Security and a Server
// instance in TLV and SenML CBOR, and checks they decode back to the
// values written.
func TestSecurityInstanceGolden(t *testing.T) {
	a := pskPlan("coaps://shoal.example:5684", 101).Accounts[0]
	a.ServerPublicKey = []byte{0xde, 0xad}
	a.Binding = "U"
	reg := std.New()
	for _, c := range []struct {
		name string
		f    lwm2m.ContentFormat
		p    lwm2m.Path
		n    lwm2m.Node
	}{
		{"security-psk.tlv", lwm2m.FormatTLV, lwm2m.InstancePath(0, 1), securityInstance(1, &a)},
		{"server.tlv", lwm2m.FormatTLV, lwm2m.InstancePath(1, 0), serverInstance(0, &a)},
		{"security-psk.senml-cbor", lwm2m.FormatSenMLCBOR, lwm2m.InstancePath(0, 1), securityInstance(1, &a)},
	} {
		got, err := reg.Encode(c.f, c.p, &c.n)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", c.name)
		if *update {
			os.WriteFile(path, got, 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s changed:\n got %x\nwant %x", c.name, got, want)
		}
		back, err := reg.Decode(c.f, c.p, want, objects.New())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		n := c.n
		if !back.Equal(&n) {
			t.Errorf("%s decodes to %+v, want %+v", c.name, back, c.n)
		}
	}
}
