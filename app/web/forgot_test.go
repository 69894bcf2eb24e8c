package web_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app/web"
)

func demoForm(csrf string) url.Values {
	return url.Values{"_csrf": {csrf}, "customer_code": {"ｊｐ００６２６５２"}, "postal_code": {"〒２４４－０８０６"}, "email": {"ＭＡＩＮ＠example.co.jp"}}
}

func TestForgotPage(t *testing.T) {
	h := newHarness(t, sqlite(t))
	res := h.get("/password/forgot")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	if got := d.Find("html").AttrOr("lang", ""); got != "ja" {
		t.Errorf("lang %q", got)
	}
	if got := strings.TrimSpace(d.Find("h1").Text()); got != "パスワードリセット/パスワード申請" {
		t.Errorf("h1 %q", got)
	}
	fields := []struct{ name, typ, autocomplete, inputmode, label string }{
		{"customer_code", "text", "off", "", "お客様コード"},
		{"postal_code", "text", "postal-code", "numeric", "郵便番号"},
		{"email", "email", "email", "email", "メールアドレス"},
	}
	for _, f := range fields {
		in := d.Find(`input[name="` + f.name + `"]`)
		if in.Length() != 1 {
			t.Fatalf("field %s missing", f.name)
		}
		id := in.AttrOr("id", "")
		label := strings.TrimSpace(d.Find(`label[for="` + id + `"]`).Text())
		if !strings.HasPrefix(label, f.label) {
			t.Errorf("%s: label %q; want %q", f.name, label, f.label)
		}
		if _, ok := in.Attr("required"); !ok {
			t.Errorf("%s not required", f.name)
		}
		if in.AttrOr("type", "") != f.typ || in.AttrOr("autocomplete", "") != f.autocomplete || in.AttrOr("inputmode", "") != f.inputmode {
			t.Errorf("%s: type=%q autocomplete=%q inputmode=%q", f.name, in.AttrOr("type", ""), in.AttrOr("autocomplete", ""), in.AttrOr("inputmode", ""))
		}
		if _, ok := in.Attr("placeholder"); ok {
			t.Errorf("%s: examples go in help text, not a placeholder", f.name)
		}
		hint := d.Find("#" + id + "-hint")
		if hint.Length() != 1 || !strings.Contains(in.AttrOr("aria-describedby", ""), id+"-hint") {
			t.Errorf("%s: help text not tied to the field", f.name)
		}
		if in.AttrOr("data-hx-post", "") != "/password/forgot/validate" {
			t.Errorf("%s: no inline validation", f.name)
		}
	}
	if !strings.Contains(d.Find("#f-postal_code-hint").Text(), "例: 244-0806") {
		t.Error("postal code hint lacks the example")
	}
	body := d.Text()
	for _, want := range []string{"お客様コードをお忘れですか？", "共有ユーザーアカウントをご利用でしょうか？", "「お客様コード」を持っていません", "当社の個人情報保護方針について", "メインユーザー"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	form := d.Find("form#forgot-form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/password/forgot" {
		t.Error("the form must post without JavaScript")
	}
	if strings.TrimSpace(form.Find(`button[type="submit"] span`).First().Text()) != "送信" {
		t.Error("no 送信 button")
	}
	if d.Find(`meta[name="csrf-token"]`).AttrOr("content", "") == "" {
		t.Error("no CSRF meta for htmx")
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
}

func TestForgotSubmitPaths(t *testing.T) {
	forEach(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb)
		tok := h.csrf("/password/forgot")

		plain := h.post("/password/forgot", demoForm(tok), false)
		if plain.StatusCode != http.StatusSeeOther || plain.Header.Get("Location") != "/password/forgot/sent" {
			t.Fatalf("plain POST: %d %q", plain.StatusCode, plain.Header.Get("Location"))
		}
		sent := h.get("/password/forgot/sent")
		if sent.StatusCode != http.StatusOK || !strings.Contains(sent.Body, "ご連絡ありがとうございます") ||
			!strings.Contains(sent.Body, "まもなく、パスワードをリセットするためのメールをお届けいたします。") ||
			!strings.Contains(sent.Body, "1日経過しても") {
			t.Fatalf("sent page: %d", sent.StatusCode)
		}

		hx := h.post("/password/forgot", demoForm(tok), true)
		if hx.StatusCode != http.StatusOK || hx.Header.Get("HX-Retarget") != "#forgot" {
			t.Fatalf("htmx POST: %d retarget %q", hx.StatusCode, hx.Header.Get("HX-Retarget"))
		}
		d := hx.doc(t)
		if d.Find("#forgot-sent h1[data-autofocus]").Length() != 1 || d.Find("header").Length() != 0 {
			t.Fatalf("htmx POST must answer the confirmation fragment: %s", hx.Body)
		}
		if !strings.Contains(hx.Header.Get("Vary"), "HX-Request") {
			t.Errorf("Vary %q lacks HX-Request", hx.Header.Get("Vary"))
		}
		h.deliver()
		if n := len(h.mail.Messages()); n != 2 {
			t.Fatalf("%d mails; want 2 (one per request)", n)
		}
	})
}

func TestForgotSubmitInvalid(t *testing.T) {
	h := newHarness(t, sqlite(t))
	tok := h.csrf("/password/forgot")
	form := url.Values{"_csrf": {tok}, "customer_code": {"JP12"}, "postal_code": {""}, "email": {"taro@"}}
	for _, htmx := range []bool{true, false} {
		res := h.post("/password/forgot", form, htmx)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("htmx=%v: status %d; want 422", htmx, res.StatusCode)
		}
		d := res.doc(t)
		if htmx != (d.Find("html").Length() == 0 || d.Find("header").Length() == 0) {
			t.Errorf("htmx=%v: wrong kind of response", htmx)
		}
		want := map[string]string{
			"customer_code": "お客様コードは「JP」と7桁の数字で入力してください (例: JP0062652)",
			"postal_code":   "郵便番号を入力してください",
			"email":         "メールアドレスの形式が正しくありません",
		}
		for name, msg := range want {
			in := d.Find(`input[name="` + name + `"]`)
			id := in.AttrOr("id", "")
			if in.AttrOr("aria-invalid", "") != "true" {
				t.Errorf("%s: aria-invalid missing", name)
			}
			if !strings.Contains(in.AttrOr("aria-describedby", ""), id+"-error") {
				t.Errorf("%s: error not in aria-describedby", name)
			}
			if got := d.Find("#" + id + "-error").Text(); !strings.Contains(got, msg) {
				t.Errorf("%s: message %q; want %q", name, got, msg)
			}
			if d.Find(`[data-testid="error-summary"] a[href="#`+id+`"]`).Length() != 1 {
				t.Errorf("%s: no summary link", name)
			}
		}
		if v := d.Find(`input[name="customer_code"]`).AttrOr("value", ""); v != "JP12" {
			t.Errorf("typed value not kept: %q", v)
		}
	}
	h.reset.Wait()
	if ev, _ := h.store.RecentAudit(t.Context(), 0, 10); len(ev) != 0 {
		t.Fatalf("invalid input changed something: %+v", ev)
	}
}

