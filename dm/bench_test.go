package dm_test

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// BenchmarkServerCredentialsPSK is the DTLS handshake's PSK lookup through
// dm's cache (a hit after the first call):
//
//	go test -run '^$' -bench ServerCredentialsPSK ./dm/
func BenchmarkServerCredentialsPSK(b *testing.B) {
	bk := storetest.SQLite()
	st := openStoreTB(b, bk, bk.NewDSN(b))
	defer st.Close()
	svc, err := dm.New(dm.Config{}, stores(st, nil), objects.New(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "bench-psk"}); err != nil {
		b.Fatal(err)
	}
	creds := svc.ServerCredentials()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, err := creds.PSK(ctx, "bench-psk")
		if err != nil || c.Endpoint != "bench-psk" {
			b.Fatal(err)
		}
	}
}
