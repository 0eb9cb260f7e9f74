package storetest

import (
	"reflect"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func testAssets(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	as := st.Assets()
	cust := models.Customer{Name: "c"}
	must(t, st.Customers().Create(ctx, &cust))
	site := models.Asset{Name: "Plant", Type: "site", CustomerID: cust.ID, Labels: map[string]string{"region": "eu"}}
	must(t, as.Create(ctx, &site))
	got, err := as.Get(ctx, site.ID)
	must(t, err)
	if !reflect.DeepEqual(got, site) {
		t.Errorf("Get = %+v\nwant %+v", got, site)
	}
	floor := models.Asset{Name: "Floor 1", Type: "floor", Labels: map[string]string{"region": "eu", "level": "1"}}
	must(t, as.Create(ctx, &floor))
	for name, c := range map[string]struct {
		f    dm.AssetFilter
		want int64
	}{
		"all": {dm.AssetFilter{}, 2}, "type": {dm.AssetFilter{Type: "floor"}, 1},
		"customer": {dm.AssetFilter{CustomerID: cust.ID}, 1}, "labels": {dm.AssetFilter{Labels: map[string]string{"region": "eu", "level": "1"}}, 1},
	} {
		pg, err := as.List(ctx, c.f, dm.PageRequest{})
		must(t, err)
		if pg.Total != c.want {
			t.Errorf("%s: %d assets, want %d", name, pg.Total, c.want)
		}
	}
	floor.Name, floor.Labels = "Ground floor", nil
	must(t, as.Update(ctx, &floor))
	got, err = as.Get(ctx, floor.ID)
	must(t, err)
	if got.Name != "Ground floor" || len(got.Labels) != 0 {
		t.Errorf("after update %+v", got)
	}
	wantErr(t, st.Customers().Delete(ctx, cust.ID), dm.ErrConflict, "delete a customer owning assets")
	wantErr(t, as.Create(ctx, &models.Asset{Type: "x"}), dm.ErrInvalid, "no name")
	must(t, as.Delete(ctx, site.ID))
	_, err = as.Get(ctx, site.ID)
	wantErr(t, err, dm.ErrNotFound, "deleted asset")
}

func testRelations(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	rel := st.Relations()
	mk := func(name string) models.EntityRef {
		a := models.Asset{Name: name}
		must(t, st.Assets().Create(ctx, &a))
		return models.EntityRef{Kind: models.EntityAsset, ID: a.ID}
	}
	dev := func(ep string) models.EntityRef {
		return models.EntityRef{Kind: models.EntityDevice, ID: newDevice(t, st, ep)}
	}
	site, bldg, floor := mk("site"), mk("building"), mk("floor")
	d1, d2, d3 := dev("d1"), dev("d2"), dev("d3")
	put := func(from, to models.EntityRef, typ string) {
		t.Helper()
		r := models.Relation{From: from, To: to, Type: typ}
		must(t, rel.Put(ctx, &r))
	}
	put(site, bldg, models.RelationContains)
	put(bldg, floor, models.RelationContains)
	put(floor, d1, models.RelationContains)
	put(floor, d2, models.RelationContains)
	put(site, d3, "manages")
	put(floor, site, models.RelationContains) // a cycle must not loop forever

	desc, err := rel.Descendants(ctx, site, models.RelationContains)
	must(t, err)
	want := []models.EntityRef{bldg, floor, d1, d2}
	if !sameRefs(desc, want) {
		t.Errorf("descendants of site = %v, want %v", desc, want)
	}
	from, err := rel.From(ctx, floor)
	must(t, err)
	if len(from) != 3 {
		t.Errorf("relations from floor: %v", from)
	}
	to, err := rel.To(ctx, d3)
	must(t, err)
	if len(to) != 1 || to[0].Type != "manages" || to[0].From != site {
		t.Errorf("relations to d3: %v", to)
	}

	dup := models.Relation{From: site, To: bldg, Type: models.RelationContains}
	wantErr(t, rel.Put(ctx, &dup), dm.ErrConflict, "duplicate relation")
	missing := models.Relation{From: site, To: models.EntityRef{Kind: models.EntityDevice, ID: 9999}, Type: "contains"}
	wantErr(t, rel.Put(ctx, &missing), dm.ErrInvalid, "relation to a missing device")
	self := models.Relation{From: site, To: site, Type: "contains"}
	wantErr(t, rel.Put(ctx, &self), dm.ErrInvalid, "self relation")
	odd := models.Relation{From: models.EntityRef{Kind: "planet", ID: 1}, To: site, Type: "contains"}
	wantErr(t, rel.Put(ctx, &odd), dm.ErrInvalid, "unknown kind")

	must(t, st.Devices().Delete(ctx, d1.ID))
	must(t, st.Assets().Delete(ctx, bldg.ID))
	desc, err = rel.Descendants(ctx, floor, models.RelationContains)
	must(t, err)
	if !sameRefs(desc, []models.EntityRef{site, d2}) {
		t.Errorf("after deletes, descendants of floor = %v", desc)
	}
	must(t, rel.Delete(ctx, floor, d2, models.RelationContains))
	wantErr(t, rel.Delete(ctx, floor, d2, models.RelationContains), dm.ErrNotFound, "delete twice")
}

// sameRefs compares as sets.
func sameRefs(a, b []models.EntityRef) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[models.EntityRef]int{}
	for _, r := range a {
		seen[r]++
	}
	for _, r := range b {
		if seen[r] == 0 {
			return false
		}
		seen[r]--
	}
	return true
}

