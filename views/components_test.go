package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/hafele-online/reset/app/i18n"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(i18n.WithText(context.Background(), i18n.Japanese()), &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFieldGroup(t *testing.T) {
	f := Field{Name: "postal_code", Label: "郵便番号", Hint: "例: 244-0806", Value: "24408", Type: "text",
		Autocomplete: "postal-code", InputMode: "numeric", Required: true, MaxLength: 16,
		ValidateURL: "/password/forgot/validate"}

	d := render(t, FieldGroup(f))
	in := d.Find("input#f-postal_code")
	if d.Find(`label[for="f-postal_code"]`).Length() != 1 {
		t.Error("label not tied to the input")
	}
	if _, ok := in.Attr("aria-invalid"); ok {
		t.Error("valid field marked invalid")
	}
	if got := in.AttrOr("aria-describedby", ""); got != "f-postal_code-hint" {
		t.Errorf("aria-describedby %q", got)
	}
	if in.AttrOr("data-hx-post", "") != "/password/forgot/validate" || in.AttrOr("data-hx-swap", "") != "outerMorph" ||
		in.AttrOr("data-hx-target", "") != "#field-postal_code" || in.AttrOr("data-hx-vals", "") != `{"field":"postal_code"}` {
		t.Error("inline validation attributes wrong")
	}
	if _, ok := in.Attr("required"); !ok || in.AttrOr("maxlength", "") != "16" || in.AttrOr("value", "") != "24408" {
		t.Error("required, maxlength or value missing")
	}
	if !strings.Contains(d.Find("label").Text(), "必須") {
		t.Error("required marker has no text for screen readers")
	}

	f.Error = "郵便番号はxxx-xxxxの形式で入力してください"
	d = render(t, FieldGroup(f))
	in = d.Find("input#f-postal_code")
	if in.AttrOr("aria-invalid", "") != "true" {
		t.Error("invalid field not marked")
	}
	if got := in.AttrOr("aria-describedby", ""); got != "f-postal_code-hint f-postal_code-error" {
		t.Errorf("aria-describedby %q", got)
	}
	if got := strings.TrimSpace(d.Find("#f-postal_code-error").Text()); !strings.Contains(got, f.Error) {
		t.Errorf("error text %q", got)
	}
}

func TestPasswordFieldNeverEchoesValue(t *testing.T) {
	d := render(t, FieldGroup(Field{Name: "password", Label: "新しいパスワード", Type: "password", Value: "secret-value",
		Autocomplete: "new-password", Reveal: true, LiveValidate: true, ValidateURL: "/password/reset/validate"}))
	in := d.Find("input#f-password")
	if _, ok := in.Attr("value"); ok {
		t.Fatal("a password input carries a value")
	}
	btn := d.Find(`button[data-reveal="f-password"]`)
	if _, hidden := btn.Attr("hidden"); !hidden || btn.AttrOr("type", "") != "button" || btn.AttrOr("aria-controls", "") != "f-password" {
		t.Error("show/hide control must be a hidden (until JS) type=button tied to the input")
	}
	if !strings.Contains(in.AttrOr("data-hx-trigger", ""), "input changed delay") {
		t.Error("the password is not validated while typing")
	}
}

func TestErrorSummary(t *testing.T) {
	d := render(t, ErrorSummary([]FormError{{FieldID: "f-email", Message: "メールアドレスの形式が正しくありません"}}))
	box := d.Find(`[data-testid="error-summary"]`)
	if box.AttrOr("role", "") != "alert" {
		t.Error("summary is not announced")
	}
	if a := box.Find(`a[href="#f-email"]`); a.Length() != 1 || !strings.Contains(a.Text(), "メールアドレス") {
		t.Error("summary lacks a link to the field")
	}
	if render(t, ErrorSummary(nil)).Find(`[data-testid="error-summary"]`).Length() != 0 {
		t.Error("empty summary rendered")
	}
}
