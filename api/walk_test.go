package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/api"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// call is one request of the walk.
type call struct {
	path string
	body any
	hdr  []string
}

// walkCase is one route: the request each role sends and the status each
// must get (admin, operator, customer A, customer B). check, when set,
// looks further at a 2xx answer.
type walkCase struct {
	req   func(f *fixture, role int) call
	want  [nRoles]int
	check func(t *testing.T, f *fixture, role int, r reply)
}

const v1 = "/api/v1"

// same sends every role the same request.
func same(path string, body any, hdr ...string) func(*fixture, int) call {
	return func(*fixture, int) call { return call{path, body, hdr} }
}

// A's records: every role but B sees them.
var (
	seen    = [nRoles]int{200, 200, 200, 404}
	queued  = [nRoles]int{202, 202, 202, 404}
	fleet   = [nRoles]int{200, 200, 403, 403}
	admins  = [nRoles]int{200, 403, 403, 403}
	anyone  = [nRoles]int{200, 200, 200, 200}
	removed = [nRoles]int{204, 204, 204, 404}
)

func walkCases() map[string]walkCase {
	dev := v1 + "/devices/alpha-meter"
	id := func(n int64) string { return fmt.Sprint(n) }
	per := func(fn func(p perRole) string) func(*fixture, int) call {
		return func(f *fixture, r int) call { return call{path: fn(f.per[r])} }
	}
	jsonAccept := []string{"Accept", "application/json"}
	return map[string]walkCase{
		"health":     {req: same("/healthz", nil), want: anyone},
		"metrics":    {req: same("/metrics", nil), want: fleet},
		"getOpenAPI": {req: same(v1+"/openapi.json", nil), want: anyone},

		"listDevices": {req: same(v1+"/devices?limit=1000", nil), want: anyone, check: scopedItems("customer_id")},
		"createDevice": {req: func(_ *fixture, r int) call {
			return call{v1 + "/devices", map[string]any{"endpoint": "new-" + roleNames[r]}, nil}
		}, want: [nRoles]int{201, 201, 403, 403}},
		"importDevices": {req: func(_ *fixture, r int) call {
			return call{v1 + "/devices/import", []any{map[string]any{"endpoint": "imp-" + roleNames[r]}}, nil}
		}, want: fleet},
		"getDevice":    {req: same(dev, nil), want: seen},
		"updateDevice": {req: same(dev, map[string]any{"name": "Alpha's meter"}), want: seen},
		"deleteDevice": {req: per(func(p perRole) string { return v1 + "/devices/" + p.dev }), want: [nRoles]int{204, 204, 403, 404}},

		"read":                   {req: same(dev+"/lwm2m/3/0/9", nil), want: queued},
		"write":                  {req: same(dev+"/lwm2m/3/0/14", map[string]any{"value": "+02:00"}), want: queued},
		"writeUpdate":            {req: same(dev+"/lwm2m/3/0", map[string]any{"15": "Europe/Oslo"}), want: queued},
		"executeOrCreate":        {req: same(dev+"/lwm2m/3/0/4", nil), want: queued},
		"deleteInstance":         {req: same(dev+"/lwm2m/3303/0", nil), want: [nRoles]int{202, 202, 403, 404}},
		"observe":                {req: same(dev+"/observe/3/0/9", nil), want: queued},
		"cancelObserve":          {req: same(dev+"/observe/3/0/9", nil), want: queued},
		"writeAttributes":        {req: same(dev+"/attributes/3/0/9?pmin=10", nil), want: queued},
		"discover":               {req: same(dev+"/discover/3/0", nil), want: queued},
		"readComposite":          {req: same(dev+"/composite?path=/3/0/9", nil), want: queued},
		"writeComposite":         {req: same(dev+"/composite", map[string]any{"values": map[string]any{"/3/0/14": "+03:00"}}), want: queued},
		"observeComposite":       {req: same(dev+"/composite/observe?path=/3/0/9", nil), want: queued},
		"cancelObserveComposite": {req: same(dev+"/composite/observe?path=/3/0/9", nil), want: queued},

		"listDeviceCommands":   {req: same(dev+"/commands", nil), want: seen},
		"sendCommand":          {req: same(dev+"/commands", map[string]any{"op": "read", "path": "/3/0/9"}), want: queued},
		"listCommands":         {req: same(v1+"/commands?limit=1000", nil), want: anyone, check: scopedItems("")},
		"sendSelectionCommand": {req: same(v1+"/commands", map[string]any{"selection": map[string]any{"endpoints": []string{"alpha-meter"}}, "op": "read", "path": "/3/0/9"}), want: [nRoles]int{202, 202, 202, 202}, check: selectionResult},
		"getCommand":           {req: func(f *fixture, _ int) call { return call{path: v1 + "/commands/" + id(f.cmdA)} }, want: seen},
		"cancelCommand":        {req: func(f *fixture, r int) call { return call{path: v1 + "/commands/" + id(f.per[r].cmd)} }, want: seen},

		"getTelemetry":     {req: same(dev+"/telemetry", nil), want: seen},
		"getAttributes":    {req: same(dev+"/attributes", nil), want: seen},
		"listDeviceEvents": {req: same(dev+"/events", nil), want: seen},
		"events":           {req: same(v1+"/events?limit=1000", nil, jsonAccept...), want: anyone, check: scopedItems("customer_id")},

		"listProfiles": {req: same(v1+"/profiles", nil), want: fleet},
		"createProfile": {req: func(_ *fixture, r int) call {
			return call{v1 + "/profiles", map[string]any{"name": "p-" + roleNames[r], "spec": map[string]any{}}, nil}
		}, want: [nRoles]int{201, 201, 403, 403}},
		"getProfile":    {req: same(v1+"/profiles/prof", nil), want: fleet},
		"updateProfile": {req: same(v1+"/profiles/prof", map[string]any{"name": "prof", "spec": map[string]any{}}), want: fleet},
		"deleteProfile": {req: per(func(p perRole) string { return v1 + "/profiles/" + p.profile }), want: [nRoles]int{204, 204, 403, 403}},

		"listCustomers": {req: same(v1+"/customers", nil), want: anyone, check: scopedItems("id")},
		"createCustomer": {req: func(_ *fixture, r int) call {
			return call{v1 + "/customers", map[string]any{"name": "New " + roleNames[r]}, nil}
		}, want: [nRoles]int{201, 201, 403, 403}},
		"getCustomer": {req: func(f *fixture, _ int) call { return call{path: v1 + "/customers/" + id(f.custA)} }, want: seen},
		"updateCustomer": {req: func(f *fixture, _ int) call {
			return call{v1 + "/customers/" + id(f.custA), map[string]any{"description": "first"}, nil}
		}, want: [nRoles]int{200, 200, 403, 404}},
		"deleteCustomer": {req: func(f *fixture, r int) call {
			if r >= custA { // a customer may only ever name its own (A) or, for B, a customer it does not see
				return call{path: v1 + "/customers/" + id(f.custA)}
			}
			return call{path: v1 + "/customers/" + f.per[r].customer}
		}, want: [nRoles]int{204, 204, 403, 404}},
		"assignDevice": {req: func(f *fixture, r int) call {
			if r >= custA {
				return call{path: v1 + "/customers/" + id(f.custA) + "/devices/alpha-meter"}
			}
			return call{path: v1 + "/customers/" + id(f.custA) + "/devices/" + f.per[r].free}
		}, want: [nRoles]int{200, 200, 403, 404}},
		"unassignDevice": {req: func(f *fixture, r int) call {
			if r >= custA {
				return call{path: v1 + "/customers/" + id(f.custA) + "/devices/alpha-meter"}
			}
			return call{path: v1 + "/customers/" + id(f.custA) + "/devices/" + f.per[r].owned}
		}, want: [nRoles]int{200, 200, 403, 404}},

		"listUsers": {req: same(v1+"/users", nil), want: admins},
		"createUser": {req: func(_ *fixture, r int) call {
			return call{v1 + "/users", map[string]any{"email": "new-" + roleNames[r] + "@x.example", "role": "admin"}, nil}
		}, want: [nRoles]int{201, 403, 403, 403}},
		"getUser": {req: func(f *fixture, _ int) call { return call{path: v1 + "/users/" + id(f.user)} }, want: admins},
		"updateUser": {req: func(f *fixture, _ int) call {
			return call{v1 + "/users/" + id(f.user), map[string]any{"name": "Ann"}, nil}
		}, want: admins},
		"deleteUser": {req: func(f *fixture, r int) call { return call{path: v1 + "/users/" + id(f.per[r].user)} }, want: [nRoles]int{204, 403, 403, 403}},

		"listTokens": {req: same(v1+"/tokens?revoked=true", nil), want: admins, check: noSecrets},
		"createToken": {req: func(_ *fixture, r int) call {
			return call{v1 + "/tokens", map[string]any{"name": "t-" + roleNames[r], "role": "operator"}, nil}
		}, want: [nRoles]int{201, 403, 403, 403}},
		"getToken":    {req: func(f *fixture, _ int) call { return call{path: v1 + "/tokens/" + id(f.token)} }, want: admins, check: noSecrets},
		"revokeToken": {req: func(f *fixture, r int) call { return call{path: v1 + "/tokens/" + id(f.per[r].token)} }, want: [nRoles]int{204, 403, 403, 403}},
		"listAudit":   {req: same(v1+"/audit", nil), want: admins},

		"listAssets": {req: same(v1+"/assets?limit=1000", nil), want: anyone, check: scopedItems("customer_id")},
		"createAsset": {req: func(_ *fixture, r int) call {
			return call{v1 + "/assets", map[string]any{"name": "made by " + roleNames[r]}, nil}
		}, want: [nRoles]int{201, 201, 201, 201}},
		"getAsset": {req: func(f *fixture, _ int) call { return call{path: v1 + "/assets/" + id(f.assetA)} }, want: seen},
		"updateAsset": {req: func(f *fixture, _ int) call {
			return call{v1 + "/assets/" + id(f.assetA), map[string]any{"type": "site"}, nil}
		}, want: seen},
		"deleteAsset":         {req: func(f *fixture, r int) call { return call{path: v1 + "/assets/" + id(f.per[r].asset)} }, want: removed},
		"listAssetDevices":    {req: func(f *fixture, _ int) call { return call{path: v1 + "/assets/" + id(f.assetA) + "/devices"} }, want: seen, check: scopedItems("customer_id")},
		"listAssetRelations":  {req: func(f *fixture, _ int) call { return call{path: v1 + "/assets/" + id(f.assetA) + "/relations"} }, want: seen},
		"listDeviceRelations": {req: same(dev+"/relations", nil), want: seen},
		"createRelation": {req: func(f *fixture, r int) call {
			return call{v1 + "/relations", map[string]any{"from": "asset:" + id(f.per[r].relAsset), "to": "device:alpha-meter", "type": "monitors"}, nil}
		}, want: [nRoles]int{201, 201, 201, 400}},
		"deleteRelation": {req: func(f *fixture, r int) call {
			return call{path: v1 + "/relations?from=asset:" + id(f.per[r].relAsset) + "&to=device:alpha-meter&type=feeds-" + strings.ToLower(roleNames[r])}
		}, want: [nRoles]int{204, 204, 204, 400}},

		"listAlarms":       {req: same(v1+"/alarms?limit=1000", nil), want: anyone, check: scopedItems("customer_id")},
		"getAlarm":         {req: func(f *fixture, _ int) call { return call{path: v1 + "/alarms/" + id(f.alarmA)} }, want: seen},
		"acknowledgeAlarm": {req: func(f *fixture, _ int) call { return call{path: v1 + "/alarms/" + id(f.alarmA) + "/ack"} }, want: seen},
		"clearAlarm":       {req: func(f *fixture, r int) call { return call{path: v1 + "/alarms/" + id(f.per[r].alarm) + "/clear"} }, want: seen},
		"listAlarmRules":   {req: same(v1+"/alarm-rules", nil), want: fleet},
		"createAlarmRule": {req: same(v1+"/alarm-rules", map[string]any{"name": "new", "severity": "minor", "spec": map[string]any{"kind": "offline", "for": "1h"}}),
			want: [nRoles]int{201, 201, 403, 403}},
		"getAlarmRule": {req: func(f *fixture, _ int) call { return call{path: v1 + "/alarm-rules/" + id(f.rule)} }, want: fleet},
		"updateAlarmRule": {req: func(f *fixture, _ int) call {
			return call{v1 + "/alarm-rules/" + id(f.rule), map[string]any{"name": "fw", "severity": "major", "spec": map[string]any{"kind": "firmware-failed"}}, nil}
		}, want: fleet},
		"deleteAlarmRule": {req: func(f *fixture, r int) call { return call{path: v1 + "/alarm-rules/" + id(f.per[r].rule)} }, want: [nRoles]int{204, 204, 403, 403}},

		"listWebhooks": {req: same(v1+"/webhooks", nil), want: anyone, check: scopedItems("customer_id")},
		"createWebhook": {req: func(_ *fixture, r int) call {
			return call{v1 + "/webhooks", map[string]any{"url": "http://127.0.0.1:9/" + roleNames[r], "event_types": []string{"*"}, "disabled": true}, nil}
		}, want: [nRoles]int{201, 201, 201, 201}},
		"getWebhook": {req: func(f *fixture, _ int) call { return call{path: v1 + "/webhooks/" + id(f.hookA)} }, want: seen, check: noSecrets},
		"updateWebhook": {req: func(f *fixture, _ int) call {
			return call{v1 + "/webhooks/" + id(f.hookA), map[string]any{"name": "hook-alpha"}, nil}
		}, want: seen},
		"deleteWebhook":         {req: func(f *fixture, r int) call { return call{path: v1 + "/webhooks/" + id(f.per[r].hook)} }, want: removed},
		"listWebhookDeliveries": {req: func(f *fixture, _ int) call { return call{path: v1 + "/webhooks/" + id(f.hookA) + "/deliveries"} }, want: seen},

		"listObjects": {req: same(v1+"/objects", nil), want: anyone},
		"getObject":   {req: same(v1+"/objects/3", nil), want: anyone},

		// Issue 8's routes. This fixture runs without provisioning: the
		// fleet's roles are told it is not enabled (404), customers that
		// their role may not manage bootstrap (403) either way; a device's
		// credentials and the CA certificate are 404 for everyone.
		"listBootstrapConfigs":        {req: same(v1+"/bootstrap/configs", nil), want: noProvisioning},
		"createBootstrapConfig":       {req: same(v1+"/bootstrap/configs", map[string]any{"name": "x"}), want: noProvisioning},
		"getBootstrapConfig":          {req: same(v1+"/bootstrap/configs/x", nil), want: noProvisioning},
		"updateBootstrapConfig":       {req: same(v1+"/bootstrap/configs/x", map[string]any{"name": "x"}), want: noProvisioning},
		"deleteBootstrapConfig":       {req: same(v1+"/bootstrap/configs/x", nil), want: noProvisioning},
		"listBootstrapAccounts":       {req: same(v1+"/bootstrap/accounts", nil), want: noProvisioning},
		"createBootstrapAccount":      {req: same(v1+"/bootstrap/accounts", map[string]any{"name": "x"}), want: noProvisioning},
		"getBootstrapAccount":         {req: same(v1+"/bootstrap/accounts/x", nil), want: noProvisioning},
		"updateBootstrapAccount":      {req: same(v1+"/bootstrap/accounts/x", map[string]any{"name": "x"}), want: noProvisioning},
		"deleteBootstrapAccount":      {req: same(v1+"/bootstrap/accounts/x", nil), want: noProvisioning},
		"listFactoryCredentials":      {req: same(v1+"/bootstrap/factory-credentials", nil), want: noProvisioning},
		"createFactoryCredential":     {req: same(v1+"/bootstrap/factory-credentials", map[string]any{"device": "alpha-meter"}), want: noProvisioning},
		"revokeFactoryCredential":     {req: same(v1+"/bootstrap/factory-credentials/1", nil), want: noProvisioning},
		"listBootstrapSessions":       {req: same(v1+"/bootstrap/sessions", nil), want: noProvisioning},
		"triggerBootstrapSelection":   {req: same(v1+"/bootstrap/trigger", map[string]any{"selection": map[string]any{"endpoints": []string{"alpha-meter"}}}), want: noProvisioning},
		"triggerBootstrap":            {req: same(dev+"/bootstrap", nil), want: noProvisioning},
		"listDeviceBootstrapSessions": {req: same(dev+"/bootstrap/sessions", nil), want: noProvisioning},
		"unbindDevice":                {req: same(dev+"/bootstrap/binding", nil), want: noProvisioning},
		"listCredentials":             {req: same(dev+"/credentials", nil), want: notEnabled},
		"rotateCredentials":           {req: same(dev+"/credentials/rotate", nil), want: noProvisioning},
		"revokeCredential":            {req: same(dev+"/credentials/1", nil), want: noProvisioning},
		"getCACertificate":            {req: same(v1+"/ca/certificate", nil), want: notEnabled},
		"initCA":                      {req: same(v1+"/ca", map[string]any{"cn": "x"}), want: [nRoles]int{404, 403, 403, 403}},

		// Issue 7's routes: images and campaigns are the fleet's (403 for
		// customers); a device's firmware jobs read like the device; the
		// HTTP pull takes no bearer token and an unknown token is 404.
		"listFirmware": {req: same(v1+"/firmware", nil), want: fleet},
		"uploadFirmware": {req: func(_ *fixture, r int) call {
			return call{v1 + "/firmware?version=up-" + roleNames[r], "image of " + roleNames[r], []string{"Content-Type", "application/octet-stream"}}
		}, want: [nRoles]int{201, 201, 403, 403}},
		"getFirmware":      {req: func(f *fixture, _ int) call { return call{path: v1 + "/firmware/" + id(f.fwImage)} }, want: fleet},
		"downloadFirmware": {req: func(f *fixture, _ int) call { return call{path: v1 + "/firmware/" + id(f.fwImage) + "/content"} }, want: fleet},
		"deleteFirmware":   {req: func(f *fixture, r int) call { return call{path: v1 + "/firmware/" + id(f.per[r].image)} }, want: [nRoles]int{204, 204, 403, 403}},
		"listCampaigns":    {req: same(v1+"/campaigns", nil), want: fleet},
		"createCampaign": {req: func(f *fixture, r int) call {
			return call{v1 + "/campaigns", map[string]any{"name": "new " + roleNames[r], "image_id": f.fwImage, "draft": true,
				"selection": map[string]any{"endpoints": []string{"alpha-meter"}}}, nil}
		}, want: [nRoles]int{201, 201, 403, 403}},
		"getCampaign":         {req: func(f *fixture, _ int) call { return call{path: v1 + "/campaigns/" + id(f.campA)} }, want: fleet},
		"listCampaignDevices": {req: func(f *fixture, _ int) call { return call{path: v1 + "/campaigns/" + id(f.campA) + "/devices"} }, want: fleet},
		"startCampaign": {req: func(f *fixture, r int) call {
			return call{path: v1 + "/campaigns/" + id(f.per[r].campStart) + "/start"}
		}, want: fleet},
		"pauseCampaign": {req: func(f *fixture, r int) call {
			return call{path: v1 + "/campaigns/" + id(f.per[r].campPause) + "/pause"}
		}, want: fleet},
		"resumeCampaign": {req: func(f *fixture, r int) call {
			return call{path: v1 + "/campaigns/" + id(f.per[r].campResume) + "/resume"}
		}, want: fleet},
		"cancelCampaign": {req: func(f *fixture, r int) call {
			return call{path: v1 + "/campaigns/" + id(f.per[r].campCancel) + "/cancel"}
		}, want: fleet},
		"deleteCampaign":    {req: func(f *fixture, r int) call { return call{path: v1 + "/campaigns/" + id(f.per[r].campDelete)} }, want: [nRoles]int{204, 204, 403, 403}},
		"getDeviceFirmware": {req: same(dev+"/firmware", nil), want: seen},
		"downloadPackage":   {req: same("/fw/AAAAAAAAAAAAAAAAAAAAAA", nil), want: notEnabled},
		"headPackage":       {req: same("/fw/AAAAAAAAAAAAAAAAAAAAAA", nil), want: notEnabled},
	}
}

