package client

import (
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

func TestTreeReadDepths(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	n, err := tr.Read(lwm2m.MustPath("/3"), byServer)
	if err != nil || n.Kind != lwm2m.KindObject || len(n.Children) != 1 {
		t.Fatalf("read /3: %v %+v", err, n)
	}
	in := n.Children[0]
	if _, ok := in.Child(4); ok {
		t.Errorf("read /3 lists the executable /3/0/4")
	}
	if r, ok := in.Child(0); !ok || r.Value.Str() != "Shoal" {
		t.Errorf("/3/0/0 = %v", r)
	}
	n, err = tr.Read(lwm2m.MustPath("/3/0/6"), byServer)
	if err != nil || n.Kind != lwm2m.KindMultipleResource || len(n.Children) != 2 {
		t.Fatalf("read /3/0/6: %v %+v", err, n)
	}
	n, err = tr.Read(lwm2m.MustPath("/3/0/6/1"), byServer)
	if err != nil || n.Kind != lwm2m.KindResourceInstance || n.Value.Int() != 5 {
		t.Fatalf("read /3/0/6/1: %v %+v", err, n)
	}
}

func TestTreeReadRefusals(t *testing.T) {
	c, _ := newTestClient(t, nil)
	for _, tc := range []struct {
		path string
		code lwm2m.Code
	}{
		{"/0", lwm2m.CodeUnauthorized},
		{"/0/0/0", lwm2m.CodeUnauthorized},
		{"/42", lwm2m.CodeNotFound},
		{"/3/1", lwm2m.CodeNotFound},
		{"/3/0/999", lwm2m.CodeNotFound},
		{"/3/0/22", lwm2m.CodeNotFound}, // defined, not present
		{"/3/0/4", lwm2m.CodeMethodNotAllowed},
		{"/5/0/0", lwm2m.CodeMethodNotAllowed}, // write-only
		{"/3/0/6/7", lwm2m.CodeNotFound},
		{"/3/0/0/0", lwm2m.CodeNotFound}, // single resource has no instances
	} {
		_, err := c.tree.Read(lwm2m.MustPath(tc.path), byServer)
		t.Run(tc.path, func(t *testing.T) { wantCode(t, err, tc.code) })
	}
	if _, err := c.tree.Read(lwm2m.MustPath("/0/0/0"), byBootstrap); err != nil {
		t.Errorf("bootstrap read of /0/0/0: %v", err)
	}
}

func TestTreeWriteChecks(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	res := func(id uint16, v lwm2m.Value) *lwm2m.Node { n := lwm2m.NewResource(id, v); return &n }
	// Writable, right type: stored (and converted from a string).
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/1"), res(1, lwm2m.StringValue("600")), true, byServer), lwm2m.CodeChanged)
	if v, _ := tr.Value(lwm2m.MustPath("/1/0/1")); v.Type() != lwm2m.TypeInteger || v.Int() != 600 {
		t.Fatalf("/1/0/1 = %v (%s)", v, v.Type())
	}
	// Read-only resource.
	wantCode(t, tr.Write(lwm2m.MustPath("/3/0/0"), res(0, lwm2m.StringValue("x")), true, byServer), lwm2m.CodeMethodNotAllowed)
	// Executable resource.
	wantCode(t, tr.Write(lwm2m.MustPath("/3/0/4"), res(4, lwm2m.StringValue("x")), true, byServer), lwm2m.CodeMethodNotAllowed)
	// Wrong type.
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/1"), res(1, lwm2m.StringValue("soon")), true, byServer), lwm2m.CodeBadRequest)
	// Outside the DDF range (Severity 0..2).
	wantCode(t, tr.Write(lwm2m.MustPath("/5/0/11"), res(11, lwm2m.IntValue(3)), true, byServer), lwm2m.CodeBadRequest)
	wantCode(t, tr.Write(lwm2m.MustPath("/5/0/11"), res(11, lwm2m.IntValue(2)), true, byServer), lwm2m.CodeChanged)
	// Unknown resource, unknown instance, whole object.
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/99"), res(99, lwm2m.IntValue(1)), true, byServer), lwm2m.CodeNotFound)
	wantCode(t, tr.Write(lwm2m.MustPath("/1/7/1"), res(1, lwm2m.IntValue(1)), true, byServer), lwm2m.CodeNotFound)
	obj := lwm2m.NewObject(1, lwm2m.NewInstance(0, lwm2m.NewResource(1, lwm2m.IntValue(5))))
	wantCode(t, tr.Write(lwm2m.MustPath("/1"), &obj, true, byServer), lwm2m.CodeMethodNotAllowed)
	// Security is the bootstrap server's.
	wantCode(t, tr.Write(lwm2m.MustPath("/0/0/0"), res(0, lwm2m.StringValue("coap://x")), true, byServer), lwm2m.CodeUnauthorized)
	// Multiplicity mismatch.
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/1"), &lwm2m.Node{Kind: lwm2m.KindMultipleResource, ID: 1,
		Children: []lwm2m.Node{lwm2m.NewResourceInstance(0, lwm2m.IntValue(1))}}, true, byServer), lwm2m.CodeBadRequest)
	// Node id not matching the path.
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/1"), res(2, lwm2m.IntValue(1)), true, byServer), lwm2m.CodeBadRequest)
}

