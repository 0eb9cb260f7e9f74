package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/shoal-iot/shoal/dm"
)

// TestOpenAPIMatchesRoutes walks the router and the OpenAPI document and
// fails on any route, method or operationId that one has and the other
// does not.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, err := New(Config{}, new(dm.Service))
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]string{} // "GET /api/v1/devices" → name
	err = s.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := r.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := r.GetMethods()
		if err != nil {
			t.Errorf("route %s has no methods", tpl)
			return nil
		}
		for _, m := range methods {
			key := m + " " + normalizeTemplate(tpl)
			if _, dup := routes[key]; dup {
				t.Errorf("route %s registered twice", key)
			}
			routes[key] = r.GetName()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var o struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
				Parameters  []struct {
					Name string `json:"name"`
					In   string `json:"in"`
				} `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			key := strings.ToUpper(method) + " " + path
			documented[key] = o.OperationID
			if len(o.Responses) == 0 {
				t.Errorf("%s documents no responses", key)
			}
			// Every {var} of the path is a documented path parameter.
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") {
					name := strings.Trim(seg, "{}")
					if !slices.ContainsFunc(o.Parameters, func(p struct {
						Name string `json:"name"`
						In   string `json:"in"`
					}) bool {
						return p.Name == name && p.In == "path"
					}) {
						t.Errorf("%s does not document path parameter %s", key, name)
					}
				}
			}
		}
	}
	for key, name := range routes {
		id, ok := documented[key]
		switch {
		case !ok:
			t.Errorf("route %s (%s) is not in the OpenAPI document", key, name)
		case id != name:
			t.Errorf("%s: operationId %q, route name %q", key, id, name)
		}
	}
	for key := range documented {
		if _, ok := routes[key]; !ok {
			t.Errorf("the OpenAPI document has %s, the router does not", key)
		}
	}
	if len(routes) < 35 {
		t.Errorf("only %d routes walked", len(routes))
	}
}

// TestOpenAPIRefsResolve checks that every $ref names a schema.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc(), &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, ok := schemas[name]; !ok {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
}
