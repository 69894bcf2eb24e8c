package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowser is the whole browser suite on one server and one Chromium.
// Subtests run in order: each password change is the next one's "old"
// password, and the mailbox is shared.
func TestBrowser(t *testing.T) {
	s := newSuite(t)
	for _, vp := range widths {
		t.Run(fmt.Sprintf("flow-js-%d", vp.w), func(t *testing.T) { s.flowJS(t, vp) })
	}
	for _, vp := range widths {
		t.Run(fmt.Sprintf("flow-nojs-%d", vp.w), func(t *testing.T) { s.flowNoJS(t, vp) })
	}
	for _, vp := range widths {
		t.Run(fmt.Sprintf("keyboard-%d", vp.w), func(t *testing.T) { s.keyboardOnly(t, vp) })
	}
	t.Run("reflow-320", func(t *testing.T) { s.reflow320(t) })
	t.Run("page-weight", func(t *testing.T) { s.pageWeight(t) })

	s.mu.Lock()
	defer s.mu.Unlock()
	t.Logf("axe: %d states, %d violations", s.axeStates, s.axeViolate)
	s.figure(fmt.Sprintf("axe: %d states, %d violations", s.axeStates, s.axeViolate))
	if s.axeStates == 0 && !t.Failed() {
		t.Error("axe ran on no state")
	}
}