// publicRoutes take no bearer token.
var publicRoutes = map[string]bool{"health": true, "downloadPackage": true, "headPackage": true}

// Issue 8's routes without provisioning.
var (
	noProvisioning = [nRoles]int{404, 404, 403, 403}
	notEnabled     = [nRoles]int{404, 404, 404, 404}
)

// scopedItems checks a list: a customer's items all belong to it (field
// names the item's customer member; "" checks only the total), and the
// total counts exactly the items shown.
func scopedItems(field string) func(t *testing.T, f *fixture, role int, r reply) {
	return func(t *testing.T, f *fixture, role int, r reply) {
		var pg struct {
			Items []map[string]any `json:"items"`
			Total *int64           `json:"total"`
		}
		r.json(t, &pg)
		if role < custA {
			return
		}
		own := []int64{f.custA, f.custB}[role-custA]
		if pg.Total != nil && *pg.Total != int64(len(pg.Items)) {
			t.Errorf("total %d for %d items: the count covers records the customer does not see", *pg.Total, len(pg.Items))
		}
		if field == "" {
			return
		}
		for _, it := range pg.Items {
			if c, _ := it[field].(float64); int64(c) != own {
				t.Errorf("item of customer %v in customer %d's list: %v", it[field], own, it)
			}
		}
	}
}

