package web_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// module runs a JavaScript expression with the console's module m bound
// to "m" in the page, and decodes its JSON result into out.
func (tb *tab) module(t *testing.T, m, expr string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	js := `import('/js/` + m + `').then((m) => JSON.stringify(` + expr + `))`
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if err := json.Unmarshal([]byte(s), out); err != nil {
		t.Fatalf("%s: %q: %v", expr, s, err)
	}
}

// TestConsoleModules checks the console's own parsing in the browser: the
// registration's link format (quotes, root paths, junk), typed input for
// writes, and charts of awkward series.
func TestConsoleModules(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t)
	tb := b.tab(t, s.base)
	tb.run(t, "load", chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(css("#token")))

	type object struct {
		ID        int    `json:"id"`
		Version   string `json:"version"`
		Instances []int  `json:"instances"`
	}
	for _, c := range []struct {
		links, root string
		want        string
	}{
		{`</>;rt="oma.lwm2m",</1>;ver=1.2,</1/0>,</3>;ver=1.2,</3/0>,</3303/0>,</3303/1>`, "/",
			`[{"id":1,"version":"1.2","instances":[0]},{"id":3,"version":"1.2","instances":[0]},{"id":3303,"version":"","instances":[0,1]}]`},
		{`</lwm2m>;rt="oma.lwm2m";ct="60,110",</lwm2m/3/0>,</lwm2m/5>`, "/lwm2m",
			`[{"id":3,"version":"","instances":[0]},{"id":5,"version":"","instances":[]}]`},
		{`</3/0/1>,<junk,</x/0>,,</4/0>;a="b,c>d",</65534/7>`, "",
			`[{"id":4,"version":"","instances":[0]},{"id":65534,"version":"","instances":[7]}]`},
		{``, "", `[]`},
	} {
		var got, want []object
		tb.module(t, "links.js", "m.objectsOf("+jsString(c.links)+", "+jsString(c.root)+")", &got)
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("objectsOf(%q, %q) = %s, want %s", c.links, c.root, gb, wb)
		}
	}

	var inputs []any
	tb.module(t, "tree.js", `[m.parseInput('integer', ' 42 '), m.parseInput('float', '-1.5e3'), m.parseInput('boolean', 'On'),
		m.parseInput('boolean', '0'), m.parseInput('time', '1700000000'), m.parseInput('time', '2026-01-02T03:04:05Z'),
		m.parseInput('string', ' padded ')]`, &inputs)
	want := []any{42.0, -1500.0, true, false, 1700000000.0, "2026-01-02T03:04:05Z", " padded "}
	if gb, wb := mustJSON(t, inputs), mustJSON(t, want); gb != wb {
		t.Errorf("parseInput: %s, want %s", gb, wb)
	}
	var errs []string
	tb.module(t, "tree.js", `[['integer', 'x'], ['float', ''], ['boolean', 'maybe']].map(([ty, v]) => {
		try { m.parseInput(ty, v); return 'accepted'; } catch (e) { return e.message; } })`, &errs)
	if mustJSON(t, errs) != `["\"x\" is not a number","\"\" is not a number","\"maybe\" is not true or false"]` {
		t.Errorf("parseInput errors: %q", errs)
	}

	var charts []struct {
		Points int    `json:"points"`
		Label  string `json:"label"`
		Paths  int    `json:"paths"`
	}
	tb.module(t, "chart.js", `[
		[], [{t: 1000, v: 5}], [{t: 1000, v: 5}, {t: 2000, v: 5}], [{t: 1000, v: NaN}, {t: 1500, v: 1e300}, {t: 2000, v: -1e-9}],
		[{t: 0, v: 1}, {t: 99999, v: 2}]
	].map((pts) => { const s = m.lineChart(pts, {from: 1000, to: 2000, label: 'k', units: 'C'});
		return {points: Number(s.dataset.points), label: s.getAttribute('aria-label'), paths: s.querySelectorAll('path').length}; })`, &charts)
	wantPoints := []int{0, 1, 2, 2, 0}
	for i, c := range charts {
		if c.Points != wantPoints[i] || (c.Points > 0) != (c.Paths == 1) || c.Label == "" {
			t.Errorf("chart %d: %+v, want %d points", i, c, wantPoints[i])
		}
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
