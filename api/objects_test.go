package api_test

import (
	"net/http"
	"testing"
)

type objectJSON struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Resources []struct {
		ID         int    `json:"id"`
		Name       string `json:"name"`
		Operations string `json:"operations"`
		Multiple   bool   `json:"multiple"`
		Type       string `json:"type"`
		Units      string `json:"units"`
	} `json:"resources"`
}

// TestObjectModels: the object list and one model, with names, units,
// types and operations from the registry; a bad or unknown id is a
// problem naming it.
func TestObjectModels(t *testing.T) {
	e := newEnv(t, envOpts{})
	var list struct {
		Items []struct {
			ID       int      `json:"id"`
			Name     string   `json:"name"`
			Version  string   `json:"version"`
			Versions []string `json:"versions"`
		} `json:"items"`
		Total int    `json:"total"`
		Next  string `json:"next"`
	}
	e.do(http.MethodGet, "/api/v1/objects", nil).want(t, http.StatusOK).json(t, &list)
	if list.Total != len(list.Items) || list.Total < 10 || list.Next != "" {
		t.Fatalf("list: total %d, %d items, next %q", list.Total, len(list.Items), list.Next)
	}
	seen := map[int]bool{}
	for i, o := range list.Items {
		if i > 0 && o.ID <= list.Items[i-1].ID {
			t.Fatalf("list not sorted by id: %d after %d", o.ID, list.Items[i-1].ID)
		}
		if len(o.Versions) == 0 || o.Versions[len(o.Versions)-1] != o.Version {
			t.Errorf("object %d: version %q is not the newest of %v", o.ID, o.Version, o.Versions)
		}
		seen[o.ID] = true
		if o.ID == 3 && o.Name != "Device" {
			t.Errorf("object 3 is named %q", o.Name)
		}
	}
	for _, id := range []int{0, 1, 3, 5, 3303} {
		if !seen[id] {
			t.Errorf("object %d missing from the list", id)
		}
	}

	var dev objectJSON
	e.do(http.MethodGet, "/api/v1/objects/3", nil).want(t, http.StatusOK).json(t, &dev)
	byID := map[int]int{}
	for i, r := range dev.Resources {
		byID[r.ID] = i
	}
	check := func(id int, name, ops, typ, units string, multiple bool) {
		t.Helper()
		i, ok := byID[id]
		if !ok {
			t.Fatalf("/3 has no resource %d", id)
		}
		r := dev.Resources[i]
		if r.Name != name || r.Operations != ops || r.Type != typ || r.Units != units || r.Multiple != multiple {
			t.Errorf("/3/%d: %+v, want %s %s %s %q multiple=%v", id, r, name, ops, typ, units, multiple)
		}
	}
	check(0, "Manufacturer", "R", "string", "", false)
	check(4, "Reboot", "E", "none", "", false)
	check(7, "Power Source Voltage", "R", "integer", "", true)
	check(9, "Battery Level", "R", "integer", "/100", false) // units and range as the DDF writes them
	check(13, "Current Time", "RW", "time", "", false)

	var temp objectJSON
	e.do(http.MethodGet, "/api/v1/objects/3303?version=1.0", nil).want(t, http.StatusOK).json(t, &temp)
	if temp.ID != 3303 || temp.Name != "Temperature" {
		t.Errorf("/3303: %+v", temp)
	}

	for _, c := range []struct {
		path   string
		status int
		field  string
	}{
		{"/api/v1/objects/x", http.StatusBadRequest, "id"},
		{"/api/v1/objects/65535", http.StatusBadRequest, "id"},
		{"/api/v1/objects/65000", http.StatusNotFound, ""},
	} {
		p := e.do(http.MethodGet, c.path, nil).want(t, c.status).problem(t)
		if c.field != "" && p["field"] != c.field {
			t.Errorf("%s: problem %v, want field %q", c.path, p, c.field)
		}
	}
	e.doToken("", http.MethodGet, "/api/v1/objects", nil).want(t, http.StatusUnauthorized)
}
