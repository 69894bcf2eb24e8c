package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
)

func (h *harness) requestLink(addr string) string {
	h.t.Helper()
	tok := h.csrf("/password/forgot")
	form := url.Values{"_csrf": {tok}, "customer_code": {"JP0062652"}, "postal_code": {"244-0806"}, "email": {addr}}
	if res := h.post("/password/forgot", form, true); res.StatusCode != 200 {
		h.t.Fatalf("request: %d", res.StatusCode)
	}
	stored, _ := app.ParseEmail(addr)
	return h.resetLink(string(stored))
}

// openLink follows the emailed link as a browser would: 303 to the form,
// with the token moved into a cookie.
func (h *harness) openLink(path string) response {
	h.t.Helper()
	res := h.get(path)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/password/reset" {
		h.t.Fatalf("link: %d -> %q; want 303 -> /password/reset", res.StatusCode, res.Header.Get("Location"))
	}
	return h.get("/password/reset")
}

func TestResetLinkKeepsTokenOutOfURL(t *testing.T) {
	h := newHarness(t, sqlite(t))
	link := h.requestLink("main@example.co.jp")
	token := strings.TrimPrefix(link, "/password/reset/")
	res := h.get(link)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "reset" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.Path != "/password/reset" || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("reset cookie %+v: want HttpOnly, Path=/password/reset, SameSite=Lax", cookie)
	}
	if strings.Contains(cookie.Value, token) || strings.Contains(res.Header.Get("Location"), token) {
		t.Fatal("token in clear in the cookie or the redirect")
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("Referrer-Policy %q", res.Header.Get("Referrer-Policy"))
	}
	// Opening the link (a mail scanner, say) many times spends nothing.
	for i := 0; i < 3; i++ {
		h.get(link)
	}
	form := h.get("/password/reset")
	if form.StatusCode != 200 || form.doc(t).Find("form#reset-form").Length() != 1 {
		t.Fatalf("form after repeated opens: %d", form.StatusCode)
	}
}

func TestResetForm(t *testing.T) {
	h := newHarness(t, sqlite(t))
	res := h.openLink(h.requestLink("main@example.co.jp"))
	d := res.doc(t)
	if got := strings.TrimSpace(d.Find("h1").Text()); got != "パスワードの新規作成または再設定登録" {
		t.Errorf("h1 %q", got)
	}
	for _, name := range []string{"password", "password_confirm"} {
		in := d.Find(`input[name="` + name + `"]`)
		if in.AttrOr("type", "") != "password" || in.AttrOr("autocomplete", "") != "new-password" {
			t.Errorf("%s: type %q autocomplete %q", name, in.AttrOr("type", ""), in.AttrOr("autocomplete", ""))
		}
		if d.Find(`button[data-reveal="`+in.AttrOr("id", "")+`"]`).Length() != 1 {
			t.Errorf("%s: no show/hide control", name)
		}
	}
	user := d.Find(`input[name="username"]`)
	if user.AttrOr("autocomplete", "") != "username" || user.AttrOr("value", "") != "main@example.co.jp" {
		t.Error("hidden username field for password managers missing")
	}
	if !strings.Contains(d.Text(), "新しいパスワードを再入力してください") {
		t.Error("re-entry label missing")
	}
}

func TestResetSubmitPaths(t *testing.T) {
	forEach(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb)
		d := h.openLink(h.requestLink("main@example.co.jp")).doc(t)
		csrf, _ := d.Find(`input[name="_csrf"]`).Attr("value")

		// Broken rules: 422, the form again, nothing spent, passwords not echoed.
		bad := url.Values{"_csrf": {csrf}, "password": {"password"}, "password_confirm": {"passwort"}}
		for _, htmx := range []bool{true, false} {
			res := h.post("/password/reset", bad, htmx)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("htmx=%v: %d", htmx, res.StatusCode)
			}
			rd := res.doc(t)
			if !strings.Contains(rd.Find("#f-password-error").Text(), "このパスワードはよく使われているため使用できません") ||
				!strings.Contains(rd.Find("#f-password_confirm-error").Text(), "パスワードが一致しません") {
				t.Fatalf("htmx=%v: messages missing: %s", htmx, res.Body)
			}
			if strings.Contains(res.Body, `value="password"`) || strings.Contains(res.Body, "passwort") {
				t.Fatal("a typed password was echoed into the page")
			}
		}

		good := url.Values{"_csrf": {csrf}, "password": {"kirschbaum-schublade-7"}, "password_confirm": {"kirschbaum-schublade-7"}}
		res := h.post("/password/reset", good, true)
		if res.StatusCode != 200 || !strings.Contains(res.Body, "パスワードが変更されました。") || !strings.Contains(res.Body, "今すぐログイン") {
			t.Fatalf("htmx success: %d %s", res.StatusCode, res.Body)
		}
		if _, ok := h.cookies["reset"]; ok {
			t.Fatal("reset cookie kept after success")
		}
		// Plain path with a second link.
		h.clock.Add(time.Minute)
		d = h.openLink(h.requestLink("main@example.co.jp")).doc(t)
		csrf, _ = d.Find(`input[name="_csrf"]`).Attr("value")
		good.Set("_csrf", csrf)
		good.Set("password", "zweites-passwort-42")
		good.Set("password_confirm", "zweites-passwort-42")
		res = h.post("/password/reset", good, false)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/password/reset/done" {
			t.Fatalf("plain success: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		done := h.get("/password/reset/done")
		if !strings.Contains(done.Body, "続行するにはログインしてください") || done.doc(t).Find(`a[href="/login"]`).Length() == 0 {
			t.Fatal("done page")
		}
	})
}