func TestTreeWriteAtomic(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	in := lwm2m.NewInstance(0,
		lwm2m.NewResource(1, lwm2m.IntValue(1234)),
		lwm2m.NewResource(0, lwm2m.IntValue(9)), // /1/0/0 is read-only
	)
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0"), &in, false, byServer), lwm2m.CodeMethodNotAllowed)
	if v, _ := tr.Value(lwm2m.MustPath("/1/0/1")); v.Int() != 300 {
		t.Fatalf("lifetime changed to %v by a refused write", v)
	}
}

func TestTreeReplaceAndPartialUpdate(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	// Partial update of the instance adds /1/0/2 and keeps /1/0/1.
	in := lwm2m.NewInstance(0, lwm2m.NewResource(2, lwm2m.IntValue(5)))
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0"), &in, false, byServer), lwm2m.CodeChanged)
	if _, ok := tr.Value(lwm2m.MustPath("/1/0/2")); !ok {
		t.Fatal("partial update did not add /1/0/2")
	}
	// Replace drops optional writable resources left out, keeps mandatory ones.
	in = lwm2m.NewInstance(0, lwm2m.NewResource(3, lwm2m.IntValue(60)))
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0"), &in, true, byServer), lwm2m.CodeChanged)
	if _, ok := tr.Value(lwm2m.MustPath("/1/0/2")); ok {
		t.Error("replace kept /1/0/2")
	}
	if v, ok := tr.Value(lwm2m.MustPath("/1/0/1")); !ok || v.Int() != 300 {
		t.Error("replace dropped the mandatory lifetime")
	}
	// Multiple resource: POST merges, PUT replaces.
	mr := lwm2m.NewMultipleResource(25, lwm2m.NewResourceInstance(0, lwm2m.StringValue("1.1")), lwm2m.NewResourceInstance(1, lwm2m.StringValue("1.2")))
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/25"), &mr, true, byServer), lwm2m.CodeChanged)
	mr = lwm2m.NewMultipleResource(25, lwm2m.NewResourceInstance(2, lwm2m.StringValue("1.0")))
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/25"), &mr, false, byServer), lwm2m.CodeChanged)
	n, _ := tr.Read(lwm2m.MustPath("/1/0/25"), byServer)
	if len(n.Children) != 3 {
		t.Fatalf("partial update of a multiple resource: %d instances, want 3", len(n.Children))
	}
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/25"), &mr, true, byServer), lwm2m.CodeChanged)
	n, _ = tr.Read(lwm2m.MustPath("/1/0/25"), byServer)
	if len(n.Children) != 1 || n.Children[0].ID != 2 {
		t.Fatalf("replace of a multiple resource: %+v", n.Children)
	}
	// A resource-instance write adds one instance.
	ri := lwm2m.NewResourceInstance(4, lwm2m.StringValue("2.0"))
	wantCode(t, tr.Write(lwm2m.MustPath("/1/0/25/4"), &ri, true, byServer), lwm2m.CodeChanged)
	if v, ok := tr.Value(lwm2m.MustPath("/1/0/25/4")); !ok || v.Str() != "2.0" {
		t.Fatal("resource-instance write lost")
	}
}

