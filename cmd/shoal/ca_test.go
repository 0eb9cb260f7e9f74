package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runShoal(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// TestCAInitAndCert: `shoal ca init` creates an ECDSA P-256 CA whose key
// is sealed in the data directory and prints its certificate; a second
// init is refused unless --force; `shoal ca cert` prints the same
// certificate, in DER with --der.
func TestCAInitAndCert(t *testing.T) {
	dir := t.TempDir()
	out, msg, err := runShoal(t, "ca", "init", "--data-dir", dir, "--cn", "Acme Devices CA")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(out))
	if block == nil {
		t.Fatalf("init printed no certificate: %q", out)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !c.IsCA || c.Subject.CommonName != "Acme Devices CA" {
		t.Fatalf("certificate %v %v", c, err)
	}
	if !strings.Contains(msg, "ECDSA P-256") {
		t.Errorf("init message %q", msg)
	}
	key, err := os.ReadFile(filepath.Join(dir, "ca", "ca.key"))
	if err != nil || bytes.Contains(key, []byte("BEGIN PRIVATE KEY")) || bytes.Contains(key, []byte("EC PRIVATE KEY")) {
		t.Fatalf("the CA key is not sealed at rest: %s (%v)", key, err)
	}
	if _, _, err := runShoal(t, "ca", "init", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second init: %v", err)
	}
	pemOut, _, err := runShoal(t, "ca", "cert", "--data-dir", dir)
	if err != nil || pemOut != out {
		t.Fatalf("ca cert printed %q (%v), want what init printed", pemOut, err)
	}
	der, _, err := runShoal(t, "ca", "cert", "--data-dir", dir, "--der")
	if err != nil || der != string(block.Bytes) {
		t.Fatalf("ca cert --der: %v", err)
	}
	if _, _, err := runShoal(t, "ca", "cert", "--data-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "shoal ca init") {
		t.Fatalf("cert without a CA: %v", err)
	}
	out2, _, err := runShoal(t, "ca", "init", "--data-dir", dir, "--force")
	if err != nil || out2 == out {
		t.Fatalf("init --force: %v (same certificate: %v)", err, out2 == out)
	}
}