// flowJS is the full flow with JavaScript on: inline validation, htmx
// swaps without page loads, focus and announcements, login.
func (s *suite) flowJS(t *testing.T, vp viewport) {
	p := s.newTab(t, vp, false)
	p.open("/password/forgot")
	p.state("forgot-empty")
	marker := p.marker()

	// Phones and password managers: the right keyboard and autofill.
	want := "customer_code:text:off: postal_code:text:postal-code:numeric email:email:email:email"
	if got := evalJS[string](p, `[...document.querySelectorAll("#forgot-form input:not([type=hidden])")].map(e => [e.name, e.type, e.autocomplete, e.inputMode].join(":")).join(" ")`); got != want {
		t.Errorf("request form inputs\n got %s\nwant %s", got, want)
	}

	// A wrong value shows its message when the user leaves the field; the
	// field group is morphed (outerMorph), so the input is the same element
	// afterwards, with its value.
	evalJS[bool](p, `document.getElementById("f-customer_code").__sameNode = true`)
	p.focusAndType("f-customer_code", "ＪＰ１２")
	p.key(kb.Tab)
	p.waitJS("the customer code error", `document.querySelector("#f-customer_code-error")`)
	if !evalJS[bool](p, `document.getElementById("f-customer_code").__sameNode === true && document.getElementById("f-customer_code").value === "ＪＰ１２"`) {
		t.Error("the customer code input was replaced, not morphed, or lost its value")
	}
	if got := p.text("#f-customer_code-error"); !strings.Contains(got, "JP") {
		t.Errorf("customer code error = %q; want the JP + 7 digits rule", got)
	}
	if got := evalJS[string](p, `document.getElementById("f-customer_code").getAttribute("aria-invalid") + " " + document.getElementById("f-customer_code").getAttribute("aria-describedby")`); got != "true f-customer_code-hint f-customer_code-error" {
		t.Errorf("invalid customer code input: aria-invalid aria-describedby = %q", got)
	}
	if id := p.activeID(); id != "f-postal_code" {
		t.Errorf("focus after Tab from the customer code = %q; want f-postal_code (the swap must not steal focus)", id)
	}
	p.state("forgot-error-code")

	p.focusAndType("f-postal_code", "244")
	p.key(kb.Tab)
	p.waitJS("the postal code error", `document.querySelector("#f-postal_code-error")`)
	p.focusAndType("f-email", "main@example")
	p.key(kb.Tab)
	p.waitJS("the email error", `document.querySelector("#f-email-error")`)
	p.state("forgot-error-inline")

	// Fixed values (full-width, as a Japanese IME types them): the errors go.
	p.focusAndType("f-customer_code", "ｊｐ００６２６５２")
	p.key(kb.Tab)
	p.waitJS("the customer code error to go", `!document.querySelector("#f-customer_code-error") && !document.getElementById("f-customer_code").hasAttribute("aria-invalid")`)
	p.waitJS("the customer code shown normalised", `document.getElementById("f-customer_code").value === "JP0062652"`)
	p.focusAndType("f-postal_code", "２４４－０８０６")
	p.key(kb.Tab)
	p.waitJS("the postal code error to go", `!document.querySelector("#f-postal_code-error")`)
	p.focusAndType("f-email", "MAIN@example.co.jp")
	p.key(kb.Tab)
	p.waitJS("the email error to go", `!document.querySelector("#f-email-error")`)
	if p.marker() != marker {
		t.Fatal("inline validation reloaded the page")
	}

	// A failed submit: the form comes back with the summary, focus on the
	// first invalid field.
	p.focusAndType("f-postal_code", "１２")
	p.click("#forgot-form button[type=submit]")
	p.waitJS("the error summary", `document.querySelector("[data-testid=error-summary]")`)
	p.waitJS("focus on the first invalid field", `document.activeElement && document.activeElement.id === "f-postal_code"`)
	if got := evalJS[string](p, `document.querySelector("[data-testid=error-summary] a").getAttribute("href")`); got != "#f-postal_code" {
		t.Errorf("summary link = %q; want #f-postal_code", got)
	}
	p.waitJS("the live region to announce the summary", `document.getElementById("live-region").textContent.length > 0`)
	if p.marker() != marker {
		t.Fatal("the failed submit reloaded the page; want an htmx swap")
	}
	p.state("forgot-error-summary")

	// The summary link moves focus into its field.
	p.do(chromedp.Focus(chromedp.ID("f-customer_code")))
	p.click("[data-testid=error-summary] a")
	p.waitJS("focus in the field the summary link names", `document.activeElement.id === "f-postal_code"`)

	// Submit right: the confirmation replaces the form, no page load.
	s.markMailSeen(t)
	p.focusAndType("f-postal_code", "2440806")
	p.click("#forgot-form button[type=submit]")
	p.waitJS("the confirmation", `document.querySelector("[data-testid=forgot-sent]")`)
	if p.marker() != marker {
		t.Fatal("the submit reloaded the page; want an htmx swap")
	}
	if p.path() != "/password/forgot" {
		t.Errorf("path after the htmx submit = %q", p.path())
	}
	p.waitJS("focus on the confirmation heading", `document.activeElement && document.activeElement.matches("#forgot-sent h1")`)
	p.waitJS("the live region to announce the confirmation", `document.getElementById("live-region").textContent.indexOf("ご連絡ありがとうございます") >= 0`)
	p.state("forgot-sent")

	// The emailed link.
	link := s.waitResetLink(t)
	p.open("/password/reset/not-a-real-token-at-all")
	p.waitJS("the invalid-link page", `document.querySelector("[data-testid=reset-invalid]")`)
	p.state("reset-invalid")

	p.open(link)
	if p.path() != "/password/reset" {
		t.Errorf("the link landed on %q; want /password/reset (token out of the URL)", p.path())
	}
	p.waitJS("the new-password form", `document.querySelector("#reset-form")`)
	if got := evalJS[string](p, `[...document.querySelectorAll("#reset-form input")].map(e => e.name + ":" + e.type + ":" + e.autocomplete).join(" ")`); !strings.Contains(got, "username:text:username") ||
		!strings.Contains(got, "password:password:new-password") || !strings.Contains(got, "password_confirm:password:new-password") {
		t.Errorf("reset form inputs = %q; want a username field and two new-password fields", got)
	}
	p.state("reset-form")
	marker = p.marker()

	// The length rule shows while typing, and goes when the password is
	// long enough.
	pw := fmt.Sprintf("Sakura-Kaede-%d-momiji", vp.w)
	p.focusAndType("f-password", "abc")
	p.waitJS("the length error while typing", `(document.querySelector("#f-password-error")||{}).textContent && document.querySelector("#f-password-error").textContent.indexOf("8文字以上") >= 0`)
	if id := p.activeID(); id != "f-password" {
		t.Errorf("focus while typing moved to %q; want it kept in f-password", id)
	}
	p.state("reset-error-short")
	p.key(pw[3:])
	p.waitJS("the length error to go", `!document.querySelector("#f-password-error")`)
	if got := evalJS[string](p, `document.getElementById("f-password").value`); got != "abc"+pw[3:] {
		t.Errorf("password input holds %q after the morphs; want what was typed", got)
	}
	p.focusAndType("f-password", pw)
	p.focusAndType("f-password_confirm", pw+"x")
	p.key(kb.Tab)
	p.waitJS("the mismatch error", `(document.querySelector("#f-password_confirm-error")||{}).textContent && document.querySelector("#f-password_confirm-error").textContent.indexOf("一致しません") >= 0`)
	p.state("reset-error-mismatch")

	// A failed submit puts focus on the first invalid field.
	p.click("#reset-form button[type=submit]")
	p.waitJS("the reset error summary", `document.querySelector("#reset-form [data-testid=error-summary]")`)
	p.waitJS("focus on the first invalid field", `document.activeElement && document.activeElement.getAttribute("aria-invalid") === "true"`)
	p.state("reset-error-summary")

	p.focusAndType("f-password", pw)
	p.focusAndType("f-password_confirm", pw)
	p.click("#reset-form button[type=submit]")
	p.waitJS("the success fragment", `document.querySelector("[data-testid=reset-done]")`)
	if p.marker() != marker {
		t.Fatal("the password submit reloaded the page; want an htmx swap")
	}
	p.waitJS("focus on the success message", `document.activeElement && document.activeElement.closest("[data-testid=reset-done]") && document.activeElement.hasAttribute("data-autofocus")`)
	p.waitJS("the live region to announce the success", `document.getElementById("live-region").textContent.indexOf("パスワードが変更されました") >= 0`)
	p.state("reset-done")

	// 今すぐログイン → login with the new password → account.
	p.click("[data-testid=reset-done] a.btn-primary")
	p.ready()
	if p.path() != "/login" {
		t.Fatalf("今すぐログイン led to %q; want /login", p.path())
	}
	p.state("login")
	p.focusAndType("f-email", demoMain)
	p.focusAndType("f-password", "wrong-password-123")
	p.click("#login-form button[type=submit]")
	p.ready()
	p.waitJS("the login failure message", `document.querySelector("[data-testid=login-error]")`)
	p.waitJS("focus on the login failure message", `document.activeElement && document.activeElement.closest("[data-testid=login-error]")`)
	p.state("login-failed")
	p.focusAndType("f-password", pw)
	p.click("#login-form button[type=submit]")
	p.ready()
	p.waitJS("the account page", `document.querySelector("[data-testid=account]")`)
	if got := p.text("[data-testid=account-code]"); got != demoCode {
		t.Errorf("account customer code = %q; want %s", got, demoCode)
	}
	if got := p.text("[data-testid=account-role]"); !strings.Contains(got, "メイン") {
		t.Errorf("account role = %q; want the main user", got)
	}
	p.state("account")
}

