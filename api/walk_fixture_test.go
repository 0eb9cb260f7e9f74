package api_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// The roles the walk test calls every route as.
const (
	admin = iota
	operator
	custA
	custB
	nRoles
)

var roleNames = [nRoles]string{"admin", "operator", "custA", "custB"}

// Names that belong to customer A or B; the other customer's answers must
// never contain them (unless it sent them itself).
var (
	markersA = []string{"Alpha Corp", "alpha-meter", "Alpha Site", "hook-alpha"}
	markersB = []string{"Beta Corp", "beta-meter", "Beta Site", "hook-beta"}
)

// perRole holds what one role's calls use up (deleted, revoked,
// cancelled…), so each role finds its target intact. Everything but the
// customer and the free device belongs to customer A.
type perRole struct {
	dev      string // deleteDevice
	free     string // assignDevice (no customer)
	owned    string // unassignDevice
	customer string // deleteCustomer (owns nothing)
	profile  string // deleteProfile
	asset    int64  // deleteAsset
	relAsset int64  // createRelation / deleteRelation from here to alpha-meter
	user     int64  // deleteUser
	token    int64  // revokeToken
	rule     int64  // deleteAlarmRule
	hook     int64  // deleteWebhook
	cmd      int64  // cancelCommand
	alarm    int64  // clearAlarm
	image    int64  // deleteFirmware
	// Campaigns of fwImage over alpha-meter: drafts for start, resume,
	// cancel and delete, a running one for pause.
	campStart, campResume, campCancel, campDelete, campPause int64
}

// fixture is two customers' worth of records, tokens for every role and
// per-role targets, made through the API (and dm for alarms and queued
// commands, which need devices).
type fixture struct {
	e              *env
	tok            [nRoles]string
	custA, custB   int64
	assetA, assetB int64
	alarmA         int64
	rule           int64
	hookA          int64
	cmdA           int64
	user           int64
	token          int64
	fwImage        int64 // an image the campaigns use
	campA          int64 // a draft campaign over alpha-meter
	per            [nRoles]perRole
}

func (f *fixture) id(r reply) int64 {
	f.e.t.Helper()
	var v struct {
		ID int64 `json:"id"`
	}
	r.json(f.e.t, &v)
	if v.ID == 0 {
		f.e.t.Fatalf("no id in %s", r.body)
	}
	return v.ID
}

func (f *fixture) post(path string, body any) int64 {
	f.e.t.Helper()
	return f.id(f.e.do("POST", path, body).want(f.e.t, 201))
}

func (f *fixture) device(ep string, customer int64) {
	f.e.t.Helper()
	body := map[string]any{"endpoint": ep}
	if customer != 0 {
		body["customer"] = customer
	}
	f.e.do("POST", "/api/v1/devices", body).want(f.e.t, 201)
}

func (f *fixture) makeToken(name string, body map[string]any) string {
	f.e.t.Helper()
	body["name"] = name
	var created struct {
		Token struct {
			ID int64 `json:"id"`
		} `json:"token"`
		Secret string `json:"secret"`
	}
	f.e.do("POST", "/api/v1/tokens", body).want(f.e.t, 201).json(f.e.t, &created)
	return created.Secret
}

// firmwareAlarm raises a firmware-failed alarm on ep and returns its id.
func (f *fixture) firmwareAlarm(ep string) int64 {
	f.e.t.Helper()
	if err := f.e.svc.ReportFirmware(context.Background(), ep, true, map[string]any{"result": 8}); err != nil {
		f.e.t.Fatal(err)
	}
	var pg alarmPage
	f.e.do("GET", "/api/v1/alarms?device="+ep, nil).want(f.e.t, 200).json(f.e.t, &pg)
	if len(pg.Items) != 1 {
		f.e.t.Fatalf("alarms of %s: %+v", ep, pg)
	}
	return pg.Items[0].ID
}

