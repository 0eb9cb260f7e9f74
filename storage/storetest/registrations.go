package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

func sampleRegistration(ep, id string) models.Registration {
	return models.Registration{
		Endpoint: ep, RegistrationID: id, Address: "127.0.0.1:5683", Lifetime: 300 * time.Second,
		Binding: "UQ", LwM2MVersion: "1.1", SMS: "+123", QueueMode: true, RootPath: "/",
		ObjectLinks:  `</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303>;ver=1.1`,
		RegisteredAt: T0, LastSeen: T0.Add(time.Second), ExpiresAt: T0.Add(300 * time.Second),
		Transport: models.TransportDTLS, Identity: "psk-id",
	}
}

func testRegistrations(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	regs := st.Registrations()
	r := sampleRegistration("ep1", "r1")
	must(t, regs.Upsert(ctx, r))
	got, err := regs.Get(ctx, "ep1")
	must(t, err)
	if !reflect.DeepEqual(got, r) {
		t.Errorf("Get = %+v\nwant %+v", got, r)
	}
	// A new registration of the same endpoint replaces the old one.
	r2 := sampleRegistration("ep1", "r2")
	r2.QueueMode, r2.Binding, r2.Transport = false, "U", models.TransportUDP
	must(t, regs.Upsert(ctx, r2))
	got, err = regs.GetByRegistrationID(ctx, "r2")
	must(t, err)
	if !reflect.DeepEqual(got, r2) {
		t.Errorf("after re-registration = %+v\nwant %+v", got, r2)
	}
	_, err = regs.GetByRegistrationID(ctx, "r1")
	wantErr(t, err, dm.ErrNotFound, "old registration id")

	// A stale expiry does not remove the newer registration.
	wantErr(t, regs.Delete(ctx, "ep1", "r1"), dm.ErrNotFound, "delete with a stale registration id")
	if _, err := regs.Get(ctx, "ep1"); err != nil {
		t.Fatalf("registration gone after a stale delete: %v", err)
	}
	must(t, regs.Upsert(ctx, sampleRegistration("ep2", "r3")))
	wantErr(t, regs.Upsert(ctx, sampleRegistration("ep3", "r3")), dm.ErrConflict, "registration id of another endpoint")
	wantErr(t, regs.Upsert(ctx, models.Registration{Endpoint: "x"}), dm.ErrInvalid, "no registration id")
	all, err := regs.All(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Endpoint != "ep1" || all[1].Endpoint != "ep2" {
		t.Errorf("All = %+v", all)
	}
	must(t, regs.Delete(ctx, "ep1", "r2"))
	must(t, regs.Delete(ctx, "ep2", ""))
	all, err = regs.All(ctx)
	must(t, err)
	if len(all) != 0 {
		t.Errorf("All after deletes = %+v", all)
	}
}

func testRegistrationBatch(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	var batch []models.Registration
	for i := range 1200 {
		batch = append(batch, sampleRegistration(fmt.Sprintf("ep%04d", i), fmt.Sprintf("r%04d", i)))
	}
	// The same endpoint twice in one batch: the last one wins.
	last := sampleRegistration("ep0007", "r-new")
	last.Address = "127.0.0.1:9999"
	batch = append(batch, last)
	must(t, st.Registrations().UpsertBatch(ctx, batch))
	all, err := st.Registrations().All(ctx)
	must(t, err)
	if len(all) != 1200 {
		t.Fatalf("%d registrations stored, want 1200", len(all))
	}
	got, err := st.Registrations().Get(ctx, "ep0007")
	must(t, err)
	if got.RegistrationID != "r-new" || got.Address != "127.0.0.1:9999" {
		t.Errorf("duplicate in batch: got %+v", got)
	}
}

func testObservations(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	obs := st.Observations()
	pmax := uint32(60)
	o1 := models.Observation{Endpoint: "ep1", Token: []byte{0xde, 0xad}, Paths: []lwm2m.Path{lwm2m.MustPath("/3/0/9")},
		Format: lwm2m.FormatTLV, Attributes: lwm2m.Attributes{Pmax: &pmax}, CreatedAt: T0}
	o2 := models.Observation{Endpoint: "ep1", Token: []byte{0x01}, Composite: true, Format: lwm2m.FormatSenMLCBOR,
		Paths: []lwm2m.Path{lwm2m.MustPath("/3303/0/5700"), lwm2m.MustPath("/3/0")}, CreatedAt: T0.Add(time.Second)}
	o3 := models.Observation{Endpoint: "ep2", Token: []byte{0x02}, Paths: []lwm2m.Path{lwm2m.MustPath("/5/0/3")}, Format: lwm2m.FormatNone, CreatedAt: T0}
	for _, o := range []models.Observation{o1, o2, o3} {
		must(t, obs.Put(ctx, o))
	}
	got, err := obs.ByEndpoint(ctx, "ep1")
	must(t, err)
	if len(got) != 2 || !reflect.DeepEqual(got[0], o1) || !reflect.DeepEqual(got[1], o2) {
		t.Errorf("ByEndpoint = %+v\nwant %+v, %+v", got, o1, o2)
	}
	o1.Format = lwm2m.FormatSenMLJSON
	must(t, obs.Put(ctx, o1)) // replace
	all, err := obs.All(ctx)
	must(t, err)
	if len(all) != 3 || all[0].Format != lwm2m.FormatSenMLJSON || all[2].Format != lwm2m.FormatNone {
		t.Errorf("All = %+v", all)
	}
	must(t, obs.Delete(ctx, "ep1", []byte{0xde, 0xad}))
	wantErr(t, obs.Delete(ctx, "ep1", []byte{0xde, 0xad}), dm.ErrNotFound, "delete twice")
	n, err := obs.DeleteEndpoint(ctx, "ep1")
	must(t, err)
	if n != 1 {
		t.Errorf("DeleteEndpoint removed %d", n)
	}
	all, err = obs.All(ctx)
	must(t, err)
	if len(all) != 1 || !bytes.Equal(all[0].Token, []byte{0x02}) {
		t.Errorf("All after deletes = %+v", all)
	}
	wantErr(t, obs.Put(ctx, models.Observation{Endpoint: "ep"}), dm.ErrInvalid, "no token")
}
