package main

// The browser suite: the real server (started through run, as main does)
// driven by headless Chromium through chromedp. It checks what only a
// browser shows: htmx swaps without page loads, focus and announcements,
// the flow with JavaScript off, keyboard use, axe-core on every state,
// layout from 320 px, and the first-visit page weight. Screenshots of every
// state land in tmp/screenshots/ (git-ignored) for a reviewer to look at.
//
// Without /usr/bin/chromium the suite skips, unless TEST_BROWSER_REQUIRED=1
// (CI) makes that a failure.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// demoMain is the demo customer's main user (cli.go seeds it).
const demoMain = demoMainEmail

// Timeouts: generous for a loaded CI machine, never used as assertions.
const (
	stepTimeout = 20 * time.Second
	waitTimeout = 10 * time.Second
)

// widths are the two viewports every flow runs at.
var widths = []viewport{{375, 812, true}, {1280, 800, false}}

type viewport struct {
	w, h   int64
	mobile bool
}

// requireBrowser skips (or, in CI, fails) when Chromium is not installed.
func requireBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("TEST_BROWSER_REQUIRED") == "1" {
			t.Fatalf("TEST_BROWSER_REQUIRED=1 but %s is missing: apt-get install chromium fonts-noto-cjk", chromiumPath)
		}
		t.Skipf("browser tests skipped: %s not found (apt-get install chromium fonts-noto-cjk; TEST_BROWSER_REQUIRED=1 makes this a failure)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
}

// startAppServer runs the real server on a free port with a fresh SQLite
// database, development mode (dev mailbox, demo data) and the rate limits
// off (the suite asks for many links from one address). It returns the base
// URL; the server stops when the test ends.
func startAppServer(t *testing.T) string {
	t.Helper()
	env := map[string]string{
		"APP_ENV":      "development",
		"LISTEN_ADDR":  "127.0.0.1:0",
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "browser.db"),
		"SECRET_KEY":   testSecret,
		"MAIL_DRIVER":  "dev",
	}
	for _, name := range []string{"RATE_FORGOT_PER_IP", "RATE_LOGIN_PER_IP", "RATE_VALIDATE_PER_IP", "RATE_RESET_PER_IP",
		"RATE_MAILS_PER_CUSTOMER", "RATE_MAILS_PER_EMAIL", "RATE_LOGIN_PER_EMAIL"} {
		env[name] = "off"
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"server"}, mapEnv(env), strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30s")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("server ended before listening: %v\nstderr: %s", err, stderr.String())
		default:
		}
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newBrowser starts one headless Chromium for the test with a fresh
// profile. Tabs are opened from the returned context with newTab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "ja-JP"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// Start the browser now, so a broken install fails here, clearly. (The
	// first Do binds the browser to its context: no timeout context here.)
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return bctx
}

// suite holds what the subtests share: the server, the browser and the
// axe-core figures.
type suite struct {
	base    string
	browser context.Context
	axeJS   string
	shots   string

	mu         sync.Mutex
	axeStates  int
	axeViolate int
	mailSeen   map[string]bool
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	requireBrowser(t)
	axe, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("TEST_BROWSER_REQUIRED") == "1" {
			t.Fatalf("axe-core: %v (run npm ci)", err)
		}
		t.Skipf("browser tests skipped: axe-core not installed (run npm ci): %v", err)
	}
	shots := filepath.Join("..", "..", "tmp", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// figures.txt collects the printed figures, so CI can show them from
	// the one test run (go test hides a passing package's output).
	if err := os.WriteFile(filepath.Join(shots, "figures.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return &suite{
		base:     startAppServer(t),
		browser:  newBrowser(t),
		axeJS:    string(axe),
		shots:    shots,
		mailSeen: map[string]bool{},
	}
}

// tab is one browser tab at one viewport, in its own browser context (its
// own cookies and cache), optionally with JavaScript off.
type tab struct {
	t     *testing.T
	s     *suite
	ctx   context.Context
	vp    viewport
	jsOff bool
}

func (s *suite) newTab(t *testing.T, vp viewport, jsOff bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// Open the tab on its own context (the first Do binds it to that one).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	p := &tab{t: t, s: s, ctx: ctx, vp: vp, jsOff: jsOff}
	p.resize(vp)
	if jsOff {
		p.setScriptsDisabled(true)
	}
	return p
}

// setScriptsDisabled switches the page's JavaScript off (or back on), as
// a user's browser setting would.
func (p *tab) setScriptsDisabled(off bool) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
		return err
	}))
}