// selectionResult: a selection reaches only devices the caller sees.
func selectionResult(t *testing.T, f *fixture, role int, r reply) {
	var pg commandPage
	r.json(t, &pg)
	want := 1
	if role == custB {
		want = 0
	}
	if len(pg.Items) != want {
		t.Errorf("the selection queued %d commands, want %d: %s", len(pg.Items), want, r.body)
	}
}

// noSecrets: token and webhook answers never carry secrets or hashes.
func noSecrets(t *testing.T, f *fixture, role int, r reply) {
	for _, bad := range append([]string{`"secret"`, `"hash"`, "whsec_"}, f.tok[:]...) {
		if bytes.Contains(r.body, []byte(bad)) {
			t.Errorf("the answer shows %s: %s", bad, r.body)
		}
	}
}

// TestRoleWalk calls every route of the router as an admin, an operator,
// customer A and customer B, on SQLite and PostgreSQL, and checks each
// status; customers' answers never name the other customer's records,
// lists and counts hold only their own, a missing record and another
// customer's read alike, unauthenticated calls are 401, and each
// customer's event stream carries none of the other's events.
func TestRoleWalk(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		e := f.e
		streams := [2]*sseStream{e.openStreamAs(f.tok[custA], ""), e.openStreamAs(f.tok[custB], "")}
		cases := walkCases()
		routes := api.RouteNames(e.api)
		for name := range cases {
			if _, ok := routes[name]; !ok {
				t.Errorf("the walk has a case for %s, which the router does not have", name)
			}
		}
		names := make([]string, 0, len(routes))
		for name := range routes {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			method, _, _ := strings.Cut(routes[name], " ")
			c, ok := cases[name]
			if !ok {
				t.Errorf("route %s (%s) is not walked: add it to walkCases", name, routes[name])
				continue
			}
			for role := range nRoles {
				cl := c.req(f, role)
				req := f.request(t, method, cl, f.tok[role])
				if got := api.RouteOf(e.api, req); got != name {
					t.Fatalf("%s as %s: %s %s matches route %q", name, roleNames[role], method, cl.path, got)
				}
				r := f.send(t, req)
				if r.status != c.want[role] {
					t.Errorf("%s as %s: %s %s answered %d, want %d: %s", name, roleNames[role], method, cl.path, r.status, c.want[role], r.body)
					continue
				}
				f.noLeak(t, name, role, cl, r)
				if c.check != nil && r.status < 300 {
					c.check(t, f, role, r)
				}
			}
			if !publicRoutes[name] {
				cl := c.req(f, admin)
				if r := f.send(t, f.request(t, method, cl, "")); r.status != http.StatusUnauthorized {
					t.Errorf("%s without a token: %d", name, r.status)
				}
			}
		}
		f.sameNotFound(t)
		f.streamsApart(t, streams)
	})
}

