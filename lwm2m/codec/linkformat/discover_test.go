package linkformat

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

func TestParseDiscoverErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{`</3>,<coap://x/3/0>`, 5, "link <coap://x/3/0> is not an LwM2M path"},
		{`</3/0/7>;pmin=soon`, 0, `link </3/0/7>: attribute pmin: "soon" is not a non-negative integer`},
		{`</3/0/7>;st=-1`, 0, "attribute st: -1 is negative"},
		{`</3/0/7>;dim=-1`, 0, `dim "-1" is not a number of instances`},
		{`</3/0/7>;dim=70000`, 0, "is not a number of instances"},
		{`</3/0/7>;pmin`, 0, "parameter pmin has no value"},
		{`</3/0/7>;edge=2`, 0, "attribute edge"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParseDiscover([]byte(c.in))
			wantDecodeError(t, err, c.offset, c.msg)
		})
	}
}

func TestDiscoverRoundTrip(t *testing.T) {
	pmin, pmax := uint32(5), uint32(3600)
	gt, edge := -2.5, uint8(1)
	links := []ObjectLink{
		{Path: lwm2m.ObjectPath(3303), Version: "1.1"},
		{Path: lwm2m.InstancePath(3303, 0), Attributes: lwm2m.Attributes{Pmin: &pmin, Pmax: &pmax}},
		{Path: lwm2m.ResourcePath(3303, 0, 5700), Attributes: lwm2m.Attributes{Gt: &gt, Edge: &edge}},
		{Path: lwm2m.ResourceInstancePath(3303, 0, 5701, 0)},
		{Path: lwm2m.ResourcePath(3, 0, 7), Dim: 0, HasDim: true, ContentFormats: []lwm2m.ContentFormat{lwm2m.FormatText}},
	}
	out := FormatDiscover(links)
	want := `</3303>;ver=1.1,</3303/0>;pmin=5;pmax=3600,</3303/0/5700>;gt=-2.5;edge=1,</3303/0/5701/0>,</3/0/7>;ct=0;dim=0`
	if string(out) != want {
		t.Fatalf("FormatDiscover:\n got %s\nwant %s", out, want)
	}
	back, err := ParseDiscover(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(links) {
		t.Fatalf("%d links back", len(back))
	}
	for i := range back {
		if string(FormatDiscover(back[i:i+1])) != string(FormatDiscover(links[i:i+1])) {
			t.Errorf("link %d changed: %+v", i, back[i])
		}
	}
}
