package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestDevMailbox: the dev mailbox lists messages and shows both parts; the
// HTML part is served alone for a sandboxed frame.
func TestDevMailbox(t *testing.T) {
	h := newHarness(t, sqlite(t))
	link := h.requestLink("main@example.co.jp")
	list := h.get("/_dev/mail")
	href := list.doc(t).Find(`a[href^="/_dev/mail/"]`).First().AttrOr("href", "")
	if list.StatusCode != 200 || href == "" {
		t.Fatalf("mailbox list: %d", list.StatusCode)
	}
	page := h.get(href)
	d := page.doc(t)
	if !strings.Contains(d.Find(`[data-testid="mail-text"]`).Text(), "http://portal.test"+link) {
		t.Fatal("text part without the link")
	}
	frame := d.Find(`iframe[sandbox]`)
	if frame.AttrOr("src", "") != href+"/html" || frame.AttrOr("sandbox", "x") != "" {
		t.Fatalf("HTML part frame: src %q sandbox %q", frame.AttrOr("src", ""), frame.AttrOr("sandbox", "x"))
	}
	html := h.get(href + "/html")
	if html.StatusCode != http.StatusOK || !strings.Contains(html.Body, `href="http://portal.test`+link+`"`) {
		t.Fatalf("HTML part: %d", html.StatusCode)
	}
	csp := html.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Fatalf("HTML part CSP %q", csp)
	}
	if res := h.get("/_dev/mail/nope"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown message: %d", res.StatusCode)
	}
}

// TestComponentGallery: every state is on the designers' page.
func TestComponentGallery(t *testing.T) {
	h := newHarness(t, sqlite(t))
	res := h.get("/_components")
	d := res.doc(t)
	if res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	for _, want := range []string{`[data-testid="forgot-form"]`, `[data-testid="error-summary"]`, `.htmx-request .htmx-indicator`,
		`[data-testid="forgot-sent"]`, `[data-testid="reset-form"]`, `[data-testid="reset-done"]`, `[data-testid="reset-invalid"]`, `[data-testid="error"]`} {
		if d.Find(want).Length() == 0 {
			t.Errorf("gallery lacks %s", want)
		}
	}
	if n := d.Find(`[data-testid="field-error"]`).Length(); n < 10 {
		t.Errorf("gallery shows %d field errors; want every message", n)
	}
}