// flowNoJS is the same flow with JavaScript disabled: every step is a full
// page (plain POST, 303, GET).
func (s *suite) flowNoJS(t *testing.T, vp viewport) {
	p := s.newTab(t, vp, true)
	p.open("/password/forgot")
	if evalJS[bool](p, `!!window.htmx`) {
		t.Fatal("htmx ran although JavaScript is disabled")
	}
	// A wrong submit: the whole page comes back with the summary (422).
	p.focusAndType("f-customer_code", "JP12")
	p.focusAndType("f-postal_code", "２４４－０８０６")
	p.click("#forgot-form button[type=submit]")
	p.waitJS("the error page with its summary", `document.readyState === "complete" && document.querySelector("[data-testid=error-summary]")`)
	if got := p.text("#f-customer_code-error"); got == "" {
		t.Error("no customer code message after the plain POST")
	}
	// A valid field comes back normalised, so the user sees what counts.
	if got := evalJS[string](p, `document.getElementById("f-postal_code").value`); got != "244-0806" {
		t.Errorf("postal code after the failed POST = %q; want it normalised to 244-0806", got)
	}
	p.state("nojs-forgot-error-summary")

	s.markMailSeen(t)
	p.focusAndType("f-customer_code", "jp0062652")
	p.focusAndType("f-email", demoMain)
	p.click("#forgot-form button[type=submit]")
	p.waitJS("the confirmation page", `location.pathname === "/password/forgot/sent" && document.readyState === "complete"`)
	if !p.exists("[data-testid=forgot-sent]") {
		t.Fatal("the sent page lacks the confirmation")
	}
	p.state("nojs-forgot-sent")

	link := s.waitResetLink(t)
	p.open(link)
	p.waitJS("the new-password form", `location.pathname === "/password/reset" && document.querySelector("#reset-form")`)
	if evalJS[bool](p, `!document.querySelector("button[data-reveal]").hidden`) {
		t.Error("the show-password button is visible without JavaScript (it cannot work)")
	}
	pw := fmt.Sprintf("Ginkgo-Ajisai-%d-tsubaki", vp.w)
	p.focusAndType("f-password", "short")
	p.focusAndType("f-password_confirm", "short")
	p.click("#reset-form button[type=submit]")
	p.waitJS("the password errors", `document.readyState === "complete" && document.querySelector("#f-password-error")`)
	p.state("nojs-reset-error-summary")
	p.focusAndType("f-password", pw)
	p.focusAndType("f-password_confirm", pw)
	p.click("#reset-form button[type=submit]")
	p.waitJS("the done page", `location.pathname === "/password/reset/done" && document.readyState === "complete"`)
	p.state("nojs-reset-done")
	p.click("a.btn-primary[href='/login']")
	p.waitJS("the login page", `location.pathname === "/login" && document.readyState === "complete"`)
	p.focusAndType("f-email", demoMain)
	p.focusAndType("f-password", pw)
	p.click("#login-form button[type=submit]")
	p.waitJS("the account page", `location.pathname === "/account" && document.readyState === "complete"`)
	if got := p.text("[data-testid=account-code]"); got != demoCode {
		t.Errorf("account customer code = %q; want %s", got, demoCode)
	}
	p.state("nojs-account")
}