func (p *tab) resize(vp viewport) {
	p.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do(chromedp.EmulateViewport(vp.w, vp.h, opts...))
}

// do runs actions with a step timeout and fails the test on error.
func (p *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser (%dpx): %v", p.vp.w, err)
	}
}

// evalJS evaluates expr in the page and decodes its value.
func evalJS[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %q (%dpx): %v", shorten(expr), p.vp.w, err)
	}
	return v
}

// waitJS waits until expr is true in the page. It polls from Go, so it
// survives navigations (an evaluation during a page load may fail; it is
// retried).
func (p *tab) waitJS(what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 1500) : ''"))
			hint := ""
			if strings.Contains(html, "セキュリティ確認ができませんでした") {
				hint = "\nThe server refused a form POST as cross-site (403). A plain form POST from a page served with " +
					"Referrer-Policy: no-referrer carries \"Origin: null\" in Chromium; sameOrigin in app/web/csrf.go must " +
					"accept it when Sec-Fetch-Site is same-origin."
			}
			p.t.Fatalf("waiting for %s (%dpx, %s): not true after %s (last error: %v)%s\npage text:\n%s",
				what, p.vp.w, shorten(expr), waitTimeout, lastErr, hint, html)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// open navigates to path and waits for the page (and, with JS, htmx and
// app.js) to be ready. It sets a marker on window that survives htmx swaps
// but not page loads.
func (p *tab) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.s.base + path))
	p.ready()
}

// ready waits for the current document to be loaded.
func (p *tab) ready() {
	p.t.Helper()
	if p.jsOff {
		p.waitJS("the page to load", `document.readyState === "complete"`)
		return
	}
	p.waitJS("htmx to start", `document.readyState === "complete" && window.htmx && !window.__pageMarker && (window.__pageMarker = Math.random())`)
}

// marker returns the window marker set by ready; it changes on a page load.
func (p *tab) marker() float64 { return evalJS[float64](p, "window.__pageMarker || 0") }

func (p *tab) path() string { return evalJS[string](p, "location.pathname") }

// focusAndType puts the caret in the input (selecting what is there, so it
// is replaced) and types text key by key.
func (p *tab) focusAndType(id, text string) {
	p.t.Helper()
	p.do(chromedp.Focus(chromedp.ID(id)))
	if !p.jsOff {
		evalJS[bool](p, fmt.Sprintf(`(function(){var e=document.getElementById(%q); e.select(); return true})()`, id))
	} else {
		p.do(chromedp.Clear(chromedp.ID(id)))
	}
	p.do(chromedp.KeyEvent(text))
}

// key presses one key (kb.Tab, kb.Enter, …) on whatever has focus.
func (p *tab) key(k string, opts ...chromedp.KeyOption) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(k, opts...))
}

func (p *tab) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

// activeID is the id of the focused element ("" for none).
func (p *tab) activeID() string {
	return evalJS[string](p, `document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ""`)
}

func (p *tab) exists(sel string) bool {
	return evalJS[bool](p, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
}

func (p *tab) text(sel string) string {
	return evalJS[string](p, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.trim()`, sel))
}

// resetLinkPattern finds a reset link's path in a dev-mailbox message.
var resetLinkPattern = regexp.MustCompile(`/password/reset/([A-Za-z0-9_-]{32,})`)

var devMailItem = regexp.MustCompile(`href="/_dev/mail/([^"]+)"`)

// waitResetLink waits for a new message in the dev mailbox (the mail worker
// sends off the request path) and returns the reset link's path.
func (s *suite) waitResetLink(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, m := range devMailItem.FindAllStringSubmatch(httpGet(t, s.base+"/_dev/mail"), -1) {
			id := m[1]
			s.mu.Lock()
			seen := s.mailSeen[id]
			s.mailSeen[id] = true
			s.mu.Unlock()
			if seen {
				continue
			}
			if link := resetLinkPattern.FindString(httpGet(t, s.base+"/_dev/mail/"+id)); link != "" {
				return link
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new reset mail in /_dev/mail after %s", waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// markMailSeen records the messages already in the mailbox.
func (s *suite) markMailSeen(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range devMailItem.FindAllStringSubmatch(httpGet(t, s.base+"/_dev/mail"), -1) {
		s.mailSeen[m[1]] = true
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return string(b)
}

// figure prints a measured figure and keeps it in tmp/screenshots/figures.txt.
func (s *suite) figure(line string) {
	fmt.Println(line)
	f, err := os.OpenFile(filepath.Join(s.shots, "figures.txt"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}
