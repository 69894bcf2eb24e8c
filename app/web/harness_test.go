package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/devmail"
	"github.com/hafele-online/reset/app/web"
	"github.com/hafele-online/reset/assets"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/db/dbtest"
	"github.com/hafele-online/reset/views"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is the whole service on one database, driven through app.Test.
type harness struct {
	t      testing.TB
	app    *fiber.App
	store  *db.Store
	clock  *clock
	reset  *app.ResetService
	worker *app.MailWorker
	mail   *devmail.Mailbox
	hasher *app.Hasher
	// cookies is a tiny cookie jar: name -> value (paths ignored except for
	// the reset cookie, which the handlers only read under /password/reset).
	cookies map[string]string
}

var testParams = app.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// setup is what options may change before the harness is built.
type setup struct {
	cfg    web.Config
	limits app.Limits
	log    io.Writer
}

type option func(*setup)

func withConfig(fn func(*web.Config)) option { return func(s *setup) { fn(&s.cfg) } }
func withLimits(fn func(*app.Limits)) option { return func(s *setup) { fn(&s.limits) } }
func withLog(w io.Writer) option             { return func(s *setup) { s.log = w } }

func newHarness(t testing.TB, bdb *bun.DB, opts ...option) *harness {
	t.Helper()
	store := db.NewStore(bdb)
	cl := &clock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	keys, err := app.NewKeys([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := app.NewHasher(testParams, 2)
	if err != nil {
		t.Fatal(err)
	}
	st := setup{cfg: web.Config{BaseURL: "http://portal.test", PasswordMinLength: 8}, limits: app.DefaultLimits(), log: io.Discard}
	for _, o := range opts {
		o(&st)
	}
	cfg, limits := st.cfg, st.limits
	logger := slog.New(slog.NewTextHandler(st.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	limiter := app.Limiter{Store: store, Clock: cl.Now}
	mail := devmail.New(logger, cfg.Production)
	reset := &app.ResetService{Store: store, Keys: keys, Clock: cl.Now, Hasher: hasher,
		Policy: app.NewPasswordPolicy(8), Limiter: limiter, Limits: limits, TokenTTL: 24 * time.Hour,
		BaseURL: cfg.BaseURL, Logger: logger}
	auth := &app.AuthService{Store: store, Hasher: hasher, Clock: cl.Now, Limiter: limiter, Limits: limits, Logger: logger}
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	worker := &app.MailWorker{Store: store, Composer: views.NewComposer("ハーフェレオンライン <noreply@portal.test>"),
		Mailer: mail, Keys: keys, Clock: cl.Now, Logger: logger}
	f := web.New(cfg, web.Deps{Reset: reset, Auth: auth, Limiter: limiter, Limits: limits, Store: store,
		Keys: keys, Assets: set, Clock: cl.Now, Logger: logger, DevMail: mail})
	h := &harness{t: t, app: f, store: store, clock: cl, reset: reset, worker: worker, mail: mail,
		hasher: hasher, cookies: map[string]string{}}
	h.seed()
	return h
}

func (h *harness) seed() {
	ctx := context.Background()
	c := app.Customer{Code: "JP0062652", PostalCode: "244-0806", Company: "ハーフェレ・デモ株式会社", CreatedAt: h.clock.Now()}
	if err := h.store.CreateCustomer(ctx, &c); err != nil {
		h.t.Fatal(err)
	}
	for _, u := range []app.User{
		{CustomerID: c.ID, Email: "main@example.co.jp", Role: app.RoleMain},
		{CustomerID: c.ID, Email: "shared@example.co.jp", Role: app.RoleShared},
	} {
		u.CreatedAt, u.UpdatedAt = h.clock.Now(), h.clock.Now()
		if err := h.store.CreateUser(ctx, &u); err != nil {
			h.t.Fatal(err)
		}
	}
}

// response is a read response.
type response struct {
	*http.Response
	Body string
}

func (r response) doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// do sends a request with the jar's cookies and keeps the ones set.
func (h *harness) do(req *http.Request) response {
	h.t.Helper()
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "harness/1.0")
	}
	for name, v := range h.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	res, err := h.app.Test(req, -1)
	if err != nil {
		h.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(h.cookies, c.Name)
		} else {
			h.cookies[c.Name] = c.Value
		}
	}
	return response{Response: res, Body: string(body)}
}

func (h *harness) get(path string, headers ...string) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.do(req)
}

// post sends a form; htmx adds HX-Request: true.
func (h *harness) post(path string, form url.Values, htmx bool, headers ...string) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.do(req)
}

// csrf fetches a page and returns its form's CSRF token.
func (h *harness) csrf(path string) string {
	h.t.Helper()
	res := h.get(path)
	tok, ok := res.doc(h.t).Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || tok == "" {
		h.t.Fatalf("no CSRF token on %s (status %d)", path, res.StatusCode)
	}
	return tok
}

// deliver runs the mail worker once after the background work is done.
func (h *harness) deliver() {
	h.t.Helper()
	h.reset.Wait()
	if _, err := h.worker.RunOnce(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

var linkRe = regexp.MustCompile(`http://portal\.test/password/reset/[A-Za-z0-9_-]+`)

// resetLink reads the newest email to addr and returns the link's path.
func (h *harness) resetLink(addr string) string {
	h.t.Helper()
	h.deliver()
	for _, m := range h.mail.Messages() {
		if m.Mail.To == addr {
			link := linkRe.FindString(m.Mail.Text)
			if link == "" {
				h.t.Fatalf("newest mail to %s has no link: %q", addr, m.Mail.Subject)
			}
			return strings.TrimPrefix(link, "http://portal.test")
		}
	}
	h.t.Fatalf("no mail to %s", addr)
	return ""
}

func forEach(t *testing.T, fn func(t *testing.T, bdb *bun.DB)) { dbtest.ForEach(t, fn) }

func sqlite(t testing.TB) *bun.DB { return dbtest.OpenSQLite(t) }

func mustPrefixes(cidrs ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range cidrs {
		out = append(out, netip.MustParsePrefix(c))
	}
	return out
}

// listen serves the app on a loopback port for tests that need a real
// connection, and returns its base URL.
func (h *harness) listen() string {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	go func() { _ = h.app.Listener(ln) }()
	h.t.Cleanup(func() { _ = h.app.Shutdown() })
	return "http://" + ln.Addr().String()
}
