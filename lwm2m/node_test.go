package lwm2m

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func device() Node {
	return NewInstance(0,
		NewResource(0, StringValue("Open Mobile Alliance")),
		NewMultipleResource(6, NewResourceInstance(0, IntValue(1)), NewResourceInstance(1, IntValue(5))),
		NewResource(9, IntValue(100)),
	)
}

func TestNodeValidate(t *testing.T) {
	n := device()
	if err := n.Validate(MustPath("/3/0")); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		n    Node
		p    string
	}{
		{"depth", device(), "/3"},
		{"id", device(), "/3/1"},
		{"dup", NewInstance(0, NewResource(1, IntValue(1)), NewResource(1, IntValue(2))), "/3/0"},
		{"kind", NewInstance(0, NewResourceInstance(1, IntValue(1))), "/3/0"},
		{"leaf children", Node{Kind: KindResource, ID: 1, Children: []Node{NewResourceInstance(0, IntValue(1))}}, "/3/0/1"},
		{"object holds resource", NewObject(3, NewResource(0, IntValue(1))), "/3"},
	}
	for _, b := range bad {
		if err := b.n.Validate(MustPath(b.p)); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: got %v", b.name, err)
		}
	}
	if err := n.Validate(Root); err == nil {
		t.Error("root accepted")
	}
}

