package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/db/dbtest"
)

// clock is a settable test clock.
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

type fixture struct {
	store  *db.Store
	clock  *clock
	keys   *app.Keys
	reset  *app.ResetService
	auth   *app.AuthService
	hasher *app.Hasher
	main   app.User
	shared app.User
	cust   app.Customer
}

var testParams = app.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newFixture(t *testing.T, bdb *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{store: db.NewStore(bdb), clock: &clock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}}
	var err error
	if f.keys, err = app.NewKeys([]byte(strings.Repeat("s", 32))); err != nil {
		t.Fatal(err)
	}
	if f.hasher, err = app.NewHasher(testParams, 2); err != nil {
		t.Fatal(err)
	}
	limiter := app.Limiter{Store: f.store, Clock: f.clock.Now}
	f.reset = &app.ResetService{Store: f.store, Keys: f.keys, Clock: f.clock.Now, Hasher: f.hasher,
		Policy: app.NewPasswordPolicy(8), Limiter: limiter, Limits: app.DefaultLimits(),
		TokenTTL: 24 * time.Hour, BaseURL: "https://portal.example.jp"}
	f.auth = &app.AuthService{Store: f.store, Hasher: f.hasher, Clock: f.clock.Now, Limiter: limiter, Limits: app.DefaultLimits()}
	f.cust = app.Customer{Code: "JP0062652", PostalCode: "244-0806", Company: "ハーフェレ・デモ株式会社", CreatedAt: f.clock.Now()}
	if err := f.store.CreateCustomer(ctx, &f.cust); err != nil {
		t.Fatal(err)
	}
	f.main = app.User{CustomerID: f.cust.ID, Email: "Main@Example.co.jp", Role: app.RoleMain, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	f.shared = app.User{CustomerID: f.cust.ID, Email: "shared@example.co.jp", Role: app.RoleShared, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	for _, u := range []*app.User{&f.main, &f.shared} {
		if err := f.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// request submits the form and waits for the background work.
func (f *fixture) request(t *testing.T, form app.ResetRequestForm) {
	t.Helper()
	if err := f.reset.RequestReset(context.Background(), form, app.Client{IP: "192.0.2.1", UserAgent: "test"}); err != nil {
		t.Fatalf("RequestReset: %v", err)
	}
	f.reset.Wait()
}

// mails returns the queued messages with their opened payloads.
func (f *fixture) mails(t *testing.T) []queued {
	t.Helper()
	msgs, err := f.store.ClaimMail(context.Background(), f.clock.Now().Add(time.Hour), time.Second, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []queued
	for _, m := range msgs {
		plain, err := f.keys.OpenPayload(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var d app.MailData
		if err := json.Unmarshal(plain, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, queued{Kind: m.Kind, UserID: m.UserID, Data: d})
		if err := f.store.MarkMailSent(context.Background(), m.ID, "test", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

type queued struct {
	Kind   app.MailKind
	UserID int64
	Data   app.MailData
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	i := strings.LastIndex(link, "/password/reset/")
	if i < 0 {
		t.Fatalf("no token in link %q", link)
	}
	return link[i+len("/password/reset/"):]
}

var demo = app.ResetRequestForm{CustomerCode: "ｊｐ００６２６５２", PostalCode: "２４４０８０６", Email: "MAIN@example.co.jp"}

func TestRequestReset(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		f := newFixture(t, bdb)
		f.request(t, demo)
		mails := f.mails(t)
		if len(mails) != 1 || mails[0].Kind != app.MailReset || mails[0].UserID != f.main.ID {
			t.Fatalf("main user: got %+v; want one reset mail", mails)
		}
		d := mails[0].Data
		if d.To != "Main@Example.co.jp" || d.CustomerCode != "JP0062652" || d.ExpiresInHours != 24 {
			t.Fatalf("mail data %+v: want the stored address, the real code and 24h", d)
		}
		if !strings.HasPrefix(d.Link, "https://portal.example.jp/password/reset/") {
			t.Fatalf("link %q", d.Link)
		}
		if _, err := f.reset.CheckToken(context.Background(), tokenOf(t, d.Link)); err != nil {
			t.Fatalf("fresh token: %v", err)
		}

		// Shared user: the ask-your-main-user mail, no token.
		f.request(t, app.ResetRequestForm{CustomerCode: "JP0062652", PostalCode: "244-0806", Email: "shared@example.co.jp"})
		mails = f.mails(t)
		if len(mails) != 1 || mails[0].Kind != app.MailAskMainUser || mails[0].Data.Link != "" || mails[0].UserID != f.shared.ID {
			t.Fatalf("shared user: got %+v", mails)
		}

		// Any one field wrong: nothing is sent.
		for _, form := range []app.ResetRequestForm{
			{CustomerCode: "JP0062653", PostalCode: "244-0806", Email: "main@example.co.jp"},
			{CustomerCode: "JP0062652", PostalCode: "244-0807", Email: "main@example.co.jp"},
			{CustomerCode: "JP0062652", PostalCode: "244-0806", Email: "other@example.co.jp"},
		} {
			f.request(t, form)
		}
		if mails := f.mails(t); len(mails) != 0 {
			t.Fatalf("no match: got %d mails", len(mails))
		}
		events, err := f.store.RecentAudit(context.Background(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []string
		for _, e := range events {
			if e.Kind == app.AuditResetRequested {
				outcomes = append(outcomes, e.Detail)
			}
		}
		if got := strings.Join(outcomes, ","); got != "no_match,no_match,no_match,matched_shared,matched_main" {
			t.Fatalf("audit outcomes %s", got)
		}
	})
}

func TestRequestResetValidation(t *testing.T) {
	f := newFixture(t, dbtest.OpenSQLite(t))
	err := f.reset.RequestReset(context.Background(), app.ResetRequestForm{CustomerCode: "JP1", Email: "x"}, app.Client{})
	errs, ok := app.AsValidation(err)
	if !ok || len(errs) != 3 {
		t.Fatalf("got %v; want three field errors", err)
	}
	f.reset.Wait()
	if events, _ := f.store.RecentAudit(context.Background(), 0, 10); len(events) != 0 {
		t.Fatalf("an invalid form changed something: %+v", events)
	}
}

func TestRequestResetPerAccountLimit(t *testing.T) {
	f := newFixture(t, dbtest.OpenSQLite(t))
	for i := 0; i < 5; i++ {
		f.request(t, demo)
	}
	if got := len(f.mails(t)); got != 3 {
		t.Fatalf("%d mails in an hour; want 3", got)
	}
	f.clock.Add(time.Hour)
	f.request(t, demo)
	if got := len(f.mails(t)); got != 1 {
		t.Fatalf("next hour: %d mails; want 1", got)
	}
}

func (f *fixture) issue(t *testing.T) string {
	t.Helper()
	f.request(t, demo)
	mails := f.mails(t)
	if len(mails) != 1 {
		t.Fatalf("want one mail, got %d", len(mails))
	}
	return tokenOf(t, mails[0].Data.Link)
}

const newPassword = "kirschbaum-schublade-7"

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	cl := app.Client{IP: "192.0.2.1"}
	cases := []struct {
		name string
		// kill makes the token unusable (or not) and says whether it should be.
		kill func(t *testing.T, f *fixture, tok string) (wantValid bool)
	}{
		{"valid", func(t *testing.T, f *fixture, tok string) bool { return true }},
		{"valid just before expiry", func(t *testing.T, f *fixture, tok string) bool {
			f.clock.Add(24*time.Hour - time.Second)
			return true
		}},
		{"expired", func(t *testing.T, f *fixture, tok string) bool {
			f.clock.Add(24 * time.Hour)
			return false
		}},
		{"spent", func(t *testing.T, f *fixture, tok string) bool {
			if err := f.reset.ResetPassword(ctx, tok, newPassword, newPassword, cl); err != nil {
				t.Fatal(err)
			}
			return false
		}},
		{"revoked by a newer token", func(t *testing.T, f *fixture, tok string) bool {
			f.issue(t)
			return false
		}},
		{"revoked by a password change", func(t *testing.T, f *fixture, tok string) bool {
			// A second link, then the password is changed with the first.
			f.clock.Add(time.Minute)
			second := f.issue(t)
			if err := f.reset.ResetPassword(ctx, second, newPassword, newPassword, cl); err != nil {
				t.Fatal(err)
			}
			return false
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
				f := newFixture(t, bdb)
				tok := f.issue(t)
				want := tc.kill(t, f, tok)
				_, err := f.reset.CheckToken(ctx, tok)
				if want && err != nil {
					t.Fatalf("CheckToken: %v; want valid", err)
				}
				if !want && !errors.Is(err, app.ErrInvalidToken) {
					t.Fatalf("CheckToken: %v; want ErrInvalidToken", err)
				}
				err = f.reset.ResetPassword(ctx, tok, newPassword, newPassword, cl)
				if want && err != nil {
					t.Fatalf("ResetPassword: %v", err)
				}
				if !want && !errors.Is(err, app.ErrInvalidToken) {
					t.Fatalf("ResetPassword: %v; want ErrInvalidToken", err)
				}
			})
		})
	}
}

func TestCheckTokenRejectsGarbage(t *testing.T) {
	f := newFixture(t, dbtest.OpenSQLite(t))
	unknown, _ := app.NewResetToken()
	for _, tok := range []string{"", "x", unknown, strings.Repeat("A", 10240), "../../../etc/passwd", "' OR 1=1 --"} {
		if _, err := f.reset.CheckToken(context.Background(), tok); !errors.Is(err, app.ErrInvalidToken) {
			t.Errorf("CheckToken(%.20q) = %v; want ErrInvalidToken", tok, err)
		}
	}
}

func TestResetPasswordTransaction(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		f := newFixture(t, bdb)
		cl := app.Client{IP: "192.0.2.1", UserAgent: "test"}

		// A user without a password cannot log in; the same flow creates it.
		if _, err := f.auth.Login(ctx, app.LoginForm{Email: "main@example.co.jp", Password: newPassword}, cl); !errors.Is(err, app.ErrBadCredentials) {
			t.Fatalf("login before a password exists: %v", err)
		}
		tok := f.issue(t)
		h, err := f.reset.CheckToken(ctx, tok)
		if err != nil || !h.FirstPassword || h.Email != f.main.Email || h.CustomerCode != "JP0062652" {
			t.Fatalf("holder %+v, %v", h, err)
		}
		// Rules are applied on submit and change nothing when broken.
		for _, bad := range [][2]string{{"short", "short"}, {"password", "password"}, {"JP0062652", "JP0062652"}, {newPassword, newPassword + "x"}} {
			err := f.reset.ResetPassword(ctx, tok, bad[0], bad[1], cl)
			if _, ok := app.AsValidation(err); !ok {
				t.Fatalf("ResetPassword(%q, %q) = %v; want a validation error", bad[0], bad[1], err)
			}
		}
		if _, err := f.reset.CheckToken(ctx, tok); err != nil {
			t.Fatalf("a rejected password spent the token: %v", err)
		}
		if err := f.reset.ResetPassword(ctx, tok, newPassword, newPassword, cl); err != nil {
			t.Fatal(err)
		}
		sid, err := f.auth.Login(ctx, app.LoginForm{Email: "MAIN@example.co.jp", Password: newPassword}, cl)
		if err != nil {
			t.Fatalf("login with the new password: %v", err)
		}
		if _, err := f.auth.CurrentAccount(ctx, sid); err != nil {
			t.Fatal(err)
		}
		mails := f.mails(t)
		if len(mails) != 1 || mails[0].Kind != app.MailPasswordChanged || mails[0].Data.To != string(f.main.Email) {
			t.Fatalf("want the password-changed notification, got %+v", mails)
		}

		// A second change ends that session and the old password.
		f.clock.Add(time.Minute)
		tok2 := f.issue(t)
		if err := f.reset.ResetPassword(ctx, tok2, "zweites-passwort-42", "zweites-passwort-42", cl); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.CurrentAccount(ctx, sid); !errors.Is(err, app.ErrNoSession) {
			t.Fatalf("session after a password change: %v; want ErrNoSession", err)
		}
		if _, err := f.auth.Login(ctx, app.LoginForm{Email: "main@example.co.jp", Password: newPassword}, cl); !errors.Is(err, app.ErrBadCredentials) {
			t.Fatalf("old password: %v; want ErrBadCredentials", err)
		}
		events, _ := f.store.RecentAudit(ctx, 0, 50)
		var changed, first int
		for _, e := range events {
			if e.Kind == app.AuditPasswordSet {
				changed++
				if e.Detail == "first_password" {
					first++
				}
			}
		}
		if changed != 2 || first != 1 {
			t.Fatalf("audit: %d password changes (%d first); want 2 (1)", changed, first)
		}
	})
}

func TestConcurrentSubmitsOneWins(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		f := newFixture(t, bdb)
		tok := f.issue(t)
		const n = 8
		var wins, invalid atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				pw := newPassword + string(rune('a'+i))
				err := f.reset.ResetPassword(context.Background(), tok, pw, pw, app.Client{})
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, app.ErrInvalidToken):
					invalid.Add(1)
				default:
					t.Errorf("submit %d: %v", i, err)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || invalid.Load() != n-1 {
			t.Fatalf("%d wins, %d invalid; want exactly 1 and %d", wins.Load(), invalid.Load(), n-1)
		}
		if got := len(f.mails(t)); got != 1 {
			t.Fatalf("%d notifications; want 1", got)
		}
	})
}

