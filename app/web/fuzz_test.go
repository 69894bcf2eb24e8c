package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hafele-online/reset/app"
)

// FuzzForgotSubmit throws arbitrary field values at the request handler:
// it must answer 200 or 422 (never a 5xx), never reflect markup unescaped,
// and a 200 must be the one confirmation every request gets.
func FuzzForgotSubmit(f *testing.F) {
	seeds := [][3]string{
		{"JP0062652", "244-0806", "main@example.co.jp"},
		{"ｊｐ００６２６５２", "〒２４４－０８０６", "ｍａｉｎ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"},
		{"", "", ""},
		{"<script>alert(1)</script>", "'; DROP TABLE users;--", "a@b.c\r\nBcc: x@y.z"},
		{"\xff\xfe", "\x00", "\u202e@\u200b"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	h := newHarness(f, sqlite(f), withLimits(func(l *app.Limits) { *l = app.Limits{} }))
	tok := h.csrf("/password/forgot")
	var confirmation string
	f.Fuzz(func(t *testing.T, code, postal, email string) {
		h.t = t // helpers must report to the running input, not to f
		form := url.Values{"_csrf": {tok}, "customer_code": {code}, "postal_code": {postal}, "email": {email}}
		if len(form.Encode()) > 16*1024 {
			return // the body limit's business (413), tested elsewhere
		}
		res := h.post("/password/forgot", form, true)
		switch res.StatusCode {
		case http.StatusOK:
			if confirmation == "" {
				confirmation = res.Body
			} else if res.Body != confirmation {
				t.Fatalf("a second, different confirmation for %q %q %q", code, postal, email)
			}
		case http.StatusUnprocessableEntity:
			if !strings.Contains(res.Body, `data-testid="field-error"`) {
				t.Fatalf("422 without a message for %q %q %q", code, postal, email)
			}
		default:
			t.Fatalf("status %d for %q %q %q", res.StatusCode, code, postal, email)
		}
		if strings.Contains(res.Body, "<script>alert") {
			t.Fatal("markup reflected unescaped")
		}
	})
}

// FuzzResetLink: any token in the URL ends at the invalid-link page or
// the form, never a 5xx.
func FuzzResetLink(f *testing.F) {
	tok, _ := app.NewResetToken()
	for _, s := range []string{tok, "garbage", strings.Repeat("A", 43), "%00", "..%2f..%2f", strings.Repeat("x", 4096)} {
		f.Add(s)
	}
	h := newHarness(f, sqlite(f))
	f.Fuzz(func(t *testing.T, token string) {
		h.t = t
		req, err := http.NewRequest(http.MethodGet, "/password/reset/"+url.PathEscape(token), nil)
		if err != nil {
			return
		}
		res := h.do(req)
		if res.StatusCode >= 500 {
			t.Fatalf("status %d for %q", res.StatusCode, token)
		}
	})
}
