package server

import (
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

func TestParseRegParams(t *testing.T) {
	p, err := parseRegParams([]string{"ep=dev", "lt=30", "lwm2m=1.1", "b=U", "sms=+123", "Q", "apn=x"}, true)
	if err != nil || p.ep != "dev" || p.lt.Seconds() != 30 || p.version != "1.1" || p.binding != "U" || p.sms != "+123" || !p.queue {
		t.Fatalf("%+v %v", p, err)
	}
	if p, _ := parseRegParams([]string{"ep=x"}, true); p.version != "1.0" || p.hasLt {
		t.Fatalf("defaults: %+v", p)
	}
	if _, err := parseRegParams([]string{"ep=x"}, false); err == nil {
		t.Fatal("ep accepted in an Update")
	}
	// An Update that repeats lwm2m= is tolerated (update checks it is the
	// registration's version); a malformed one is not.
	if p, err := parseRegParams([]string{"lt=300", "lwm2m=1.0", "b=U"}, false); err != nil || !p.hasVer || p.version != "1.0" {
		t.Fatalf("lwm2m in an Update: %+v %v", p, err)
	}
	if _, err := parseRegParams([]string{"lwm2m=x"}, false); err == nil {
		t.Fatal("a malformed lwm2m accepted in an Update")
	}
	if !queueMode("UQ", false) || queueMode("U", false) || !queueMode("U", true) {
		t.Fatal("queueMode")
	}
}

// FuzzRegParams: any query list gives parameters or a 4.00/4.12 status,
// never a panic.
func FuzzRegParams(f *testing.F) {
	f.Add("ep=dev&lt=60&lwm2m=1.1&b=UQ&Q", true)
	f.Add("lt=0&b=XX&lwm2m=9.9", false)
	f.Add("ep=&sms&Q=1", true)
	f.Fuzz(func(t *testing.T, q string, register bool) {
		p, err := parseRegParams(strings.Split(q, "&"), register)
		if err != nil {
			c, ok := lwm2m.StatusCode(err)
			if !ok || (c != lwm2m.CodeBadRequest && c != lwm2m.CodePreconditionFailed) {
				t.Fatalf("%q: error %v is not a 4.00/4.12 status", q, err)
			}
			return
		}
		if p.hasLt && p.lt <= 0 {
			t.Fatalf("%q: lifetime %v", q, p.lt)
		}
		if p.hasB && !validBinding(p.binding) {
			t.Fatalf("%q: binding %q", q, p.binding)
		}
	})
}
