package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/server"
)

// libcoapClient finds coap-client-openssl (Debian libcoap3-bin). Missing,
// the test is skipped, unless SHOAL_REQUIRE_INTEROP=1 (CI), where it fails.
func libcoapClient(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("coap-client-openssl")
	if err != nil {
		if os.Getenv("SHOAL_REQUIRE_INTEROP") == "1" {
			t.Fatalf("coap-client-openssl not found and SHOAL_REQUIRE_INTEROP=1: install libcoap3-bin")
		}
		t.Skip("coap-client-openssl not found (apt-get install libcoap3-bin); set SHOAL_REQUIRE_INTEROP=1 to make this a failure")
	}
	return path
}

func runLibcoap(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestLibcoapRegisters has libcoap's client, an independent CoAP/DTLS
// implementation on OpenSSL, register over UDP and over DTLS-PSK.
func TestLibcoapRegisters(t *testing.T) {
	bin := libcoapClient(t)
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddNoSec("libcoap-udp")
	creds.AddPSK("libcoap-psk", "libcoap-identity", []byte("libcoap-secret"))
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	links := `</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>`

	runLibcoap(t, bin, "-m", "post", "-t", "40", "-e", links,
		fmt.Sprintf("coap://%s/rd?ep=libcoap-udp&lt=120&lwm2m=1.1&b=U", s.UDPAddr()))
	rec.waitEvent(t, "registered libcoap-udp")
	reg, ok := s.Registration("libcoap-udp")
	if !ok || reg.Transport != "udp" || reg.Lifetime != 120*time.Second || !strings.Contains(reg.Objects, "</3/0>") {
		t.Fatalf("UDP registration %+v", reg)
	}

	// -k takes the PSK as text.
	runLibcoap(t, bin, "-m", "post", "-t", "40", "-e", links, "-u", "libcoap-identity", "-k", "libcoap-secret",
		fmt.Sprintf("coaps://%s/rd?ep=libcoap-psk&lt=120&lwm2m=1.1", s.DTLSAddr()))
	rec.waitEvent(t, "registered libcoap-psk")
	reg, ok = s.Registration("libcoap-psk")
	if !ok || reg.Transport != "dtls" || reg.Security != server.ModePSK || reg.Identity != "libcoap-identity" {
		t.Fatalf("DTLS registration %+v", reg)
	}
	if n := rec.count("security "); n != 0 {
		t.Fatalf("security events during interop: %v", rec.lines())
	}
}