func TestTreeCreateDelete(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	// Server object: mandatory resources must come with the payload.
	_, err := tr.Create(lwm2m.MustPath("/1"), 3, []lwm2m.Node{lwm2m.NewResource(1, lwm2m.IntValue(60))}, byServer)
	wantCode(t, err, lwm2m.CodeBadRequest) // /1/x/0 short server id is missing (and read-only)
	p, err := tr.Create(lwm2m.MustPath("/3303"), -1, []lwm2m.Node{lwm2m.NewResource(5750, lwm2m.StringValue("room"))}, byServer)
	if err != nil || p != lwm2m.MustPath("/3303/1") {
		t.Fatalf("create /3303: %v %v", p, err)
	}
	if v, _ := tr.Value(lwm2m.MustPath("/3303/1/5700")); v.Type() != lwm2m.TypeFloat {
		t.Fatalf("defaults missing: %v", v)
	}
	_, err = tr.Create(lwm2m.MustPath("/3303"), 1, nil, byServer)
	wantCode(t, err, lwm2m.CodeBadRequest) // id in use
	_, err = tr.Create(lwm2m.MustPath("/3"), 1, nil, byServer)
	wantCode(t, err, lwm2m.CodeBadRequest) // single instance
	_, err = tr.Create(lwm2m.MustPath("/77"), 0, nil, byServer)
	wantCode(t, err, lwm2m.CodeNotFound)
	_, err = tr.Create(lwm2m.MustPath("/3303/0"), 0, nil, byServer)
	wantCode(t, err, lwm2m.CodeMethodNotAllowed)

	wantCode(t, tr.Delete(lwm2m.MustPath("/3303/1"), byServer), lwm2m.CodeDeleted)
	wantCode(t, tr.Delete(lwm2m.MustPath("/3303/1"), byServer), lwm2m.CodeNotFound)
	wantCode(t, tr.Delete(lwm2m.MustPath("/3303"), byServer), lwm2m.CodeMethodNotAllowed)
	wantCode(t, tr.Delete(lwm2m.MustPath("/3/0"), byServer), lwm2m.CodeMethodNotAllowed)
	wantCode(t, tr.Delete(lwm2m.MustPath("/0/0"), byServer), lwm2m.CodeUnauthorized)
}

func TestTreeExecute(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	wantCode(t, tr.Execute(lwm2m.MustPath("/3/0/4"), "", byServer), lwm2m.CodeChanged)
	if !c.reboot {
		t.Error("executing /3/0/4 did not schedule a reboot")
	}
	wantCode(t, tr.Execute(lwm2m.MustPath("/3/0/0"), "", byServer), lwm2m.CodeMethodNotAllowed)
	wantCode(t, tr.Execute(lwm2m.MustPath("/3/0"), "", byServer), lwm2m.CodeMethodNotAllowed)
	wantCode(t, tr.Execute(lwm2m.MustPath("/3/0/999"), "", byServer), lwm2m.CodeNotFound)
	wantCode(t, tr.Execute(lwm2m.MustPath("/1/0/8"), "0='a',1", byServer), lwm2m.CodeChanged)
	wantCode(t, tr.Execute(lwm2m.MustPath("/1/0/8"), "0=a", byServer), lwm2m.CodeBadRequest)
}