func TestLoginFailuresAreGeneric(t *testing.T) {
	f := newFixture(t, dbtest.OpenSQLite(t))
	ctx := context.Background()
	hash, _ := f.hasher.Hash(ctx, newPassword)
	if err := f.store.SetPasswordHash(ctx, f.main.ID, hash, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, form := range []app.LoginForm{
		{Email: "main@example.co.jp", Password: "wrong-password"},
		{Email: "nobody@example.co.jp", Password: newPassword},
		{Email: "shared@example.co.jp", Password: newPassword}, // no password yet
		{Email: "not an email", Password: newPassword},
		{Email: "", Password: ""},
	} {
		if _, err := f.auth.Login(ctx, form, app.Client{}); !errors.Is(err, app.ErrBadCredentials) {
			t.Errorf("Login(%q) = %v; want ErrBadCredentials", form.Email, err)
		}
	}
	// Past the per-account limit even the right password fails.
	for i := 0; i < 10; i++ {
		_, _ = f.auth.Login(ctx, app.LoginForm{Email: "main@example.co.jp", Password: "wrong"}, app.Client{})
	}
	if _, err := f.auth.Login(ctx, app.LoginForm{Email: "main@example.co.jp", Password: newPassword}, app.Client{}); !errors.Is(err, app.ErrBadCredentials) {
		t.Fatalf("throttled login: %v", err)
	}
	f.clock.Add(15 * time.Minute)
	if _, err := f.auth.Login(ctx, app.LoginForm{Email: "main@example.co.jp", Password: newPassword}, app.Client{}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