// queued queues a read on ep and returns the command id.
func (f *fixture) queued(ep string) int64 {
	f.e.t.Helper()
	res, err := f.e.svc.Execute(context.Background(), dm.System(), ep, lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/9")),
		dm.CommandOptions{Queue: true})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return res.Command.ID
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	e := newEnv(t, envOpts{backend: &b, setup: withFirmware(nil, nil)})
	f := &fixture{e: e}
	f.custA = f.post("/api/v1/customers", map[string]any{"name": "Alpha Corp"})
	f.custB = f.post("/api/v1/customers", map[string]any{"name": "Beta Corp"})
	f.tok[admin] = e.token
	f.tok[operator] = f.makeToken("ops", map[string]any{"role": "operator"})
	f.tok[custA] = f.makeToken("alpha app", map[string]any{"role": "customer", "customer": f.custA})
	f.tok[custB] = f.makeToken("beta app", map[string]any{"role": "customer", "customer": f.custB})
	f.device("alpha-meter", f.custA)
	f.device("beta-meter", f.custB)
	f.assetA = f.post("/api/v1/assets", map[string]any{"name": "Alpha Site", "type": "site", "customer": f.custA})
	f.assetB = f.post("/api/v1/assets", map[string]any{"name": "Beta Site", "type": "site", "customer": f.custB})
	e.do("POST", "/api/v1/relations", map[string]any{"from": fmt.Sprintf("asset:%d", f.assetA), "to": "device:alpha-meter", "type": "contains"}).want(t, 201)
	e.do("POST", "/api/v1/relations", map[string]any{"from": fmt.Sprintf("asset:%d", f.assetB), "to": "device:beta-meter", "type": "contains"}).want(t, 201)
	e.do("POST", "/api/v1/profiles", map[string]any{"name": "prof", "spec": map[string]any{}}).want(t, 201)
	f.rule = f.post("/api/v1/alarm-rules", map[string]any{"name": "fw", "severity": "major", "spec": map[string]any{"kind": "firmware-failed"}})
	f.alarmA = f.firmwareAlarm("alpha-meter")
	f.firmwareAlarm("beta-meter")
	f.cmdA = f.queued("alpha-meter")
	f.queued("beta-meter")
	hook := func(name string, cust int64) int64 {
		var c struct {
			Webhook struct {
				ID int64 `json:"id"`
			} `json:"webhook"`
		}
		e.do("POST", "/api/v1/webhooks", map[string]any{"name": name, "url": "http://127.0.0.1:9/" + name, "event_types": []string{"*"},
			"customer": cust, "disabled": true}).want(t, 201).json(t, &c)
		return c.Webhook.ID
	}
	f.hookA = hook("hook-alpha", f.custA)
	hook("hook-beta", f.custB)
	f.user = f.post("/api/v1/users", map[string]any{"email": "ann@alpha.example", "role": "customer", "customer": f.custA})
	var tl struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	e.do("GET", "/api/v1/tokens", nil).want(t, 200).json(t, &tl)
	f.token = tl.Items[0].ID
	f.fwImage = e.uploadBytes("walk-1.0", []byte("walk image"), nil)
	campaign := func(name string, draft bool) int64 {
		return f.post("/api/v1/campaigns", map[string]any{"name": name, "image_id": f.fwImage, "draft": draft,
			"selection": map[string]any{"endpoints": []string{"alpha-meter"}}})
	}
	f.campA = campaign("walk", true)

	for r := range nRoles {
		n := roleNames[r]
		p := &f.per[r]
		p.dev, p.free, p.owned = "tmp-"+n, "free-"+n, "owned-"+n
		f.device(p.dev, f.custA)
		f.device(p.free, 0)
		f.device(p.owned, f.custA)
		f.device("fw-"+n, f.custA)
		p.customer = strconv.FormatInt(f.post("/api/v1/customers", map[string]any{"name": "Spare " + n}), 10)
		p.profile = "pdel-" + n
		e.do("POST", "/api/v1/profiles", map[string]any{"name": p.profile, "spec": map[string]any{}}).want(t, 201)
		p.asset = f.post("/api/v1/assets", map[string]any{"name": "tmp " + n, "customer": f.custA})
		p.relAsset = f.post("/api/v1/assets", map[string]any{"name": "rel " + n, "customer": f.custA})
		e.do("POST", "/api/v1/relations", map[string]any{"from": fmt.Sprintf("asset:%d", p.relAsset), "to": "device:alpha-meter",
			"type": "feeds-" + strings.ToLower(n)}).want(t, 201)
		p.user = f.post("/api/v1/users", map[string]any{"email": n + "@alpha.example", "role": "operator"})
		var tok struct {
			Token struct {
				ID int64 `json:"id"`
			} `json:"token"`
		}
		e.do("POST", "/api/v1/tokens", map[string]any{"name": "spare " + n, "role": "admin"}).want(t, 201).json(t, &tok)
		p.token = tok.Token.ID
		p.rule = f.post("/api/v1/alarm-rules", map[string]any{"name": "spare " + n, "severity": "info", "spec": map[string]any{"kind": "offline"}})
		p.hook = hook("spare-"+n, f.custA)
		p.cmd = f.queued("alpha-meter")
		p.alarm = f.firmwareAlarm("fw-" + n)
		p.image = e.uploadBytes("spare-"+n, []byte("spare image "+n), nil)
		p.campStart, p.campResume = campaign("start "+n, true), campaign("resume "+n, true)
		p.campCancel, p.campDelete = campaign("cancel "+n, true), campaign("delete "+n, true)
		p.campPause = campaign("pause "+n, false)
	}
	return f
}