func TestParseExecArgs(t *testing.T) {
	got, err := ParseExecArgs("0='http://x/y',1,9=''")
	if err != nil || got[0] != "http://x/y" || got[1] != "" || got[9] != "" || len(got) != 3 {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"a", "0=", "0='x", "0='a b'", "0,0", "0;1", "12", "0='\"'", ","} {
		if _, err := ParseExecArgs(bad); err == nil || !strings.Contains(err.Error(), "offset") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestTreeWriteAttributesAndDiscover(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	a, _ := lwm2m.ParseAttributes([]string{"pmin=10", "pmax=60"})
	wantCode(t, tr.WriteAttributes(lwm2m.MustPath("/3/0"), a, byServer), lwm2m.CodeChanged)
	a, _ = lwm2m.ParseAttributes([]string{"gt=50", "lt=10", "st=2"})
	wantCode(t, tr.WriteAttributes(lwm2m.MustPath("/3/0/9"), a, byServer), lwm2m.CodeChanged)
	// gt on a string resource, at instance level, and inconsistent merges.
	a, _ = lwm2m.ParseAttributes([]string{"gt=5"})
	wantCode(t, tr.WriteAttributes(lwm2m.MustPath("/3/0/0"), a, byServer), lwm2m.CodeBadRequest)
	wantCode(t, tr.WriteAttributes(lwm2m.MustPath("/3/0"), a, byServer), lwm2m.CodeBadRequest)
	a, _ = lwm2m.ParseAttributes([]string{"lt=60"})
	wantCode(t, tr.WriteAttributes(lwm2m.MustPath("/3/0/9"), a, byServer), lwm2m.CodeBadRequest)
	wantCode(t, tr.WriteAttributes(lwm2m.MustPath("/3/9"), a, byServer), lwm2m.CodeNotFound)

	eff := tr.EffectiveAttributes(lwm2m.MustPath("/3/0/9"))
	if *eff.Pmin != 10 || *eff.Pmax != 60 || *eff.Gt != 50 {
		t.Fatalf("effective attributes: %+v", eff)
	}
	links, err := tr.Discover(lwm2m.MustPath("/3/0"), byServer)
	if err != nil {
		t.Fatal(err)
	}
	got := string(formatLinks(links))
	for _, want := range []string{"</3/0>;pmin=10;pmax=60", "</3/0/6>;dim=2", "</3/0/9>;gt=50;lt=10;st=2", "</3/0/4>"} {
		if !strings.Contains(got, want) {
			t.Errorf("discover /3/0 = %s, missing %s", got, want)
		}
	}
	links, _ = tr.Discover(lwm2m.MustPath("/3"), byServer)
	if got := string(formatLinks(links)); !strings.HasPrefix(got, "</3>;ver=") {
		t.Errorf("discover /3 = %s", got)
	}
	links, _ = tr.Discover(lwm2m.MustPath("/3/0/6"), byServer)
	if got := string(formatLinks(links)); got != "</3/0/6>;dim=2,</3/0/6/0>,</3/0/6/1>" {
		t.Errorf("discover /3/0/6 = %s", got)
	}
	_, err = tr.Discover(lwm2m.MustPath("/3/0/6/0"), byServer)
	wantCode(t, err, lwm2m.CodeBadRequest)
	_, err = tr.Discover(lwm2m.MustPath("/0"), byServer)
	wantCode(t, err, lwm2m.CodeUnauthorized)
}

func TestTreeWriteComposite(t *testing.T) {
	c, _ := newTestClient(t, nil)
	tr := c.tree
	ok := []lwm2m.Record{
		{Path: lwm2m.MustPath("/1/0/1"), Value: lwm2m.IntValue(900)},
		{Path: lwm2m.MustPath("/3/0/14"), Value: lwm2m.StringValue("+01:00")},
	}
	wantCode(t, tr.WriteComposite(ok, byServer), lwm2m.CodeChanged)
	if v, _ := tr.Value(lwm2m.MustPath("/3/0/14")); v.Str() != "+01:00" {
		t.Fatal("write-composite lost /3/0/14")
	}
	bad := []lwm2m.Record{
		{Path: lwm2m.MustPath("/1/0/1"), Value: lwm2m.IntValue(1000)},
		{Path: lwm2m.MustPath("/3/0/9"), Value: lwm2m.IntValue(5)}, // read-only
	}
	wantCode(t, tr.WriteComposite(bad, byServer), lwm2m.CodeMethodNotAllowed)
	if v, _ := tr.Value(lwm2m.MustPath("/1/0/1")); v.Int() != 900 {
		t.Fatal("refused write-composite changed /1/0/1")
	}
}

func TestBootstrapDeleteKeepsAccountAndDevice(t *testing.T) {
	c, _ := newTestClient(t, func(cfg *Config) { cfg.BootstrapURI = "coap://127.0.0.1:5693" })
	tr := c.tree
	in := lwm2m.NewInstance(1, lwm2m.NewResource(0, lwm2m.StringValue("coap://127.0.0.1:5683")),
		lwm2m.NewResource(1, lwm2m.BoolValue(false)), lwm2m.NewResource(2, lwm2m.IntValue(3)),
		lwm2m.NewResource(3, lwm2m.OpaqueValue(nil)), lwm2m.NewResource(4, lwm2m.OpaqueValue(nil)),
		lwm2m.NewResource(5, lwm2m.OpaqueValue(nil)), lwm2m.NewResource(10, lwm2m.IntValue(7)))
	wantCode(t, tr.Write(lwm2m.MustPath("/0/1"), &in, true, byBootstrap), lwm2m.CodeChanged)
	wantCode(t, tr.Delete(lwm2m.Root, byBootstrap), lwm2m.CodeDeleted)
	sec, _ := tr.Object(0)
	if len(sec.Instances) != 1 || sec.Instances[0].ID != 0 {
		t.Fatalf("bootstrap delete / left %d security instances", len(sec.Instances))
	}
	if !tr.Exists(lwm2m.MustPath("/3/0")) {
		t.Fatal("bootstrap delete / removed the Device object")
	}
	wantCode(t, tr.Delete(lwm2m.MustPath("/0/0"), byBootstrap), lwm2m.CodeBadRequest)
}
