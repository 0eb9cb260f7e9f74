package client

import (
	"slices"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

func TestObjectsListsTheStandardSet(t *testing.T) {
	c, _ := newTestClient(t, nil)
	want := []uint16{0, 1, 3, 4, 5, 6, 3303}
	if got := c.Objects(); !slices.Equal(got, want) {
		t.Fatalf("Objects() = %v, want %v", got, want)
	}
}

// TestSetFirmwareFailureAtRuntime switches failure injection on after New:
// the next download fails as injected, and switching it off lets the one
// after that succeed.
func TestSetFirmwareFailureAtRuntime(t *testing.T) {
	srv := fwServer(t)
	c, _ := newTestClient(t, nil)
	c.SetFirmwareFailure(FailOutOfMemory)
	wantResp(t, writeText(t, c, "/5/0/1", srv.URL+"/fw.bin"), lwm2m.CodeChanged)
	if st, res := waitFW(t, c); st != FWIdle || res != FWResultOutOfRAM {
		t.Fatalf("with injection: state %d result %d, want %d %d", st, res, FWIdle, FWResultOutOfRAM)
	}
	c.SetFirmwareFailure(FailUpdate)
	wantResp(t, writeText(t, c, "/5/0/1", srv.URL+"/fw.bin"), lwm2m.CodeChanged)
	if st, _ := waitFW(t, c); st != FWDownloaded {
		t.Fatalf("update-failure injection broke the download: state %d", st)
	}
	wantResp(t, serve(t, c, req(coap.POST, "/5/0/2", lwm2m.FormatNone, nil)), lwm2m.CodeChanged)
	c.doReboot()
	if s := c.Status(); s.FirmwareState != FWIdle || s.FirmwareResult != FWResultUpdateFailed {
		t.Fatalf("after reboot: %+v, want result %d", s, FWResultUpdateFailed)
	}
	c.SetFirmwareFailure(FailNone)
	wantResp(t, writeText(t, c, "/5/0/1", srv.URL+"/fw.bin"), lwm2m.CodeChanged)
	if st, res := waitFW(t, c); st != FWDownloaded || res != FWResultInitial {
		t.Fatalf("without injection: state %d result %d", st, res)
	}
}