func TestForgotValidate(t *testing.T) {
	h := newHarness(t, sqlite(t))
	tok := h.csrf("/password/forgot")
	cases := []struct {
		field, value string
		status       int
		msg          string
	}{
		{"customer_code", "jp００６２６５２", 200, ""},
		{"customer_code", "", 422, "お客様コードを入力してください"},
		{"customer_code", "JP99", 422, "お客様コードは「JP」と7桁の数字で入力してください"},
		{"postal_code", "2440806", 200, ""},
		{"postal_code", "24408", 422, "郵便番号はxxx-xxxxの形式で入力してください (例: 244-0806)"},
		{"email", "nobody@example.co.jp", 200, ""}, // format only: existence is never checked
		{"email", "nobody@", 422, "メールアドレスの形式が正しくありません"},
	}
	for _, c := range cases {
		res := h.post("/password/forgot/validate", url.Values{"_csrf": {tok}, "field": {c.field}, c.field: {c.value}}, true)
		if res.StatusCode != c.status {
			t.Errorf("%s=%q: status %d; want %d", c.field, c.value, res.StatusCode, c.status)
			continue
		}
		d := res.doc(t)
		group := d.Find("#field-" + c.field)
		if group.Length() != 1 || d.Find("input").Length() != 1 {
			t.Errorf("%s: want just that field's fragment, got %s", c.field, res.Body)
		}
		errText := strings.TrimSpace(group.Find(`[data-testid="field-error"]`).Text())
		if c.msg == "" && errText != "" || c.msg != "" && !strings.Contains(errText, c.msg) {
			t.Errorf("%s=%q: error %q; want %q", c.field, c.value, errText, c.msg)
		}
	}
	// A valid field comes back in its normalised form.
	res := h.post("/password/forgot/validate", url.Values{"_csrf": {tok}, "field": {"postal_code"}, "postal_code": {"〒２４４－０８０６"}}, true)
	if v := res.doc(t).Find(`input[name="postal_code"]`).AttrOr("value", ""); v != "244-0806" {
		t.Errorf("normalised postal code: %q; want 244-0806", v)
	}
	res = h.post("/password/forgot/validate", url.Values{"_csrf": {tok}, "field": {"password"}}, true)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d; want 400", res.StatusCode)
	}
}

