package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/web"
)

func (h *harness) auditKinds() map[app.AuditKind][]app.AuditEvent {
	h.t.Helper()
	h.reset.Wait()
	events, err := h.store.RecentAudit(context.Background(), 0, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[app.AuditKind][]app.AuditEvent{}
	for _, e := range events {
		out[e.Kind] = append(out[e.Kind], e)
	}
	return out
}

// TestCSRF: every state-changing route refuses a request without a valid
// token, or from another site, with 403, and nothing changes.
func TestCSRF(t *testing.T) {
	h := newHarness(t, sqlite(t))
	good := h.csrf("/password/forgot")
	routes := []string{"/password/forgot", "/password/forgot/validate", "/password/reset", "/password/reset/validate", "/login", "/logout"}
	// Change one character inside the MAC (never the trailing one, whose
	// low bits base64 ignores).
	b := []byte(good)
	if b[60] == 'A' {
		b[60] = 'B'
	} else {
		b[60] = 'A'
	}
	forged := string(b)
	cases := []struct {
		name    string
		token   string
		headers []string
	}{
		{"no token", "", nil},
		{"forged token", forged, nil},
		{"garbage token", "<script>", nil},
		{"valid token, cross-site Origin", good, []string{"Origin", "https://evil.example"}},
		{"valid token, Sec-Fetch-Site cross-site", good, []string{"Sec-Fetch-Site", "cross-site"}},
		{"valid token, Origin null", good, []string{"Origin", "null"}},
	}
	for _, route := range routes {
		for _, c := range cases {
			form := demoForm(c.token)
			form.Set("field", "email")
			form.Set("email", "main@example.co.jp")
			form.Set("password", "x")
			res := h.post(route, form, true, c.headers...)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s: %d; want 403", route, c.name, res.StatusCode)
			}
		}
	}
	if kinds := h.auditKinds(); len(kinds) != 0 {
		t.Fatalf("refused requests changed something: %v", kinds)
	}
	h.deliver()
	if n := len(h.mail.Messages()); n != 0 {
		t.Fatalf("%d mails after refused requests", n)
	}
	// The token travels in the htmx header as well as in the form.
	form := demoForm("")
	res := h.post("/password/forgot", form, true, "X-CSRF-Token", good, "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token in header: %d", res.StatusCode)
	}
	// A plain form POST from our own page under Referrer-Policy:
	// no-referrer: Chromium sends Origin: null with Sec-Fetch-Site:
	// same-origin.
	res = h.post("/password/forgot", demoForm(good), false, "Origin", "null", "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin form POST with Origin null: %d", res.StatusCode)
	}
	// A token of an anonymous page does not work for a logged-in session.
	h.setPassword(h.requestLink("main@example.co.jp"), "erstes-passwort-2026")
	anon := h.csrf("/login")
	h.login("main@example.co.jp", "erstes-passwort-2026")
	if res := h.post("/logout", url.Values{"_csrf": {anon}}, false); res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout with a token not bound to the session: %d", res.StatusCode)
	}
}

// TestSecurityHeaders checks every kind of response.
func TestSecurityHeaders(t *testing.T) {
	for _, production := range []bool{false, true} {
		h := newHarness(t, sqlite(t), withConfig(func(c *web.Config) { c.Production = production }))
		link := h.requestLink("main@example.co.jp")
		css := h.get("/password/forgot").doc(t).Find(`link[rel="stylesheet"]`).AttrOr("href", "")
		paths := []string{"/login", "/password/forgot", "/password/forgot/sent", link, "/password/reset", "/password/reset/done", "/account", "/nope", css, "/healthz"}
		for _, p := range paths {
			res := h.get(p)
			hd := res.Header
			csp := hd.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("production=%v %s: CSP %q lacks %q", production, p, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP allows unsafe-*: %q", p, csp)
			}
			checks := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
				"Cross-Origin-Opener-Policy": "same-origin", "X-Frame-Options": "DENY"}
			for k, v := range checks {
				if hd.Get(k) != v {
					t.Errorf("production=%v %s: %s = %q; want %q", production, p, k, hd.Get(k), v)
				}
			}
			hsts := hd.Get("Strict-Transport-Security")
			if production != strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("production=%v %s: HSTS %q", production, p, hsts)
			}
			ct := hd.Get("Content-Type")
			if strings.HasPrefix(ct, "text/html") && hd.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: HTML with Cache-Control %q", p, hd.Get("Cache-Control"))
			}
		}
		// Cookies: HttpOnly, SameSite=Lax, Secure in production.
		res := h.get(link)
		for _, c := range res.Cookies() {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != production {
				t.Errorf("production=%v: cookie %s HttpOnly=%v SameSite=%v Secure=%v", production, c.Name, c.HttpOnly, c.SameSite, c.Secure)
			}
		}
		if production {
			if res := h.get("/_dev/mail"); res.StatusCode != http.StatusNotFound {
				t.Errorf("/_dev/mail in production: %d", res.StatusCode)
			}
			if res := h.get("/_components"); res.StatusCode != http.StatusNotFound {
				t.Errorf("/_components in production: %d", res.StatusCode)
			}
		}
	}
}