// testDevicesUnderAsset: DeviceFilter.AssetID selects the devices an asset
// contains, through nested assets, tolerating cycles, and combines with
// the other filters.
func testDevicesUnderAsset(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	asset := func(name string) models.EntityRef {
		a := models.Asset{Name: name}
		must(t, st.Assets().Create(ctx, &a))
		return models.EntityRef{Kind: models.EntityAsset, ID: a.ID}
	}
	dev := func(ep string) models.EntityRef {
		return models.EntityRef{Kind: models.EntityDevice, ID: newDevice(t, st, ep)}
	}
	put := func(from, to models.EntityRef, typ string) {
		t.Helper()
		must(t, st.Relations().Put(ctx, &models.Relation{From: from, To: to, Type: typ}))
	}
	site, floor, other := asset("site"), asset("floor"), asset("other")
	d1, d2, d3, d4 := dev("d1"), dev("d2"), dev("d3"), dev("d4")
	put(site, floor, models.RelationContains)
	put(floor, d1, models.RelationContains)
	put(site, d2, models.RelationContains)
	put(site, d3, "manages") // not containment
	put(floor, site, models.RelationContains)
	put(other, d4, models.RelationContains)
	list := func(f dm.DeviceFilter) []int64 {
		t.Helper()
		pg, err := st.Devices().List(ctx, f, dm.PageRequest{})
		must(t, err)
		var ids []int64
		for _, d := range pg.Items {
			ids = append(ids, d.ID)
		}
		if int(pg.Total) != len(ids) {
			t.Errorf("total %d, %d items", pg.Total, len(ids))
		}
		return ids
	}
	if got := list(dm.DeviceFilter{AssetID: site.ID}); !reflect.DeepEqual(got, []int64{d1.ID, d2.ID}) {
		t.Errorf("under site: %v, want %v", got, []int64{d1.ID, d2.ID})
	}
	if got := list(dm.DeviceFilter{AssetID: floor.ID}); !reflect.DeepEqual(got, []int64{d1.ID, d2.ID}) {
		t.Errorf("under floor (the cycle leads back to site): %v", got)
	}
	if got := list(dm.DeviceFilter{AssetID: other.ID, Endpoints: []string{"d1"}}); len(got) != 0 {
		t.Errorf("asset and endpoint filters AND: %v", got)
	}
	if got := list(dm.DeviceFilter{AssetID: 9999}); len(got) != 0 {
		t.Errorf("a missing asset selects %v", got)
	}
}