func TestRecordsAndBuild(t *testing.T) {
	n := device()
	recs := n.Records(MustPath("/3/0"))
	want := []string{"/3/0/0", "/3/0/6/0", "/3/0/6/1", "/3/0/9"}
	if len(recs) != len(want) {
		t.Fatalf("got %d records", len(recs))
	}
	for i, w := range want {
		if recs[i].Path.String() != w {
			t.Errorf("record %d at %s, want %s", i, recs[i].Path, w)
		}
	}
	back, err := BuildNode(MustPath("/3/0"), recs)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(&n) {
		t.Fatalf("rebuilt node differs: %+v", back)
	}
	// Object level, out of order input comes back sorted.
	rev := []Record{recs[3], recs[2], recs[1], recs[0]}
	obj, err := BuildNode(MustPath("/3"), rev)
	if err != nil {
		t.Fatal(err)
	}
	inst, ok := obj.Child(0)
	if !ok || !inst.Equal(&n) {
		t.Fatalf("object build: %+v", obj)
	}
	if r, ok := obj.Find(0, 6, 1); !ok || r.Value.Int() != 5 {
		t.Fatal("Find /0/6/1 failed")
	}
	// Single resource and resource instance.
	if r, err := BuildNode(MustPath("/3/0/9"), recs[3:]); err != nil || r.Kind != KindResource || r.Value.Int() != 100 {
		t.Fatalf("resource build: %+v %v", r, err)
	}
	if r, err := BuildNode(MustPath("/3/0/6"), recs[1:3]); err != nil || r.Kind != KindMultipleResource || len(r.Children) != 2 {
		t.Fatalf("multiple build: %+v %v", r, err)
	}
	// Errors: outside the path, a resource both single and multiple, a value twice.
	errCases := [][]Record{
		{{Path: MustPath("/4/0/1"), Value: IntValue(1)}},
		{{Path: MustPath("/3/0/6"), Value: IntValue(1)}, {Path: MustPath("/3/0/6/0"), Value: IntValue(1)}},
		{{Path: MustPath("/3/0/6/0"), Value: IntValue(1)}, {Path: MustPath("/3/0/6"), Value: IntValue(1)}},
		{{Path: MustPath("/3/0/9"), Value: IntValue(1)}, {Path: MustPath("/3/0/9"), Value: IntValue(2)}},
		{{Path: MustPath("/3/0"), Value: IntValue(1)}},
	}
	for i, c := range errCases {
		if _, err := BuildNode(MustPath("/3"), c); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestNodeJSON(t *testing.T) {
	n := device()
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"instance","id":0,"resources":[{"kind":"resource","id":0,"type":"string","value":"Open Mobile Alliance"},{"kind":"multiple","id":6,"instances":[{"kind":"resource-instance","id":0,"type":"integer","value":1},{"kind":"resource-instance","id":1,"type":"integer","value":5}]},{"kind":"resource","id":9,"type":"integer","value":100}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back Node
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(&n) {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	for _, bad := range []string{`{"kind":"thing","id":1}`, `{"kind":"resource","id":1}`, `{"kind":"resource","id":1,"type":"integer","value":"x"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	rec := Record{Path: MustPath("/3303/0/5700"), Value: FloatValue(21.5), Time: time.Unix(1700000000, 0)}
	b, _ = json.Marshal(rec)
	if string(b) != `{"path":"/3303/0/5700","type":"float","value":21.5,"time":"2023-11-14T22:13:20Z"}` {
		t.Fatalf("record JSON %s", b)
	}
	var r2 Record
	if err := json.Unmarshal(b, &r2); err != nil || r2.Path != rec.Path || !r2.Value.Equal(rec.Value) || !r2.Time.Equal(rec.Time) {
		t.Fatalf("record round trip %+v %v", r2, err)
	}
}

func TestRequestValidateAndJSON(t *testing.T) {
	content := NewResource(1, StringValue("x"))
	good := []Request{
		NewRequest(OpRead, MustPath("/3/0")),
		{Op: OpWrite, Path: MustPath("/1/0/1"), Content: &content, Format: FormatNone},
		{Op: OpExecute, Path: MustPath("/3/0/4"), Args: "0='x'"},
		{Op: OpWriteAttributes, Path: MustPath("/3/0/9"), Attributes: Attributes{Unset: []string{"pmin"}}},
		{Op: OpReadComposite, Paths: []Path{MustPath("/3/0/9"), MustPath("/4/0")}},
		{Op: OpDelete, Path: MustPath("/3303/1")},
	}
	for _, r := range good {
		if err := r.Validate(); err != nil {
			t.Errorf("%s %s: %v", r.Op, r.Path, err)
		}
	}
	bad := []Request{
		NewRequest(OpRead, Root),
		NewRequest(OpExecute, MustPath("/3/0")),
		NewRequest(OpDelete, MustPath("/3")),
		NewRequest(OpWrite, MustPath("/3/0/1")),
		{Op: OpWrite, Path: MustPath("/3/0/2"), Content: &content},
		NewRequest(OpWriteAttributes, MustPath("/3/0/9")),
		{Op: OpReadComposite},
		{Op: OpWriteComposite, Records: []Record{{Path: MustPath("/3/0"), Value: IntValue(1)}}},
		{Op: 99},
	}
	for i, r := range bad {
		if err := r.Validate(); err == nil {
			t.Errorf("bad request %d (%s %s) accepted", i, r.Op, r.Path)
		}
	}
	pmin := uint32(10)
	r := Request{Op: OpWrite, Path: MustPath("/1/0/1"), Content: &content, Format: FormatTLV, Attributes: Attributes{Pmin: &pmin}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Request
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Op != OpWrite || back.Path != r.Path || back.Format != FormatTLV || !back.Content.Equal(&content) || *back.Attributes.Pmin != 10 {
		t.Fatalf("round trip %s → %+v", b, back)
	}
	var dflt Request
	if err := json.Unmarshal([]byte(`{"op":"read","path":"/3/0"}`), &dflt); err != nil || dflt.Format != FormatNone {
		t.Fatalf("missing format must mean none: %+v %v", dflt, err)
	}
}

func TestAttributes(t *testing.T) {
	a, err := ParseAttributes([]string{"pmin=10", "pmax=60", "gt=30.5", "lt=10", "st=2", "epmax"})
	if err != nil {
		t.Fatal(err)
	}
	if *a.Pmin != 10 || *a.Pmax != 60 || *a.Gt != 30.5 || *a.Lt != 10 || *a.St != 2 || a.Unset[0] != "epmax" {
		t.Fatalf("%+v", a)
	}
	q := a.Query()
	want := []string{"pmin=10", "pmax=60", "gt=30.5", "lt=10", "st=2", "epmax"}
	if len(q) != len(want) {
		t.Fatalf("query %v", q)
	}
	for i := range q {
		if q[i] != want[i] {
			t.Fatalf("query %v", q)
		}
	}
	for _, bad := range [][]string{{"pmin=-1"}, {"gt=x"}, {"foo=1"}, {"lt=5", "gt=3"}, {"lt=1", "gt=5", "st=3"}, {"st=-1"}, {"epmin=5", "epmax=2"}, {"edge=2"}} {
		if _, err := ParseAttributes(bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
	m := a.Merge(Attributes{Unset: []string{"pmin", "gt"}})
	if m.Pmin != nil || m.Gt != nil || m.Pmax == nil {
		t.Errorf("merge: %+v", m)
	}
}

func TestStatus(t *testing.T) {
	err := Errorf(CodeNotFound, "no instance %d", 7)
	if err.Error() != "4.04 Not Found: no instance 7" {
		t.Fatal(err.Error())
	}
	if c, ok := StatusCode(errors.Join(errors.New("x"), err)); !ok || c != CodeNotFound {
		t.Fatal("StatusCode did not find the code")
	}
	if !errors.Is(err, &Status{Code: CodeNotFound}) || errors.Is(err, &Status{Code: CodeBadRequest}) {
		t.Fatal("errors.Is by code")
	}
	if CodeContent.String() != "2.05" || !CodeChanged.IsSuccess() || CodeBadOption.IsSuccess() || MakeCode(4, 15) != CodeUnsupportedContentFormat {
		t.Fatal("code helpers")
	}
	var c Code
	if err := c.UnmarshalText([]byte("4.12")); err != nil || c != CodePreconditionFailed {
		t.Fatal("UnmarshalText")
	}
	resp := Response{Code: CodeMethodNotAllowed, Format: FormatText, Payload: []byte("not writable")}
	if resp.Err().Error() != "4.05 Method Not Allowed: not writable" {
		t.Fatal(resp.Err())
	}
}

func TestContentFormat(t *testing.T) {
	for _, s := range []string{"tlv", "senml-cbor", "application/senml+json", "11544", "text", "plain", "link"} {
		if _, err := ParseContentFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseContentFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
	if FormatLegacyTLV.Canonical() != FormatTLV || FormatSenMLCBOR.String() != "senml-cbor" || ContentFormat(999).String() != "999" {
		t.Error("names")
	}
}

// TestBuildSortedMatchesGeneral: the fast path builds exactly what the
// general path builds, for random sorted record sets at every depth.
func TestBuildSortedMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for iter := 0; iter < 2000; iter++ {
		set := map[Path]bool{}
		var recs []Record
		for k := r.IntN(30) + 1; k > 0; k-- {
			obj, inst, res := uint16(r.IntN(2)+3), uint16(r.IntN(2)), uint16(r.IntN(6))
			var p Path
			if res%2 == 0 {
				p = ResourcePath(obj, inst, res)
			} else {
				p = ResourceInstancePath(obj, inst, res, uint16(r.IntN(3)))
			}
			if !set[p] {
				set[p] = true
				recs = append(recs, Record{Path: p, Value: IntValue(int64(r.IntN(100)))})
			}
		}
		slices.SortFunc(recs, func(a, b Record) int { return a.Path.Compare(b.Path) })
		for _, at := range []Path{Root.Child(3), InstancePath(3, 0), ResourcePath(3, 0, 1)} {
			var under []Record
			for _, rec := range recs {
				if rec.Path.HasPrefix(at) {
					under = append(under, rec)
				}
			}
			if len(under) == 0 {
				continue
			}
			fast, ok := buildSorted(at, under)
			slow, err := buildGeneral(at, under)
			if err != nil {
				if ok {
					t.Fatalf("%s: fast path accepted what the general path rejects: %v", at, err)
				}
				continue
			}
			if ok && !fast.Equal(&slow) {
				t.Fatalf("%s: fast %+v\nslow %+v", at, fast, slow)
			}
		}
	}
}
