package linkformat

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

func TestParseRegistrationErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{`</>;rt="oma.lwm2m",</3/0/1>`, 19, "link </3/0/1> is not an object or object instance"},
		{`</>;rt="oma.lwm2m",</>`, 19, "a second root link"},
		{`</lwm2m>;rt="oma.lwm2m",</3/0>`, 24, "link </3/0> is not under the root path /lwm2m"},
		{`</lwm2m>;rt="oma.lwm2m",</lwm2mx/3/0>`, 24, "is not under the root path"},
		{`</lwm2m>;rt="oma.lwm2m",</lwm2m>`, 24, "is not under the root path"},
		{`</>;rt="oma.lwm2m",</a/b>`, 19, "link </a/b> is not an LwM2M path"},
		{`</3/0>,</3/65535>`, 7, "is not an LwM2M path"},
		{`</3/0>,<3/1>`, 7, "is not an LwM2M path"},
		{`<lwm2m>;rt="oma.lwm2m",</3/0>`, 0, "link <lwm2m>: not a usable root path"},
		{`</a//b>;rt="oma.lwm2m"`, 0, "not a usable root path"},
		{`</>;ct=abc,</3/0>`, 0, `"abc" is not a content format number`},
		{`</>;rt="oma.lwm2m";ct="60 x"`, 0, `"x" is not a content format number`},
		{`</>;rt="oma.lwm2m";ct=70000`, 0, "is not a content format number"},
		{`</>;rt="oma.lwm2m";ct=""`, 0, "ct is empty"},
		{`</3>;ver=abc`, 0, `link </3>: ver "abc" is not a major.minor version`},
		{`</3>;ver`, 0, "parameter ver has no value"},
		{`</1/0>,</3>;ver=1.`, 7, "is not a major.minor version"},
		{`</3/0`, 0, "no closing '>'"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParseRegistration([]byte(c.in))
			wantDecodeError(t, err, c.offset, c.msg)
		})
	}
}

func TestParseRegistrationEmpty(t *testing.T) {
	reg, err := ParseRegistration(nil)
	if err != nil || reg.RootPath != "/" || len(reg.Objects) != 0 || reg.ContentFormats != nil {
		t.Fatalf("empty payload: %+v, %v", reg, err)
	}
}

func TestParseRegistrationIgnoresOtherParams(t *testing.T) {
	reg, err := ParseRegistration([]byte(`</>;rt="oma.lwm2m",</3303/0>;rt="temperature";obs`))
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Objects) != 1 || reg.Objects[0].Path != lwm2m.InstancePath(3303, 0) || reg.Objects[0].Version != "" {
		t.Fatalf("got %+v", reg)
	}
}

func TestFormatRegistration(t *testing.T) {
	cases := []struct {
		reg  Registration
		want string
	}{
		{Registration{}, `</>;rt="oma.lwm2m"`},
		{Registration{RootPath: "/lwm2m", ContentFormats: []lwm2m.ContentFormat{lwm2m.FormatSenMLCBOR},
			Objects: []ObjectLink{{Path: lwm2m.ObjectPath(5)}, {Path: lwm2m.InstancePath(3, 0), Version: "1.2"}}},
			`</lwm2m>;rt="oma.lwm2m";ct=112,</lwm2m/5>,</lwm2m/3/0>;ver=1.2`},
		{Registration{ContentFormats: []lwm2m.ContentFormat{lwm2m.FormatCBOR, lwm2m.FormatSenMLJSON, lwm2m.FormatTLV},
			Objects: []ObjectLink{{Path: lwm2m.InstancePath(1, 0)}}},
			`</>;rt="oma.lwm2m";ct="60 110 11542",</1/0>`},
	}
	for _, c := range cases {
		if got := string(FormatRegistration(c.reg)); got != c.want {
			t.Errorf("FormatRegistration:\n got %s\nwant %s", got, c.want)
		}
	}
}
