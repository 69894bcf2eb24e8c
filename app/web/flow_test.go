package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// login posts the login form and reports the status and session cookie.
func (h *harness) login(email, pw string) response {
	h.t.Helper()
	tok := h.csrf("/login")
	return h.post("/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {pw}}, false)
}

// setPassword opens a link and sets pw through the plain form.
func (h *harness) setPassword(link, pw string) {
	h.t.Helper()
	d := h.openLink(link).doc(h.t)
	csrf, _ := d.Find(`input[name="_csrf"]`).Attr("value")
	res := h.post("/password/reset", url.Values{"_csrf": {csrf}, "password": {pw}, "password_confirm": {pw}}, false)
	if res.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("set password: %d %s", res.StatusCode, res.Body)
	}
}

// TestWholeFlow is the end-to-end run: request, read the email,
// follow the link, set the password, log in with it; the old password
// fails and an older session is gone; the link cannot be used twice.
func TestWholeFlow(t *testing.T) {
	forEach(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb)

		// First password (新規作成): the demo user has none and cannot log in.
		if res := h.login("main@example.co.jp", "anything-at-all"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("login without a password: %d", res.StatusCode)
		}
		link := h.requestLink("ｍａｉｎ＠example.co.jp")
		mail := h.mail.Messages()[0].Mail
		if !strings.Contains(mail.Text, "お客様コードは JP0062652 です。") || mail.To != "main@example.co.jp" {
			t.Fatalf("reset mail: to %q\n%s", mail.To, mail.Text)
		}
		h.setPassword(link, "erstes-passwort-2026")

		res := h.login("MAIN@example.co.jp", "erstes-passwort-2026")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
			t.Fatalf("login: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
			t.Fatalf("session cookie %+v", session)
		}
		oldSession := session.Value
		acc := h.get("/account")
		d := acc.doc(t)
		if acc.StatusCode != 200 || d.Find(`[data-testid="account-code"]`).Text() != "JP0062652" ||
			d.Find(`[data-testid="account-role"]`).Text() != "メインユーザー" ||
			!strings.Contains(d.Find(`[data-testid="shared-users"]`).Text(), "shared@example.co.jp") {
			t.Fatalf("account page: %d %s", acc.StatusCode, acc.Body)
		}
		if !strings.Contains(acc.Header.Get("Cache-Control"), "no-store") {
			t.Error("account page cacheable")
		}

		// The same link a second time: the invalid-link page.
		h.get(link)
		if page := h.get("/password/reset"); page.StatusCode != http.StatusGone {
			t.Fatalf("second use of a link: %d", page.StatusCode)
		}

		// A reset from another device ends the session above and the old password.
		h.clock.Add(time.Minute)
		saved := h.cookies
		h.cookies = map[string]string{}
		h.setPassword(h.requestLink("main@example.co.jp"), "zweites-passwort-2026")
		h.cookies = saved
		if res := h.get("/account"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("old session after a reset: %d", res.StatusCode)
		}
		if res := h.login("main@example.co.jp", "erstes-passwort-2026"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("old password: %d", res.StatusCode)
		}
		if res := h.login("main@example.co.jp", "zweites-passwort-2026"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("new password: %d", res.StatusCode)
		}
		if h.cookies["session"] == oldSession {
			t.Fatal("session id not rotated")
		}
		h.deliver()
		changed := 0
		for _, m := range h.mail.Messages() {
			if strings.Contains(m.Mail.Text, "パスワードが変更されました") {
				changed++
			}
		}
		if changed != 2 {
			t.Fatalf("%d password-changed notifications; want 2", changed)
		}
	})
}

func TestLoginFailureIsGeneric(t *testing.T) {
	h := newHarness(t, sqlite(t))
	h.setPassword(h.requestLink("main@example.co.jp"), "erstes-passwort-2026")
	var bodies []string
	for _, c := range [][2]string{{"main@example.co.jp", "wrong-password"}, {"nobody@example.co.jp", "x"}, {"shared@example.co.jp", "x"}, {"", ""}} {
		res := h.login(c[0], c[1])
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d", c[0], res.StatusCode)
		}
		msg := res.doc(t).Find(`[data-testid="login-error"]`).Text()
		if !strings.Contains(msg, "メールアドレスまたはパスワードが正しくありません。") {
			t.Fatalf("%s: message %q", c[0], msg)
		}
		bodies = append(bodies, msg)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatal("login failures differ")
		}
	}
	if res := h.login("main@example.co.jp", "erstes-passwort-2026"); res.StatusCode != http.StatusSeeOther {
		t.Fatal(res.StatusCode)
	}
	tok := h.csrf("/account")
	if res := h.post("/logout", url.Values{"_csrf": {tok}}, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res := h.get("/account"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("account after logout: %d", res.StatusCode)
	}
}