func TestRateLimitPerIP(t *testing.T) {
	h := newHarness(t, sqlite(t), withLimits(func(l *app.Limits) {
		l.ForgotPerIP = app.Limit{Max: 3, Window: 600e9}
		l.LoginPerIP = app.Limit{Max: 2, Window: 600e9}
		l.ValidatePerIP = app.Limit{Max: 2, Window: 600e9}
	}))
	tok := h.csrf("/password/forgot")
	form := url.Values{"_csrf": {tok}, "customer_code": {"JP0000001"}, "postal_code": {"100-0001"}, "email": {"who@example.co.jp"}}
	for i := 0; i < 3; i++ {
		if res := h.post("/password/forgot", form, true); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	res := h.post("/password/forgot", demoForm(tok), true)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("past the limit: %d; want 429", res.StatusCode)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 600 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if strings.Contains(res.Body, "JP0062652") || strings.Contains(res.Body, "main@") {
		t.Fatal("429 page names the account")
	}
	h.deliver()
	if n := len(h.mail.Messages()); n != 0 {
		t.Fatalf("a throttled request sent %d mails", n)
	}
	// Another client is not affected; a client behind an untrusted proxy
	// cannot pick its address with X-Forwarded-For.
	if res := h.post("/password/forgot", form, true, "X-Forwarded-For", "198.51.100.7"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For escaped the limit: %d", res.StatusCode)
	}
	login := url.Values{"_csrf": {h.csrf("/login")}, "email": {"a@example.co.jp"}, "password": {"x"}}
	for i := 0; i < 2; i++ {
		h.post("/login", login, false)
	}
	if res := h.post("/login", login, false); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("login past the limit: %d", res.StatusCode)
	}
	v := url.Values{"_csrf": {tok}, "field": {"email"}, "email": {"a@example.co.jp"}}
	for i := 0; i < 2; i++ {
		h.post("/password/forgot/validate", v, true)
	}
	if res := h.post("/password/forgot/validate", v, true); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("validate past the limit: %d", res.StatusCode)
	}
	if got := len(h.auditKinds()[app.AuditRateLimited]); got != 4 {
		t.Fatalf("%d rate_limited audit events; want 4", got)
	}
}

func TestTrustedProxy(t *testing.T) {
	h := newHarness(t, sqlite(t),
		withConfig(func(c *web.Config) { c.TrustedProxies = mustPrefixes("0.0.0.0/0") }),
		withLimits(func(l *app.Limits) { l.ForgotPerIP = app.Limit{Max: 1, Window: 600e9} }))
	tok := h.csrf("/password/forgot")
	form := url.Values{"_csrf": {tok}, "customer_code": {"JP0000001"}, "postal_code": {"100-0001"}, "email": {"who@example.co.jp"}}
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		if res := h.post("/password/forgot", form, true, "X-Forwarded-For", ip); res.StatusCode != 200 {
			t.Fatalf("client %s behind a trusted proxy: %d", ip, res.StatusCode)
		}
	}
	if res := h.post("/password/forgot", form, true, "X-Forwarded-For", "198.51.100.1"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("same client again: %d", res.StatusCode)
	}
	ev := h.auditKinds()[app.AuditResetRequested]
	if len(ev) == 0 || !strings.HasPrefix(ev[0].IP, "198.51.100.") {
		t.Fatalf("audit IP %+v", ev)
	}
}

