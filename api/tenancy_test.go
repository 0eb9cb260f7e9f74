package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type idJSON struct {
	ID int64 `json:"id"`
}

type relationPage struct {
	Items []struct {
		From struct {
			Kind string `json:"kind"`
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"from"`
		To struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"to"`
		Type string `json:"type"`
	} `json:"items"`
}

func endpoints(p devicePage) string {
	var eps []string
	for _, d := range p.Items {
		eps = append(eps, d.Endpoint)
	}
	return strings.Join(eps, ",")
}

// TestAssetsAndRelations: an asset hierarchy over devices; the devices
// under an asset, recursively; what a device is related to; a relation
// closing a cycle is 400; a command selection by asset reaches exactly
// the devices under it.
func TestAssetsAndRelations(t *testing.T) {
	e := newEnv(t, envOpts{})
	asset := func(name, typ string) int64 {
		var a idJSON
		e.do("POST", "/api/v1/assets", map[string]any{"name": name, "type": typ, "labels": map[string]string{"zone": "a"}}).want(t, 201).json(t, &a)
		return a.ID
	}
	site, bldg, floor := asset("Plant", "site"), asset("Hall 1", "building"), asset("Ground", "floor")
	for _, ep := range []string{"m1", "m2", "m3"} {
		e.do("POST", "/api/v1/devices", map[string]any{"endpoint": ep}).want(t, 201)
	}
	relate := func(from, to, typ string) reply {
		return e.do("POST", "/api/v1/relations", map[string]string{"from": from, "to": to, "type": typ})
	}
	relate(fmt.Sprintf("asset:%d", site), fmt.Sprintf("asset:%d", bldg), "contains").want(t, 201)
	relate(fmt.Sprintf("asset:%d", bldg), fmt.Sprintf("asset:%d", floor), "contains").want(t, 201)
	relate(fmt.Sprintf("asset:%d", floor), "device:m1", "contains").want(t, 201)
	relate(fmt.Sprintf("asset:%d", bldg), "device:m2", "contains").want(t, 201)
	relate(fmt.Sprintf("asset:%d", site), "device:m3", "monitors").want(t, 201)

	p := relate(fmt.Sprintf("asset:%d", floor), fmt.Sprintf("asset:%d", site), "contains").want(t, 400).problem(t)
	if !strings.Contains(fmt.Sprint(p["detail"]), "cycle") || p["field"] != "to" {
		t.Errorf("a cycle: %v", p)
	}
	relate(fmt.Sprintf("asset:%d", floor), fmt.Sprintf("asset:%d", floor), "contains").want(t, 400)
	relate("device:m1", "device:m2", "near").want(t, 400)
	relate("device:m1", fmt.Sprintf("asset:%d", floor), "contains").want(t, 400)
	relate(fmt.Sprintf("asset:%d", floor), "device:nope", "contains").want(t, 400)
	relate(fmt.Sprintf("asset:%d", floor), "device:m1", "contains").want(t, 409)
	relate("shelf:1", "device:m1", "x").want(t, 400)

	var under devicePage
	e.do("GET", fmt.Sprintf("/api/v1/assets/%d/devices", site), nil).want(t, 200).json(t, &under)
	if endpoints(under) != "m1,m2" || under.Total != 2 {
		t.Errorf("under the site: %s (%d)", endpoints(under), under.Total)
	}
	e.do("GET", fmt.Sprintf("/api/v1/devices?asset=%d", bldg), nil).want(t, 200).json(t, &under)
	if endpoints(under) != "m1,m2" {
		t.Errorf("?asset= the building: %s", endpoints(under))
	}
	var rels relationPage
	e.do("GET", "/api/v1/devices/m1/relations", nil).want(t, 200).json(t, &rels)
	if len(rels.Items) != 1 || rels.Items[0].From.Name != "Ground" || rels.Items[0].Type != "contains" || rels.Items[0].To.Name != "m1" {
		t.Errorf("m1 is related to %+v", rels)
	}
	e.do("GET", fmt.Sprintf("/api/v1/assets/%d/relations", site), nil).want(t, 200).json(t, &rels)
	if len(rels.Items) != 2 {
		t.Errorf("the site's relations %+v", rels)
	}

	var queued commandPage
	e.do("POST", "/api/v1/commands", map[string]any{"selection": map[string]any{"asset": floor}, "op": "read", "path": "/3/0/9"}).
		want(t, http.StatusAccepted).json(t, &queued)
	if len(queued.Items) != 1 || queued.Items[0].Endpoint != "m1" {
		t.Errorf("selection by the floor: %+v", queued)
	}
	e.do("POST", "/api/v1/commands", map[string]any{"selection": map[string]any{"asset": 9999}, "op": "read", "path": "/3/0/9"}).want(t, 400)

	e.do("DELETE", fmt.Sprintf("/api/v1/relations?from=asset:%d&to=asset:%d&type=contains", bldg, floor), nil).want(t, 204)
	e.do("DELETE", fmt.Sprintf("/api/v1/relations?from=asset:%d&to=asset:%d&type=contains", bldg, floor), nil).want(t, 404)
	e.do("GET", fmt.Sprintf("/api/v1/assets/%d/devices", site), nil).want(t, 200).json(t, &under)
	if endpoints(under) != "m2" {
		t.Errorf("after cutting the floor off: %s", endpoints(under))
	}
	// Now the floor may contain the site.
	relate(fmt.Sprintf("asset:%d", floor), fmt.Sprintf("asset:%d", site), "contains").want(t, 201)
	e.do("PATCH", fmt.Sprintf("/api/v1/assets/%d", floor), map[string]any{"name": "Floor 0", "labels": map[string]string{}}).want(t, 200)
	e.do("DELETE", fmt.Sprintf("/api/v1/assets/%d", site), nil).want(t, 204)
	e.do("GET", "/api/v1/devices/m3/relations", nil).want(t, 200).json(t, &rels)
	if len(rels.Items) != 0 {
		t.Errorf("relations of a deleted asset remain: %+v", rels)
	}
}

// TestTokensAndAudit: tokens made through the API work, are listed
// without secrets and are refused from the very next request after a
// revocation; every state-changing call lands in the audit log with its
// outcome, which only admins read.
func TestTokensAndAudit(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.do("POST", "/api/v1/customers", map[string]any{"name": "acme"}).want(t, 201)
	var created struct {
		Token struct {
			ID     int64  `json:"id"`
			Prefix string `json:"prefix"`
			Role   string `json:"role"`
		} `json:"token"`
		Secret string `json:"secret"`
	}
	e.do("POST", "/api/v1/tokens", map[string]any{"name": "acme-app", "role": "customer", "customer": "acme", "expires_in": "24h"}).
		want(t, 201).json(t, &created)
	if created.Secret == "" || !strings.HasPrefix(created.Secret, created.Token.Prefix) || created.Token.Role != "customer" {
		t.Fatalf("created %+v", created)
	}
	e.doToken(created.Secret, "GET", "/api/v1/devices", nil).want(t, 200)
	e.doToken(created.Secret, "GET", "/api/v1/audit", nil).want(t, 403)
	e.doToken(created.Secret, "POST", "/api/v1/devices", map[string]any{"endpoint": "x"}).want(t, 403)
	list := e.do("GET", "/api/v1/tokens", nil).want(t, 200)
	if strings.Contains(string(list.body), created.Secret) || strings.Contains(string(list.body), "hash") {
		t.Errorf("the token list shows secrets: %s", list.body)
	}
	e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.Token.ID), nil).want(t, 204)
	e.doToken(created.Secret, "GET", "/api/v1/devices", nil).want(t, 401)
	e.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "admin", "expires_at": "2001-01-01T00:00:00Z"}).want(t, 400)

	var audit struct {
		Items []struct {
			Actor     string `json:"actor"`
			Operation string `json:"operation"`
			Method    string `json:"method"`
			Path      string `json:"path"`
			Status    int    `json:"status"`
			Outcome   string `json:"outcome"`
			Detail    string `json:"detail"`
			TokenID   int64  `json:"token_id"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	e.do("GET", "/api/v1/audit", nil).want(t, 200).json(t, &audit)
	if audit.Total != 5 {
		t.Fatalf("%d entries, want 5 (customer, token, refused device, revocation, refused token): %+v", audit.Total, audit.Items)
	}
	last, refused := audit.Items[0], audit.Items[1]
	if last.Operation != "createToken" || last.Outcome != "failure" || last.Status != 400 || !strings.Contains(last.Detail, "expires_at") {
		t.Errorf("newest entry %+v", last)
	}
	if refused.Operation != "revokeToken" || refused.Outcome != "success" || refused.Status != 204 || refused.Method != "DELETE" {
		t.Errorf("revocation entry %+v", refused)
	}
	byCustomer := audit.Items[2]
	if byCustomer.Operation != "createDevice" || byCustomer.Status != 403 || byCustomer.TokenID != created.Token.ID ||
		!strings.Contains(byCustomer.Actor, "acme-app") {
		t.Errorf("the customer's refused call %+v", byCustomer)
	}
	e.do("GET", "/api/v1/audit?outcome=failure", nil).want(t, 200).json(t, &audit)
	if audit.Total != 2 {
		t.Errorf("%d failures, want 2", audit.Total)
	}
}