// TestForgotResponsesIdentical: a match on the main user, on a shared
// user, no match and a throttled account answer byte for byte the same.
func TestForgotResponsesIdentical(t *testing.T) {
	h := newHarness(t, sqlite(t))
	tok := h.csrf("/password/forgot")
	forms := map[string]url.Values{
		"main":     demoForm(tok),
		"shared":   {"_csrf": {tok}, "customer_code": {"JP0062652"}, "postal_code": {"244-0806"}, "email": {"shared@example.co.jp"}},
		"no match": {"_csrf": {tok}, "customer_code": {"JP0000001"}, "postal_code": {"100-0001"}, "email": {"who@example.co.jp"}},
	}
	// Use up the main user's mail allowance so the fourth is throttled.
	for i := 0; i < 3; i++ {
		h.post("/password/forgot", demoForm(tok), true)
	}
	h.reset.Wait()
	forms["throttled"] = demoForm(tok)
	for _, htmx := range []bool{true, false} {
		var first string
		for _, name := range []string{"main", "shared", "no match", "throttled"} {
			res := h.post("/password/forgot", forms[name], htmx)
			got := dump(res)
			if first == "" {
				first = got
			} else if got != first {
				t.Errorf("htmx=%v: %s differs:\n%s\nvs\n%s", htmx, name, got, first)
			}
		}
	}
}

func dump(r response) string {
	var keys []string
	for k := range r.Header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(r.Status + "\n")
	for _, k := range keys {
		b.WriteString(k + ": " + strings.Join(r.Header[k], ",") + "\n")
	}
	b.WriteString(r.Body)
	return b.String()
}

func TestEmbedForgot(t *testing.T) {
	h := newHarness(t, sqlite(t), withConfig(func(c *web.Config) { c.EmbedAllowedOrigins = []string{"https://cms.example.jp"} }))
	res := h.get("/embed/password/forgot")
	if res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self' https://cms.example.jp") || res.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("embed framing: CSP %q XFO %q", csp, res.Header.Get("X-Frame-Options"))
	}
	d := res.doc(t)
	if d.Find("header").Length() != 0 || d.Find(`input[name="embed"]`).AttrOr("value", "") != "1" {
		t.Fatal("embed page must be bare and mark its posts")
	}
	page := h.get("/password/forgot")
	if !strings.Contains(page.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || page.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatal("the normal page must not be frameable")
	}
	tok, _ := d.Find(`input[name="_csrf"]`).Attr("value")
	form := demoForm(tok)
	form.Set("embed", "1")
	if r := h.post("/password/forgot", form, false); r.Header.Get("Location") != "/embed/password/forgot/sent" {
		t.Fatalf("embed plain POST went to %q", r.Header.Get("Location"))
	}
}