// TestBadInput: hostile or broken input gets a clear answer and changes
// nothing.
func TestBadInput(t *testing.T) {
	h := newHarness(t, sqlite(t), withLimits(func(l *app.Limits) { l.ForgotPerIP = app.Limit{} }))
	tok := h.csrf("/password/forgot")
	hostile := []string{
		"'; DROP TABLE users; --", `" OR "1"="1`, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
		"JP0062652\r\nBcc: x@example.com", "main@example.co.jp\r\nBcc: x@example.com", "\x00", "\xff\xfe",
		"JP\u200b0062652", "\u202eJP0062652", strings.Repeat("あ", 1000), "%0d%0a", "{{.}}", "${7*7}",
	}
	for _, v := range hostile {
		for _, field := range []string{"customer_code", "postal_code", "email"} {
			form := demoForm(tok)
			form.Set(field, v)
			form.Set("unknown_field", "ignored")
			res := h.post("/password/forgot", form, true)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s=%.30q: %d; want 422", field, v, res.StatusCode)
				continue
			}
			d := res.doc(t)
			msg := strings.TrimSpace(d.Find("#f-" + field + "-error").Text())
			if msg == "" {
				t.Errorf("%s=%.30q: no message", field, v)
			}
			if strings.Contains(res.Body, "<script>alert") || strings.Contains(res.Body, "<img src=x") {
				t.Errorf("%s=%.30q: reflected unescaped", field, v)
			}
		}
	}
	if kinds := h.auditKinds(); len(kinds) != 0 {
		t.Fatalf("bad input changed something: %v", kinds)
	}

	// Oversized body: 413 with a page, nothing done. fasthttp refuses it
	// while reading, so this needs a real connection.
	base := h.listen()
	big := demoForm(tok)
	big.Set("email", strings.Repeat("a", 64*1024))
	resp, err := http.Post(base+"/password/forgot", "application/x-www-form-urlencoded", strings.NewReader(big.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "送信内容が大きすぎます") {
		t.Fatalf("oversized body: %d %s", resp.StatusCode, body)
	}
	// Wrong methods.
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, "/password/forgot", strings.NewReader(demoForm(tok).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res := h.do(req); res.StatusCode != http.StatusMethodNotAllowed && res.StatusCode != http.StatusForbidden {
			t.Errorf("%s /password/forgot: %d", m, res.StatusCode)
		}
	}
	if res := h.get("/password/forgot/validate"); res.StatusCode != http.StatusMethodNotAllowed && res.StatusCode != http.StatusNotFound {
		t.Errorf("GET on a POST route: %d", res.StatusCode)
	}
	if kinds := h.auditKinds(); len(kinds) != 0 {
		t.Fatalf("bad requests changed something: %v", kinds)
	}
}

// TestNoSecretsInLogs runs the whole flow with a log that records
// everything and looks for the token, the password and the session id.
func TestNoSecretsInLogs(t *testing.T) {
	for _, production := range []bool{true, false} {
		var buf bytes.Buffer
		h := newHarness(t, sqlite(t), withConfig(func(c *web.Config) { c.Production = production }), withLog(&buf))
		link := h.requestLink("main@example.co.jp")
		token := strings.TrimPrefix(link, "/password/reset/")
		h.get(link + "x") // a broken link is logged by nobody
		h.setPassword(link, "geheimes-passwort-99")
		h.login("main@example.co.jp", "geheimes-passwort-99")
		session := h.cookies[map[bool]string{true: "__Host-session", false: "session"}[production]]
		if session == "" {
			t.Fatal("no session cookie")
		}
		log := buf.String()
		for name, secret := range map[string]string{"password": "geheimes-passwort-99", "session": session, "secret key": strings.Repeat("k", 32)} {
			if strings.Contains(log, secret) {
				t.Errorf("production=%v: %s in the log", production, name)
			}
		}
		if !strings.Contains(log, "path=/password/reset/…") {
			t.Errorf("production=%v: the access log did not record the link's request", production)
		}
		if production && strings.Contains(log, token) {
			t.Error("reset token in the production log")
		}
		events, _ := h.store.RecentAudit(context.Background(), 0, 100)
		for _, e := range events {
			if strings.Contains(e.Detail+e.Email+e.UserAgent, token) {
				t.Error("token in the audit log")
			}
		}
	}
}

// TestAuditTrail: every request, match outcome, email, spent token and
// login is in the audit log with IP and user agent.
func TestAuditTrail(t *testing.T) {
	h := newHarness(t, sqlite(t))
	link := h.requestLink("main@example.co.jp")
	tok := h.csrf("/password/forgot")
	h.post("/password/forgot", url.Values{"_csrf": {tok}, "customer_code": {"JP0000001"}, "postal_code": {"100-0001"}, "email": {"who@example.co.jp"}}, true)
	h.setPassword(link, "erstes-passwort-2026")
	h.login("main@example.co.jp", "wrong-password")
	h.login("main@example.co.jp", "erstes-passwort-2026")
	h.deliver()
	kinds := h.auditKinds()
	for kind, detail := range map[app.AuditKind]string{
		app.AuditResetRequested: "matched_main", app.AuditResetMailSent: "", app.AuditPasswordSet: "first_password",
		app.AuditLoginFailed: "wrong_password", app.AuditLoginSucceeded: "",
	} {
		evs := kinds[kind]
		if len(evs) == 0 {
			t.Errorf("no %s event", kind)
			continue
		}
		found := detail == ""
		for _, e := range evs {
			found = found || e.Detail == detail
		}
		if !found {
			t.Errorf("%s: no event with detail %q in %+v", kind, detail, evs)
		}
	}
	var noMatch bool
	for _, e := range kinds[app.AuditResetRequested] {
		noMatch = noMatch || e.Detail == "no_match"
		if e.IP == "" {
			t.Errorf("request event without IP: %+v", e)
		}
	}
	if !noMatch {
		t.Error("no no_match event")
	}
	for _, e := range kinds[app.AuditLoginFailed] {
		if e.IP == "" || e.UserAgent == "" {
			t.Errorf("login event without IP or user agent: %+v", e)
		}
	}
}