// keyboardOnly walks the request form and the new-password form with Tab,
// typing and Enter only, checking that each focused control shows a focus
// indicator.
func (s *suite) keyboardOnly(t *testing.T, vp viewport) {
	p := s.newTab(t, vp, false)
	p.open("/password/forgot")
	marker := p.marker()

	// The first Tab lands on the skip link; Enter moves to the content.
	p.key(kb.Tab)
	if got := evalJS[string](p, `document.activeElement.getAttribute("href") || ""`); got != "#main" {
		t.Errorf("first Tab focused %q; want the skip link to #main", got)
	}
	p.assertFocusVisible("skip link")
	p.tabTo("f-customer_code", 20)
	p.key("jp0062652")
	p.tabTo("f-postal_code", 2)
	p.key("2440806")
	p.tabTo("f-email", 2)
	p.key(demoMain)
	s.markMailSeen(t)
	p.tabToSelector("#forgot-form button[type=submit]", 4)
	p.key(kb.Enter)
	p.waitJS("the confirmation", `document.querySelector("[data-testid=forgot-sent]")`)
	p.waitJS("focus on the confirmation heading", `document.activeElement && document.activeElement.matches("#forgot-sent h1")`)
	if p.marker() != marker {
		t.Error("the keyboard submit reloaded the page")
	}

	link := s.waitResetLink(t)
	p.open(link)
	pw := fmt.Sprintf("Keyboard-Only-%d-hotaru", vp.w)
	p.tabTo("f-password", 25)
	p.key(pw)
	p.tabToSelector("button[data-reveal][aria-controls=f-password]", 1)
	p.key(kb.Enter) // show the password
	p.waitJS("the password shown", `document.getElementById("f-password").type === "text"`)
	if got := evalJS[string](p, `document.querySelector("button[data-reveal][aria-controls=f-password]").getAttribute("aria-pressed")`); got != "true" {
		t.Errorf("show-password aria-pressed = %q; want true", got)
	}
	p.tabTo("f-password_confirm", 1)
	p.key(pw)
	p.tabToSelector("#reset-form button[type=submit]", 2)
	p.key(kb.Enter)
	p.waitJS("the success fragment", `document.querySelector("[data-testid=reset-done]")`)
	p.tabToSelector("[data-testid=reset-done] a.btn-primary", 3)
	p.key(kb.Enter)
	p.ready()
	p.tabTo("f-email", 20)
	p.key(demoMain)
	p.tabTo("f-password", 1)
	p.key(pw)
	p.key(kb.Enter)
	p.ready()
	p.waitJS("the account page", `document.querySelector("[data-testid=account]")`)
}

// tabTo presses Tab until the element with id has focus.
func (p *tab) tabTo(id string, max int) {
	p.t.Helper()
	p.tabToSelector("#"+id, max)
}

func (p *tab) tabToSelector(sel string, max int) {
	p.t.Helper()
	for i := 0; i < max; i++ {
		p.key(kb.Tab)
		if evalJS[bool](p, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel)) {
			p.assertFocusVisible(sel)
			return
		}
	}
	p.t.Fatalf("%d Tabs did not reach %s (focus is on %s)", max, sel, p.activeID())
}

// assertFocusVisible checks that the focused element draws an outline or a
// ring (box-shadow) while focused from the keyboard.
func (p *tab) assertFocusVisible(what string) {
	p.t.Helper()
	ok := evalJS[bool](p, `(function(){var e=document.activeElement, s=getComputedStyle(e);
	  return e.matches(":focus-visible") && ((s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== "none"));})()`)
	if !ok {
		p.t.Errorf("%s (%dpx): focused from the keyboard but shows no focus indicator", what, p.vp.w)
	}
}

// reflow320 checks the pages at 320 px wide (WCAG 1.4.10) in their
// widest states.
func (s *suite) reflow320(t *testing.T) {
	vp := viewport{320, 640, true}
	p := s.newTab(t, vp, false)
	p.open("/password/forgot")
	p.focusAndType("f-customer_code", "x")
	p.focusAndType("f-email", "x")
	p.click("#forgot-form button[type=submit]")
	p.waitJS("the error summary", `document.querySelector("[data-testid=error-summary]")`)
	p.state("forgot-error-summary")
	p.open("/password/reset")
	p.state("reset-invalid")
	p.open("/login")
	p.state("login")
}
