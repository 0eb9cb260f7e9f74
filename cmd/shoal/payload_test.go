package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// The Device object example of the Core TS (manufacturer only, kept short).
const tlvManufacturer = "C800144F70656E204D6F62696C6520416C6C69616E6365"

func TestDecodeTLVPrintsNode(t *testing.T) {
	out, err := run(t, "", "decode", "--format", "tlv", "--path", "/3/0", "--hex", tlvManufacturer)
	if err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if doc.Format != "tlv" || doc.Path != "/3/0" || doc.Node == nil {
		t.Fatalf("unexpected document %s", out)
	}
	r, ok := doc.Node.Child(0)
	if !ok || r.Value.Str() != "Open Mobile Alliance" {
		t.Fatalf("manufacturer not decoded: %s", out)
	}
}

func TestDecodeEncodeAcrossFormats(t *testing.T) {
	doc, err := run(t, "", "decode", "--format", "tlv", "--path", "/3/0", "--hex", tlvManufacturer)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"senml-json", "senml-cbor", "lwm2m-json", "lwm2m-cbor", "tlv"} {
		hexOut, err := run(t, doc, "encode", "--format", f)
		if err != nil {
			t.Fatalf("encode %s: %v", f, err)
		}
		back, err := run(t, "", "decode", "--format", f, "--path", "/3/0", "--hex", strings.TrimSpace(hexOut))
		if err != nil {
			t.Fatalf("decode %s: %v", f, err)
		}
		if !strings.Contains(back, "Open Mobile Alliance") || !strings.Contains(back, `"node"`) {
			t.Fatalf("%s round trip lost the value: %s", f, back)
		}
	}
	if out, err := run(t, doc, "encode", "--format", "tlv"); err != nil || strings.TrimSpace(out) != strings.ToLower(tlvManufacturer) {
		t.Fatalf("TLV must re-encode to the same bytes: %q %v", out, err)
	}
}

func TestDecodeRecordsAndLinks(t *testing.T) {
	out, err := run(t, `[{"bn":"/3303/0/5700","bt":1700000000,"v":21.5},{"t":10,"v":22}]`, "decode", "--format", "senml-json", "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"records"`) || !strings.Contains(out, `"2023-11-14T22:13:30Z"`) {
		t.Fatalf("timestamped records expected: %s", out)
	}
	out, err = run(t, `</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>;ver=1.1`, "decode", "--format", "link", "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"target": "/3/0"`) || !strings.Contains(out, `"oma.lwm2m"`) {
		t.Fatalf("links expected: %s", out)
	}
	doc, _ := run(t, `</1/0>,</3/0>;ver=1.1`, "decode", "--format", "link", "-")
	if out, err := run(t, doc, "encode", "--format", "link", "-o", "raw"); err != nil || out != `</1/0>,</3/0>;ver=1.1` {
		t.Fatalf("link round trip: %q %v", out, err)
	}
}

func TestBadInputIsAClearError(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"decode", "--hex", "00"}, "--format is required"},
		{[]string{"decode", "--format", "xml", "--hex", "00"}, "unknown content format"},
		{[]string{"decode", "--format", "tlv", "--path", "/3/0"}, "give the input exactly once"},
		{[]string{"decode", "--format", "tlv", "--path", "/3/0", "--hex", "zz"}, "--hex"},
		{[]string{"decode", "--format", "tlv", "--path", "/3/x", "--hex", "00"}, "--path"},
		{[]string{"decode", "--format", "tlv", "--path", "/3/0", "--hex", "C8001"}, "odd length"},
		{[]string{"decode", "--format", "tlv", "--path", "/3/0", "--hex", "C814"}, "offset"},
		{[]string{"decode", "--format", "tlv", "--path", "/3/0", "--file", "/nonexistent"}, "no such file"},
		{[]string{"decode", "--format", "tlv", "--model-dir", "/nonexistent", "--hex", "00"}, "nonexistent"},
		{[]string{"encode", "--format", "tlv", "--path", "/3/0"}, "not a decode document"},
	}
	for _, c := range cases {
		_, err := run(t, "{", c.args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %q should be one line mentioning %q", c.args, err, c.want)
		}
	}
}
