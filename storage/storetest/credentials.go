package storetest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

func testCredentialPSK(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	creds := st.Credentials()
	d1, d2 := newDevice(t, st, "d1"), newDevice(t, st, "d2")
	key := []byte{0x01, 0x02, 0x03, 0xfe, 0x00}

	c := models.Credential{DeviceID: d1, Mode: models.ModePSK, PSKIdentity: "psk-1", PSKKey: key}
	must(t, creds.Put(ctx, &c))
	if c.ID == 0 || c.State != models.CredentialActive {
		t.Fatalf("put did not fill id and state: %+v", c)
	}
	got, err := creds.ByPSKIdentity(ctx, "psk-1")
	must(t, err)
	if got.ID != c.ID || !bytes.Equal(got.PSKKey, key) || got.DeviceID != d1 {
		t.Errorf("ByPSKIdentity = %+v, want id %d with the key", got, c.ID)
	}

	// Another device cannot take the identity while it is live.
	dup := models.Credential{DeviceID: d2, Mode: models.ModePSK, PSKIdentity: "psk-1", PSKKey: []byte("other")}
	err = creds.Put(ctx, &dup)
	wantErr(t, err, dm.ErrConflict, "psk identity of another device")
	if !strings.Contains(err.Error(), "the PSK identity is already taken") {
		t.Errorf("error %q does not name the PSK identity", err)
	}

	// Update in place (key rotation keeping the identity).
	c.PSKKey = []byte("rotated")
	must(t, creds.Put(ctx, &c))
	got, err = creds.Get(ctx, c.ID)
	must(t, err)
	if string(got.PSKKey) != "rotated" {
		t.Errorf("key after update %q", got.PSKKey)
	}

	// Revoking frees the identity; lookups then prefer the live credential.
	must(t, creds.Revoke(ctx, c.ID, T0))
	must(t, creds.Revoke(ctx, c.ID, T0)) // idempotent
	got, err = creds.ByPSKIdentity(ctx, "psk-1")
	must(t, err)
	if got.State != models.CredentialRevoked {
		t.Errorf("revoked identity reads as %q", got.State)
	}
	sameTime(t, "revoked at", got.RevokedAt, T0)
	must(t, creds.Put(ctx, &dup))
	got, err = creds.ByPSKIdentity(ctx, "psk-1")
	must(t, err)
	if got.ID != dup.ID || got.DeviceID != d2 || got.State != models.CredentialActive {
		t.Errorf("after reuse ByPSKIdentity = %+v, want the live credential %d of device %d", got, dup.ID, d2)
	}

	second := models.Credential{DeviceID: d2, Mode: models.ModePSK, PSKIdentity: "psk-2", PSKKey: []byte("k2"), State: models.CredentialPending}
	must(t, creds.Put(ctx, &second))
	list, err := creds.ByDevice(ctx, d2)
	must(t, err)
	if len(list) != 2 || list[0].ID != dup.ID || list[1].ID != second.ID {
		t.Errorf("ByDevice = %+v", list)
	}
	n, err := creds.RevokeDevice(ctx, d2, T0)
	must(t, err)
	if n != 2 {
		t.Errorf("RevokeDevice revoked %d, want 2", n)
	}

	_, err = creds.ByPSKIdentity(ctx, "unknown")
	wantErr(t, err, dm.ErrNotFound, "unknown identity")
	wantErr(t, creds.Revoke(ctx, 9999, T0), dm.ErrNotFound, "revoke unknown")
	bad := models.Credential{DeviceID: d1, Mode: models.ModePSK, PSKIdentity: "no-key"}
	wantErr(t, creds.Put(ctx, &bad), dm.ErrInvalid, "psk without key")
	bad = models.Credential{DeviceID: 9999, Mode: models.ModeNoSec}
	wantErr(t, creds.Put(ctx, &bad), dm.ErrInvalid, "unknown device")
	bad = models.Credential{DeviceID: d1, Mode: "rpk"}
	wantErr(t, creds.Put(ctx, &bad), dm.ErrInvalid, "unknown mode")
	bad = models.Credential{ID: 9999, DeviceID: d1, Mode: models.ModeNoSec}
	wantErr(t, creds.Put(ctx, &bad), dm.ErrNotFound, "update unknown")
}

func testCredentialX509(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	creds := st.Credentials()
	d1, d2 := newDevice(t, st, "d1"), newDevice(t, st, "d2")
	fp := strings.Repeat("ab", 32)
	c := models.Credential{DeviceID: d1, Mode: models.ModeX509, Fingerprint: strings.ToUpper(fp),
		CertificatePEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", NotAfter: T0}
	must(t, creds.Put(ctx, &c))
	got, err := creds.ByFingerprint(ctx, fp)
	must(t, err)
	if got.ID != c.ID || got.Fingerprint != fp || got.CertificatePEM != c.CertificatePEM || got.PSKKey != nil {
		t.Errorf("ByFingerprint = %+v", got)
	}
	sameTime(t, "not after", got.NotAfter, T0)
	dup := models.Credential{DeviceID: d2, Mode: models.ModeX509, Fingerprint: fp}
	wantErr(t, creds.Put(ctx, &dup), dm.ErrConflict, "fingerprint of another device")
	nosec := models.Credential{DeviceID: d2, Mode: models.ModeNoSec}
	must(t, creds.Put(ctx, &nosec))
	nosec2 := models.Credential{DeviceID: d1, Mode: models.ModeNoSec}
	must(t, creds.Put(ctx, &nosec2)) // NoSec credentials carry no unique material
}

func testCredentialWrongKey(t *testing.T, b Backend) {
	ctx := t.Context()
	dsn := b.NewDSN(t)
	st := b.Open(t, dsn)
	dev := newDevice(t, st, "d1")
	c := models.Credential{DeviceID: dev, Mode: models.ModePSK, PSKIdentity: "psk", PSKKey: []byte("hunter2")}
	must(t, st.Credentials().Put(ctx, &c))
	st.Close()

	other := bytes.Repeat([]byte{0x42}, 32)
	st2 := b.Open(t, dsn, func(o *storage.Options) { o.SecretKey = other })
	_, err := st2.Credentials().Get(ctx, c.ID)
	wantErr(t, err, storage.ErrSecretKey, "reading a secret with the wrong key")
	_, err = st2.Credentials().ByPSKIdentity(ctx, "psk")
	wantErr(t, err, storage.ErrSecretKey, "looking up by identity with the wrong key")
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the key: %v", err)
	}
	// Records without secrets still read.
	if _, err := st2.Devices().Get(ctx, dev); err != nil {
		t.Errorf("device read with the wrong key: %v", err)
	}
	st2.Close()
	st3 := b.Open(t, dsn)
	got, err := st3.Credentials().Get(ctx, c.ID)
	must(t, err)
	if string(got.PSKKey) != "hunter2" {
		t.Errorf("key with the right key: %q", got.PSKKey)
	}
}
