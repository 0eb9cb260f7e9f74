package web_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// unlabelled lists form controls without a label and buttons and links
// without a name, on the current page.
const unlabelled = `(() => {
  const bad = [];
  for (const e of document.querySelectorAll('input, select, textarea')) {
    const named = e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
    if (!named) bad.push(e.outerHTML.slice(0, 80));
  }
  for (const e of document.querySelectorAll('button, a[href]')) {
    if (!(e.getAttribute('aria-label') || e.textContent.trim())) bad.push(e.outerHTML.slice(0, 80));
  }
  return bad;
})()`

// TestConsoleAccessible: at a tablet's width nothing but tables scrolls
// sideways; every control has a label and every button a name; the
// keyboard reaches the skip link first and it moves focus to the page;
// focus is visible.
func TestConsoleAccessible(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t)
	s.call(t, adminToken, http.MethodPost, "/profiles", map[string]any{"name": "thermo", "spec": map[string]any{
		"observe":   map[string]any{"strategy": "single", "targets": []map[string]any{{"path": "/3/0/9"}}},
		"telemetry": []map[string]string{{"path": "/3303/0/5700", "name": "temperature"}}}}, nil, http.StatusCreated)
	key := s.createPSK(t, "a11y-1", map[string]any{"profile": "thermo"})
	s.device(t, "a11y-1", key)

	tb := b.tab(t, s.base)
	tb.run(t, "tablet viewport", chromedp.EmulateViewport(820, 1180))
	tb.signIn(t, adminToken)
	tb.run(t, "the fleet", waitText(`tr[data-endpoint="a11y-1"] .badge`, "online"))
	for _, page := range []struct{ name, hash, ready string }{
		{"fleet", "#/devices", `!!document.querySelector('tr[data-endpoint="a11y-1"]')`},
		{"device", "#/devices/a11y-1", `!!document.querySelector('button[data-action="read-instance"]') && !!document.querySelector('#charts > *')`},
		{"alarms", "#/alarms", `!!document.querySelector('#alarms > *')`},
		{"firmware", "#/firmware", `document.querySelectorAll('main section .notice, main section table, main section p').length >= 2`},
		{"profiles", "#/profiles", `!!document.querySelector('[data-profile="thermo"]')`},
		{"customers", "#/customers", `!!document.querySelector('#customer-list, main .notice')`},
	} {
		t.Run(page.name, func(t *testing.T) {
			tb.run(t, "open", chromedp.Evaluate[chromedp.Void]("location.hash = '"+page.hash+"'"), waitJS(page.ready))
			if bad := eval[[]string](t, tb, unlabelled); len(bad) > 0 {
				t.Errorf("unlabelled controls: %q", bad)
			}
			if w := eval[[]int](t, tb, "[document.documentElement.scrollWidth, window.innerWidth]"); w[0] > w[1] {
				t.Errorf("the page is %d px wide in a %d px viewport: it scrolls sideways", w[0], w[1])
			}
			if page.name == "fleet" {
				tb.screenshot(t, "tablet")
			}
			if page.name == "device" {
				// What the profile observes shows as observed.
				tb.run(t, "profile observation", waitJS(`document.querySelector('button[data-action="observe"][data-path="/3/0/9"]').getAttribute('aria-pressed') === 'true'`))
			}
		})
	}

	t.Run("keyboard", func(t *testing.T) {
		tb.run(t, "a fresh load of the fleet", chromedp.Navigate(s.base+"/?fresh#/devices"),
			waitJS(`!!document.querySelector('tr[data-endpoint="a11y-1"]')`),
			chromedp.KeyEvent(kb.Tab))
		if id := eval[string](t, tb, "document.activeElement.id"); id != "skip" {
			t.Fatalf("first Tab focuses %q, want the skip link", id)
		}
		if o := eval[string](t, tb, "getComputedStyle(document.activeElement).outlineStyle"); o == "none" {
			t.Error("the focused skip link shows no outline")
		}
		tb.run(t, "skip", chromedp.KeyEvent(kb.Enter), waitJS(`document.activeElement.id === 'main'`))
		// The status counts are buttons: Enter on "online" filters the list.
		tb.run(t, "filter by keyboard", chromedp.Focus(css(`button[aria-label="Show online devices"]`)), chromedp.KeyEvent(kb.Enter),
			waitJS(`document.querySelector('#f-status').value === 'online'`), waitText("#page-info", "of 1"))
	})
}