func (f *fixture) request(t *testing.T, method string, c call, token string) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.e.base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(c.hdr); i += 2 {
		req.Header.Set(c.hdr[i], c.hdr[i+1])
	}
	return req
}

func (f *fixture) send(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := f.e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// noLeak: a customer's answer names none of the other customer's records
// (its own request aside).
func (f *fixture) noLeak(t *testing.T, name string, role int, c call, r reply) {
	if role < custA {
		return
	}
	other := markersB
	if role == custB {
		other = markersA
	}
	sent, _ := json.Marshal(c.body)
	for _, m := range other {
		if bytes.Contains(r.body, []byte(m)) && !strings.Contains(c.path, m) && !bytes.Contains(sent, []byte(m)) {
			t.Errorf("%s as %s: the answer names %q: %s", name, roleNames[role], m, r.body)
		}
	}
}

// sameNotFound: for customer B, A's records read exactly like records that
// do not exist.
func (f *fixture) sameNotFound(t *testing.T) {
	id := func(n int64) string { return fmt.Sprint(n) }
	const missing = "987654"
	for _, p := range []struct{ path, real, fake string }{
		{v1 + "/devices/%s", "alpha-meter", "gamma-meter"},
		{v1 + "/devices/%s/telemetry", "alpha-meter", "gamma-meter"},
		{v1 + "/devices/%s/firmware", "alpha-meter", "gamma-meter"},
		{v1 + "/devices/%s/lwm2m/3/0/9", "alpha-meter", "gamma-meter"},
		{v1 + "/assets/%s", id(f.assetA), missing},
		{v1 + "/assets/%s/devices", id(f.assetA), missing},
		{v1 + "/alarms/%s", id(f.alarmA), missing},
		{v1 + "/commands/%s", id(f.cmdA), missing},
		{v1 + "/webhooks/%s", id(f.hookA), missing},
		{v1 + "/webhooks/%s/deliveries", id(f.hookA), missing},
		{v1 + "/customers/%s", id(f.custA), missing},
		{v1 + "/customers/%s", "Alpha%20Corp", "Gamma%20Corp"},
	} {
		a := f.e.doToken(f.tok[custB], "GET", fmt.Sprintf(p.path, p.real), nil)
		b := f.e.doToken(f.tok[custB], "GET", fmt.Sprintf(p.path, p.fake), nil)
		pa, pb := a.problem(t), b.problem(t)
		key := func(pr map[string]any, name string) string {
			s := fmt.Sprint(pr["status"], pr["type"], pr["title"], pr["detail"], pr["field"])
			return strings.ReplaceAll(s, strings.ReplaceAll(name, "%20", " "), "X")
		}
		if a.status != 404 || key(pa, p.real) != key(pb, p.fake) {
			t.Errorf("customer B tells %s (%s) from %s (%s)", p.real, a.body, p.fake, b.body)
		}
	}
}

// streamsApart: after the walk, a marker event for each customer shows up
// on its own stream, and nothing before it belongs to the other.
func (f *fixture) streamsApart(t *testing.T, streams [2]*sseStream) {
	for i, cust := range []int64{f.custA, f.custB} {
		f.e.do("POST", v1+"/assets", map[string]any{"name": fmt.Sprintf("marker-%d", i), "customer": cust}).want(t, 201)
	}
	for i, s := range streams {
		own := []int64{f.custA, f.custB}[i]
		other := [][]string{markersB, markersA}[i]
		seen := 0
		for {
			ev := s.next(t, false)
			if ev.name == "dropped" {
				t.Fatalf("stream %d dropped events", i)
			}
			var e struct {
				CustomerID int64  `json:"customer_id"`
				Type       string `json:"type"`
			}
			if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
				t.Fatal(err)
			}
			if e.CustomerID != own {
				t.Errorf("customer %d's stream carried an event of customer %d: %s", own, e.CustomerID, ev.data)
			}
			for _, m := range other {
				if strings.Contains(ev.data, m) {
					t.Errorf("customer %d's stream names %q: %s", own, m, ev.data)
				}
			}
			seen++
			if strings.Contains(ev.data, fmt.Sprintf("marker-%d", i)) {
				break
			}
		}
		if seen < 2 {
			t.Errorf("customer %d's stream carried only its marker over the whole walk", own)
		}
	}
}