func TestInvalidLinkPage(t *testing.T) {
	h := newHarness(t, sqlite(t))
	first := h.requestLink("main@example.co.jp")
	h.clock.Add(time.Minute)
	second := h.requestLink("main@example.co.jp")
	unknown, _ := app.NewResetToken()

	var bodies []string
	for _, path := range []string{
		first,                        // revoked by a newer one
		"/password/reset/" + unknown, // unknown
		"/password/reset/garbage",    // malformed
		"/password/reset/" + strings.Repeat("A", 10240), // 10 KB
	} {
		res := h.get(path)
		if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusRequestURITooLong && res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("%.40s: %d", path, res.StatusCode)
		}
		page := h.get("/password/reset")
		if page.StatusCode != http.StatusGone {
			t.Fatalf("%.40s: form status %d; want 410", path, page.StatusCode)
		}
		bodies = append(bodies, page.doc(t).Find("main").Text())
	}
	// Expired: the same page.
	h.openLink(second)
	h.clock.Add(25 * time.Hour)
	page := h.get("/password/reset")
	bodies = append(bodies, page.doc(t).Find("main").Text())
	for i, b := range bodies {
		if !strings.Contains(b, "このリンクは無効か、有効期限が切れています") || !strings.Contains(b, "パスワードリセットを申請する") {
			t.Fatalf("case %d: not the invalid-link page: %s", i, b)
		}
	}
	if page.doc(t).Find(`main a[href="/password/forgot"]`).Length() == 0 {
		t.Fatal("no way back to /password/forgot")
	}
}

func TestResetValidate(t *testing.T) {
	h := newHarness(t, sqlite(t))
	d := h.openLink(h.requestLink("main@example.co.jp")).doc(t)
	csrf, _ := d.Find(`input[name="_csrf"]`).Attr("value")
	cases := []struct {
		field, pw, confirm string
		status             int
		msg                string
	}{
		{"password", "short", "", 422, "パスワードは8文字以上で入力してください"},
		{"password", "kirschbaum-7", "", 200, ""},
		{"password", "JP0062652", "", 422, "お客様コードやメールアドレスと同じパスワードは使用できません"},
		{"password", strings.Repeat("x", 129), "", 422, "パスワードは128文字以内で入力してください"},
		{"password_confirm", "kirschbaum-7", "kirschbaum-8", 422, "パスワードが一致しません"},
		{"password_confirm", "kirschbaum-7", "kirschbaum-7", 200, ""},
		{"password_confirm", "kirschbaum-7", "", 200, ""},
	}
	for _, c := range cases {
		res := h.post("/password/reset/validate", url.Values{"_csrf": {csrf}, "field": {c.field}, "password": {c.pw}, "password_confirm": {c.confirm}}, true)
		if res.StatusCode != c.status {
			t.Errorf("%s %q/%q: %d; want %d", c.field, c.pw, c.confirm, res.StatusCode, c.status)
			continue
		}
		got := strings.TrimSpace(res.doc(t).Find(`[data-testid="field-error"]`).Text())
		if c.msg == "" && got != "" || !strings.Contains(got, c.msg) {
			t.Errorf("%s %q: %q; want %q", c.field, c.pw, got, c.msg)
		}
		if strings.Contains(res.Body, c.pw) && c.pw != "" {
			t.Errorf("password echoed in the fragment")
		}
	}
	// Validation spends nothing.
	if h.get("/password/reset").StatusCode != 200 {
		t.Fatal("validation spent the token")
	}
}
