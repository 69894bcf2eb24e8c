package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/db/dbtest"
)

// t0 has nanoseconds on purpose: the store keeps microseconds.
var t0 = time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.UTC)

func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// fixture is one customer with its main user and a shared user.
type fixture struct {
	customer     app.Customer
	main, shared app.User
}

func newFixture(t *testing.T, s *db.Store, code app.CustomerCode, domain string) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{customer: app.Customer{Code: code, PostalCode: "244-0806", Company: "ハーフェレ・ジャパン株式会社", CreatedAt: t0}}
	if err := s.CreateCustomer(ctx, &f.customer); err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	f.main = app.User{CustomerID: f.customer.ID, Email: app.Email("Main@" + domain), Role: app.RoleMain, CreatedAt: t0}
	if err := s.CreateUser(ctx, &f.main); err != nil {
		t.Fatalf("CreateUser main: %v", err)
	}
	f.shared = app.User{CustomerID: f.customer.ID, Email: app.Email("shared@" + domain), Role: app.RoleShared, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", CreatedAt: t0}
	if err := s.CreateUser(ctx, &f.shared); err != nil {
		t.Fatalf("CreateUser shared: %v", err)
	}
	return f
}

func TestPing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		if err := db.NewStore(bdb).Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

func TestCustomers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		jst := time.FixedZone("JST", 9*3600)
		c := app.Customer{Code: "JP0062652", PostalCode: "244-0806", Company: "株式会社テスト", CreatedAt: t0.In(jst)}
		if err := s.CreateCustomer(ctx, &c); err != nil {
			t.Fatalf("CreateCustomer: %v", err)
		}
		if c.ID == 0 {
			t.Fatal("CreateCustomer did not set ID")
		}
		want := app.Customer{ID: c.ID, Code: "JP0062652", PostalCode: "244-0806", Company: "株式会社テスト", CreatedAt: us(t0)}
		if c != want {
			t.Errorf("created customer = %+v; want %+v", c, want)
		}
		for name, get := range map[string]func() (app.Customer, error){
			"by code": func() (app.Customer, error) { return s.CustomerByCode(ctx, "JP0062652") },
			"by id":   func() (app.Customer, error) { return s.CustomerByID(ctx, c.ID) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got != want {
				t.Errorf("%s = %+v; want %+v", name, got, want)
			}
		}

		dup := app.Customer{Code: "JP0062652", PostalCode: "100-0001", Company: "other", CreatedAt: t0}
		if err := s.CreateCustomer(ctx, &dup); !errors.Is(err, app.ErrConflict) {
			t.Errorf("duplicate code: err = %v; want ErrConflict", err)
		}
		if _, err := s.CustomerByCode(ctx, "JP9999999"); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown code: err = %v; want ErrNotFound", err)
		}
		if _, err := s.CustomerByID(ctx, c.ID+100); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown id: err = %v; want ErrNotFound", err)
		}
		// The code is compared byte for byte, not by a case-blind collation.
		if _, err := s.CustomerByCode(ctx, "jp0062652"); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("lower-case code: err = %v; want ErrNotFound", err)
		}
	})
}

func TestUsers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "Example.co.jp")

		if f.main.ID == 0 || f.shared.ID == 0 || f.main.ID == f.shared.ID {
			t.Fatalf("user ids = %d, %d; want distinct non-zero", f.main.ID, f.shared.ID)
		}
		if !f.main.UpdatedAt.Equal(us(t0)) {
			t.Errorf("UpdatedAt = %v; want CreatedAt %v", f.main.UpdatedAt, us(t0))
		}

		t.Run("by email ignores case", func(t *testing.T) {
			for _, e := range []app.Email{"Main@Example.co.jp", "main@example.co.jp", "MAIN@EXAMPLE.CO.JP"} {
				got, err := s.UserByEmail(ctx, e)
				if err != nil {
					t.Fatalf("UserByEmail(%q): %v", e, err)
				}
				if got != f.main {
					t.Errorf("UserByEmail(%q) = %+v; want %+v", e, got, f.main)
				}
				if got.Email != "Main@Example.co.jp" {
					t.Errorf("stored email = %q; want it as created", got.Email)
				}
			}
			if _, err := s.UserByEmail(ctx, "nobody@example.co.jp"); !errors.Is(err, app.ErrNotFound) {
				t.Errorf("unknown email: err = %v; want ErrNotFound", err)
			}
		})

		t.Run("email unique ignoring case", func(t *testing.T) {
			u := app.User{CustomerID: f.customer.ID, Email: "SHARED@example.co.jp", Role: app.RoleShared, CreatedAt: t0}
			if err := s.CreateUser(ctx, &u); !errors.Is(err, app.ErrConflict) {
				t.Errorf("err = %v; want ErrConflict", err)
			}
		})

		t.Run("longest email", func(t *testing.T) {
			long := app.Email(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".jp")
			if n := len(long); n != 254 {
				t.Fatalf("test email is %d long", n)
			}
			u := app.User{CustomerID: f.customer.ID, Email: long, Role: app.RoleShared, CreatedAt: t0}
			if err := s.CreateUser(ctx, &u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if _, err := s.UserByEmail(ctx, app.Email(strings.ToUpper(string(long)))); err != nil {
				t.Errorf("UserByEmail: %v", err)
			}
			tooLong := app.User{CustomerID: f.customer.ID, Email: "x" + long, Role: app.RoleShared, CreatedAt: t0}
			if err := s.CreateUser(ctx, &tooLong); err == nil {
				t.Error("255-character email: no error")
			}
		})

		t.Run("unknown customer or role", func(t *testing.T) {
			u := app.User{CustomerID: f.customer.ID + 100, Email: "ghost@example.co.jp", Role: app.RoleShared, CreatedAt: t0}
			if err := s.CreateUser(ctx, &u); err == nil {
				t.Error("user of an unknown customer: no error (foreign key not enforced)")
			}
			u = app.User{CustomerID: f.customer.ID, Email: "odd@example.co.jp", Role: "admin", CreatedAt: t0}
			if err := s.CreateUser(ctx, &u); err == nil {
				t.Error("unknown role: no error")
			}
		})

		t.Run("by id and by customer", func(t *testing.T) {
			got, err := s.UserByID(ctx, f.shared.ID)
			if err != nil || got != f.shared {
				t.Errorf("UserByID = %+v, %v; want %+v", got, err, f.shared)
			}
			if _, err := s.UserByID(ctx, 99999); !errors.Is(err, app.ErrNotFound) {
				t.Errorf("unknown id: err = %v; want ErrNotFound", err)
			}
			other := newFixture(t, s, "JP0000001", "other.example")
			users, err := s.UsersOfCustomer(ctx, f.customer.ID)
			if err != nil {
				t.Fatalf("UsersOfCustomer: %v", err)
			}
			if len(users) < 2 || users[0] != f.main || users[1] != f.shared {
				t.Errorf("UsersOfCustomer = %+v; want main then shared first", users)
			}
			for _, u := range users {
				if u.CustomerID != f.customer.ID {
					t.Errorf("UsersOfCustomer returned %+v of another customer", u)
				}
			}
			none, err := s.UsersOfCustomer(ctx, other.customer.ID+100)
			if err != nil || len(none) != 0 {
				t.Errorf("UsersOfCustomer(unknown) = %v, %v; want none", none, err)
			}
		})

		t.Run("set password", func(t *testing.T) {
			at := t0.Add(time.Hour)
			if err := s.SetPasswordHash(ctx, f.main.ID, "$argon2id$new", at); err != nil {
				t.Fatalf("SetPasswordHash: %v", err)
			}
			got, err := s.UserByID(ctx, f.main.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.PasswordHash != "$argon2id$new" || !got.HasPassword() || !got.UpdatedAt.Equal(us(at)) || !got.CreatedAt.Equal(us(t0)) {
				t.Errorf("after SetPasswordHash: %+v", got)
			}
			// The same hash again still finds the row (MySQL counts matched rows).
			if err := s.SetPasswordHash(ctx, f.main.ID, "$argon2id$new", at); err != nil {
				t.Errorf("SetPasswordHash unchanged: %v", err)
			}
			if err := s.SetPasswordHash(ctx, 99999, "$argon2id$x", at); !errors.Is(err, app.ErrNotFound) {
				t.Errorf("unknown user: err = %v; want ErrNotFound", err)
			}
		})
	})
}

func TestResetTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")

		tok := app.ResetToken{UserID: f.main.ID, Hash: hash("a"), CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
		if err := s.CreateResetToken(ctx, &tok); err != nil {
			t.Fatalf("CreateResetToken: %v", err)
		}
		got, err := s.ResetTokenByHash(ctx, hash("a"))
		if err != nil {
			t.Fatalf("ResetTokenByHash: %v", err)
		}
		if got.ID != tok.ID || got.UserID != f.main.ID || string(got.Hash) != string(hash("a")) ||
			!got.CreatedAt.Equal(us(t0)) || !got.ExpiresAt.Equal(us(t0.Add(24*time.Hour))) ||
			got.UsedAt != nil || got.RevokedAt != nil || !got.Live(t0) {
			t.Errorf("ResetTokenByHash = %+v", got)
		}
		if _, err := s.ResetTokenByHash(ctx, hash("unknown")); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown hash: err = %v; want ErrNotFound", err)
		}
		dup := app.ResetToken{UserID: f.shared.ID, Hash: hash("a"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateResetToken(ctx, &dup); !errors.Is(err, app.ErrConflict) {
			t.Errorf("duplicate hash: err = %v; want ErrConflict", err)
		}
		short := app.ResetToken{UserID: f.main.ID, Hash: []byte("short"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateResetToken(ctx, &short); err == nil {
			t.Error("5-byte hash: no error")
		}
	})
}

func TestSpendResetToken(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		exp := t0.Add(24 * time.Hour)
		used, revoked := t0.Add(time.Minute), t0.Add(time.Minute)

		tests := []struct {
			name string
			tok  app.ResetToken
			now  time.Time
			want bool
		}{
			{"live", app.ResetToken{ExpiresAt: exp}, t0.Add(time.Hour), true},
			{"a microsecond before expiry", app.ResetToken{ExpiresAt: exp}, exp.Add(-time.Microsecond), true},
			{"at expiry", app.ResetToken{ExpiresAt: exp}, exp, false},
			{"expired", app.ResetToken{ExpiresAt: exp}, exp.Add(time.Hour), false},
			{"used", app.ResetToken{ExpiresAt: exp, UsedAt: &used}, t0.Add(time.Hour), false},
			{"revoked", app.ResetToken{ExpiresAt: exp, RevokedAt: &revoked}, t0.Add(time.Hour), false},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tok := tt.tok
				tok.UserID, tok.Hash, tok.CreatedAt = f.main.ID, hash(fmt.Sprint("spend", i)), t0
				if err := s.CreateResetToken(ctx, &tok); err != nil {
					t.Fatal(err)
				}
				got, err := s.SpendResetToken(ctx, tok.ID, tt.now)
				if err != nil || got != tt.want {
					t.Fatalf("SpendResetToken = %v, %v; want %v", got, err, tt.want)
				}
				after, err := s.ResetTokenByHash(ctx, tok.Hash)
				if err != nil {
					t.Fatal(err)
				}
				if tt.want {
					if after.UsedAt == nil || !after.UsedAt.Equal(us(tt.now)) {
						t.Errorf("UsedAt = %v; want %v", after.UsedAt, us(tt.now))
					}
					again, err := s.SpendResetToken(ctx, tok.ID, tt.now)
					if err != nil || again {
						t.Errorf("second SpendResetToken = %v, %v; want false", again, err)
					}
				} else if !equalTimePtr(after.UsedAt, dbTimePtr(tt.tok.UsedAt)) {
					t.Errorf("UsedAt changed to %v", after.UsedAt)
				}
			})
		}
		if got, err := s.SpendResetToken(ctx, 99999, t0); err != nil || got {
			t.Errorf("unknown token: %v, %v; want false, nil", got, err)
		}
	})
}

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := us(*t)
	return &v
}

func equalTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestSpendResetTokenConcurrent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		const rounds, callers = 5, 10
		for r := range rounds {
			tok := app.ResetToken{UserID: f.main.ID, Hash: hash(fmt.Sprint("race", r)), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if err := s.CreateResetToken(ctx, &tok); err != nil {
				t.Fatal(err)
			}
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				wins int
				errs []error
			)
			start := make(chan struct{})
			for range callers {
				wg.Go(func() {
					<-start
					ok, err := s.SpendResetToken(ctx, tok.ID, t0.Add(time.Minute))
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
					}
					if ok {
						wins++
					}
				})
			}
			close(start)
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("round %d: errors: %v", r, errs)
			}
			if wins != 1 {
				t.Fatalf("round %d: %d of %d callers spent the token; want exactly 1", r, wins, callers)
			}
		}
	})
}

func TestRevokeResetTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		now := t0.Add(2 * time.Hour)
		usedAt := t0.Add(time.Hour)
		mk := func(name string, userID int64, exp time.Time, used *time.Time) app.ResetToken {
			tok := app.ResetToken{UserID: userID, Hash: hash(name), CreatedAt: t0, ExpiresAt: exp, UsedAt: used}
			if err := s.CreateResetToken(ctx, &tok); err != nil {
				t.Fatal(err)
			}
			return tok
		}
		live1 := mk("live1", f.main.ID, t0.Add(24*time.Hour), nil)
		keep := mk("keep", f.main.ID, t0.Add(24*time.Hour), nil)
		spent := mk("spent", f.main.ID, t0.Add(24*time.Hour), &usedAt)
		expired := mk("expired", f.main.ID, t0.Add(time.Hour), nil)
		others := mk("others", f.shared.ID, t0.Add(24*time.Hour), nil)

		if err := s.RevokeResetTokens(ctx, f.main.ID, keep.ID, now); err != nil {
			t.Fatalf("RevokeResetTokens: %v", err)
		}
		for _, tt := range []struct {
			tok         app.ResetToken
			wantRevoked bool
		}{{live1, true}, {keep, false}, {spent, false}, {expired, false}, {others, false}} {
			got, err := s.ResetTokenByHash(ctx, tt.tok.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if (got.RevokedAt != nil) != tt.wantRevoked {
				t.Errorf("token %d: RevokedAt = %v; want revoked %v", tt.tok.ID, got.RevokedAt, tt.wantRevoked)
			}
			if got.RevokedAt != nil && !got.RevokedAt.Equal(us(now)) {
				t.Errorf("token %d: RevokedAt = %v; want %v", tt.tok.ID, got.RevokedAt, us(now))
			}
		}
		if ok, err := s.SpendResetToken(ctx, live1.ID, now); err != nil || ok {
			t.Errorf("spending a revoked token = %v, %v; want false", ok, err)
		}
		if ok, err := s.SpendResetToken(ctx, keep.ID, now); err != nil || !ok {
			t.Errorf("spending the kept token = %v, %v; want true", ok, err)
		}
		// exceptID 0 revokes all.
		if err := s.RevokeResetTokens(ctx, f.shared.ID, 0, now); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ResetTokenByHash(ctx, others.Hash); got.RevokedAt == nil {
			t.Error("RevokeResetTokens(except 0) left a token live")
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")

		longUA := strings.Repeat("ブラウザ😀", 100) // 500 runes, 4-byte ones among them
		sess := app.Session{IDHash: hash("s1"), UserID: f.main.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), IP: "2001:db8::1", UserAgent: longUA}
		if err := s.CreateSession(ctx, &sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		if n := utf8.RuneCountInString(sess.UserAgent); n != 255 || !strings.HasPrefix(longUA, sess.UserAgent) {
			t.Errorf("user agent clipped to %d runes; want the first 255", n)
		}
		got, err := s.SessionByHash(ctx, hash("s1"))
		if err != nil {
			t.Fatalf("SessionByHash: %v", err)
		}
		if string(got.IDHash) != string(hash("s1")) || got.UserID != f.main.ID || got.IP != "2001:db8::1" ||
			got.UserAgent != sess.UserAgent || !got.CreatedAt.Equal(us(t0)) || !got.ExpiresAt.Equal(us(t0.Add(time.Hour))) {
			t.Errorf("SessionByHash = %+v; want %+v", got, sess)
		}

		bad := app.Session{IDHash: hash("s2"), UserID: f.main.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), UserAgent: "bad\xff\x00agent"}
		if err := s.CreateSession(ctx, &bad); err != nil {
			t.Fatalf("CreateSession with invalid UTF-8: %v", err)
		}
		if got, _ := s.SessionByHash(ctx, hash("s2")); got.UserAgent != "bad\uFFFDagent" {
			t.Errorf("user agent = %q; want invalid bytes replaced and NUL dropped", got.UserAgent)
		}
		dup := app.Session{IDHash: hash("s1"), UserID: f.shared.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateSession(ctx, &dup); !errors.Is(err, app.ErrConflict) {
			t.Errorf("duplicate session: err = %v; want ErrConflict", err)
		}
		other := app.Session{IDHash: hash("s3"), UserID: f.shared.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateSession(ctx, &other); err != nil {
			t.Fatal(err)
		}

		if err := s.DeleteSession(ctx, hash("s2")); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		if _, err := s.SessionByHash(ctx, hash("s2")); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("deleted session: err = %v; want ErrNotFound", err)
		}
		if err := s.DeleteSession(ctx, hash("s2")); err != nil {
			t.Errorf("deleting a gone session: %v", err)
		}
		s4 := app.Session{IDHash: hash("s4"), UserID: f.main.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateSession(ctx, &s4); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUserSessions(ctx, f.main.ID); err != nil {
			t.Fatalf("DeleteUserSessions: %v", err)
		}
		for _, h := range []string{"s1", "s4"} {
			if _, err := s.SessionByHash(ctx, hash(h)); !errors.Is(err, app.ErrNotFound) {
				t.Errorf("session %s of the user: err = %v; want ErrNotFound", h, err)
			}
		}
		if _, err := s.SessionByHash(ctx, hash("s3")); err != nil {
			t.Errorf("another user's session went too: %v", err)
		}
	})
}

func TestOutbox(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		lease := time.Minute

		enqueue := func(kind app.MailKind, due time.Time) app.OutboxMessage {
			m := app.OutboxMessage{Kind: kind, UserID: f.main.ID, Payload: []byte("sealed:" + string(kind)), CreatedAt: t0, NextAttemptAt: due}
			if err := s.EnqueueMail(ctx, &m); err != nil {
				t.Fatalf("EnqueueMail: %v", err)
			}
			return m
		}
		reset := enqueue(app.MailReset, time.Time{}) // zero: due at CreatedAt
		if reset.Status != app.OutboxPending || !reset.NextAttemptAt.Equal(us(t0)) || reset.ID == 0 {
			t.Errorf("enqueued = %+v; want pending, due at CreatedAt", reset)
		}
		later := enqueue(app.MailPasswordChanged, t0.Add(time.Hour))

		got, err := s.MailByID(ctx, reset.ID)
		if err != nil {
			t.Fatalf("MailByID: %v", err)
		}
		if string(got.Payload) != "sealed:reset" || got.Kind != app.MailReset || got.UserID != f.main.ID || got.LockedUntil != nil || got.SentAt != nil {
			t.Errorf("MailByID = %+v", got)
		}
		if _, err := s.MailByID(ctx, 99999); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("unknown mail: err = %v; want ErrNotFound", err)
		}

		now := t0.Add(time.Second)
		claimed, err := s.ClaimMail(ctx, now, lease, 10)
		if err != nil {
			t.Fatalf("ClaimMail: %v", err)
		}
		if len(claimed) != 1 || claimed[0].ID != reset.ID {
			t.Fatalf("ClaimMail = %+v; want only the due message %d", claimed, reset.ID)
		}
		if claimed[0].LockedUntil == nil || !claimed[0].LockedUntil.Equal(us(now.Add(lease))) {
			t.Errorf("LockedUntil = %v; want %v", claimed[0].LockedUntil, us(now.Add(lease)))
		}
		if again, err := s.ClaimMail(ctx, now.Add(time.Second), lease, 10); err != nil || len(again) != 0 {
			t.Errorf("claim during the lease = %+v, %v; want none", again, err)
		}
		// A worker that died: its lease runs out and the message is claimable again.
		expired, err := s.ClaimMail(ctx, now.Add(lease+time.Second), lease, 10)
		if err != nil || len(expired) != 1 || expired[0].ID != reset.ID {
			t.Errorf("claim after the lease = %+v, %v; want message %d", expired, err, reset.ID)
		}

		sentAt := now.Add(2 * lease)
		if err := s.MarkMailSent(ctx, reset.ID, "<20261125.1@mg.example>", sentAt); err != nil {
			t.Fatalf("MarkMailSent: %v", err)
		}
		got, _ = s.MailByID(ctx, reset.ID)
		if got.Status != app.OutboxSent || got.ProviderID != "<20261125.1@mg.example>" || got.SentAt == nil ||
			!got.SentAt.Equal(us(sentAt)) || got.LockedUntil != nil || len(got.Payload) != 0 {
			t.Errorf("after MarkMailSent: %+v; want sent, payload wiped, lock cleared", got)
		}
		if again, _ := s.ClaimMail(ctx, t0.Add(2*time.Hour), lease, 10); len(again) != 1 || again[0].ID != later.ID {
			t.Errorf("claim after sending = %+v; want only message %d", again, later.ID)
		}

		// Failure: released, due again at next, error cut to its column.
		next := t0.Add(3 * time.Hour)
		longErr := strings.Repeat("エラー", 500)
		if err := s.MarkMailFailed(ctx, later.ID, 1, next, longErr, false); err != nil {
			t.Fatalf("MarkMailFailed: %v", err)
		}
		got, _ = s.MailByID(ctx, later.ID)
		if got.Status != app.OutboxPending || got.Attempts != 1 || !got.NextAttemptAt.Equal(us(next)) || got.LockedUntil != nil ||
			utf8.RuneCountInString(got.LastError) != 1000 || string(got.Payload) != "sealed:password_changed" {
			t.Errorf("after MarkMailFailed: status %s attempts %d next %v lock %v error %d runes",
				got.Status, got.Attempts, got.NextAttemptAt, got.LockedUntil, utf8.RuneCountInString(got.LastError))
		}
		if c, _ := s.ClaimMail(ctx, next.Add(-time.Second), lease, 10); len(c) != 0 {
			t.Errorf("claimed before next attempt: %+v", c)
		}
		if c, _ := s.ClaimMail(ctx, next, lease, 10); len(c) != 1 {
			t.Errorf("not claimable at next attempt: %+v", c)
		}
		if err := s.MarkMailFailed(ctx, later.ID, 8, next, "gave up", true); err != nil {
			t.Fatal(err)
		}
		got, _ = s.MailByID(ctx, later.ID)
		if got.Status != app.OutboxDead || got.LastError != "gave up" || got.Attempts != 8 {
			t.Errorf("after dead: %+v", got)
		}
		if c, _ := s.ClaimMail(ctx, next.Add(24*time.Hour), lease, 10); len(c) != 0 {
			t.Errorf("claimed a dead message: %+v", c)
		}

		if err := s.MarkMailSent(ctx, 99999, "x", now); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("MarkMailSent unknown: %v; want ErrNotFound", err)
		}
		if err := s.MarkMailFailed(ctx, 99999, 1, now, "x", false); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("MarkMailFailed unknown: %v; want ErrNotFound", err)
		}
		if c, err := s.ClaimMail(ctx, now, lease, 0); err != nil || len(c) != 0 {
			t.Errorf("ClaimMail limit 0 = %v, %v", c, err)
		}
	})
}

func TestClaimMailOrderAndLimit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		var ids []int64
		for i := range 5 {
			// Enqueued newest-due first; claims come oldest-due first.
			m := app.OutboxMessage{Kind: app.MailReset, UserID: f.main.ID, CreatedAt: t0, NextAttemptAt: t0.Add(time.Duration(5-i) * time.Second)}
			if err := s.EnqueueMail(ctx, &m); err != nil {
				t.Fatal(err)
			}
			ids = append([]int64{m.ID}, ids...)
		}
		c, err := s.ClaimMail(ctx, t0.Add(time.Minute), time.Minute, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, m := range c {
			got = append(got, m.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(ids[:3]) {
			t.Errorf("claimed %v; want %v", got, ids[:3])
		}
	})
}

func TestClaimMailConcurrent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		const messages, claimers = 60, 4
		for range messages {
			m := app.OutboxMessage{Kind: app.MailReset, UserID: f.main.ID, Payload: []byte("p"), CreatedAt: t0}
			if err := s.EnqueueMail(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			seen = map[int64]int{}
			errs []error
		)
		start := make(chan struct{})
		for range claimers {
			wg.Go(func() {
				<-start
				for {
					c, err := s.ClaimMail(ctx, t0.Add(time.Second), time.Minute, 3)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					}
					for _, m := range c {
						seen[m.ID]++
					}
					mu.Unlock()
					if err != nil || len(c) == 0 {
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("ClaimMail errors: %v", errs)
		}
		if len(seen) != messages {
			t.Errorf("claimed %d distinct messages; want %d", len(seen), messages)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("message %d claimed %d times", id, n)
			}
		}
	})
}

func TestAudit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")

		var ids []int64
		for i := range 5 {
			e := app.AuditEvent{At: t0, Kind: app.AuditResetRequested, CustomerCode: "JP0062652", Email: "Main@example.co.jp", Detail: fmt.Sprint("n", i), IP: "192.0.2.1", UserAgent: "UA"}
			if i%2 == 0 {
				uid := f.main.ID
				e.UserID = &uid
			}
			if err := s.RecordAudit(ctx, &e); err != nil {
				t.Fatalf("RecordAudit: %v", err)
			}
			ids = append(ids, e.ID)
		}
		tests := []struct {
			name    string
			afterID int64
			limit   int
			want    []int64
		}{
			{"newest first, limited", 0, 3, []int64{ids[4], ids[3], ids[2]}},
			{"after an id", ids[2], 10, []int64{ids[4], ids[3]}},
			{"nothing newer", ids[4], 10, nil},
			{"limit 0", 0, 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				events, err := s.RecentAudit(ctx, tt.afterID, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, e := range events {
					got = append(got, e.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("ids = %v; want %v", got, tt.want)
				}
			})
		}

		events, _ := s.RecentAudit(ctx, 0, 5)
		for _, e := range events {
			wantUser := (e.Detail == "n0" || e.Detail == "n2" || e.Detail == "n4")
			if (e.UserID != nil) != wantUser || (e.UserID != nil && *e.UserID != f.main.ID) {
				t.Errorf("event %s: UserID = %v", e.Detail, e.UserID)
			}
			if e.Kind != app.AuditResetRequested || !e.At.Equal(us(t0)) || e.IP != "192.0.2.1" || e.CustomerCode != "JP0062652" {
				t.Errorf("event = %+v", e)
			}
		}

		// Typed input lands in the log as it came, cut to fit.
		e := app.AuditEvent{At: t0, Kind: app.AuditResetRequested, CustomerCode: strings.Repeat("J", 100), Email: strings.Repeat("m", 400), Detail: strings.Repeat("d", 2000), UserAgent: strings.Repeat("u", 300)}
		if err := s.RecordAudit(ctx, &e); err != nil {
			t.Fatalf("RecordAudit oversized: %v", err)
		}
		last, _ := s.RecentAudit(ctx, 0, 1)
		if len(last) != 1 || len(last[0].CustomerCode) != 32 || len(last[0].Email) != 254 || len(last[0].Detail) != 1000 || len(last[0].UserAgent) != 255 {
			t.Errorf("oversized event stored as %d/%d/%d/%d characters", len(last[0].CustomerCode), len(last[0].Email), len(last[0].Detail), len(last[0].UserAgent))
		}
	})
}

func TestHit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		const window = 10 * time.Minute
		w0 := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC) // a window boundary

		tests := []struct {
			name      string
			key       string
			now       time.Time
			wantCount int
			wantReset time.Time
		}{
			{"first", "ip:192.0.2.1", w0.Add(time.Second), 1, w0.Add(window)},
			{"second", "ip:192.0.2.1", w0.Add(2 * time.Minute), 2, w0.Add(window)},
			{"last instant of the window", "ip:192.0.2.1", w0.Add(window - time.Microsecond), 3, w0.Add(window)},
			{"other key", "email:main@example.co.jp", w0.Add(time.Minute), 1, w0.Add(window)},
			{"next window resets", "ip:192.0.2.1", w0.Add(window), 1, w0.Add(2 * window)},
			{"next window counts", "ip:192.0.2.1", w0.Add(window + time.Minute), 2, w0.Add(2 * window)},
			{"a lagging clock counts into the newer window", "ip:192.0.2.1", w0.Add(window - time.Second), 3, w0.Add(2 * window)},
			{"long key", strings.Repeat("k", 1000), w0, 1, w0.Add(window)},
			{"window after a gap", "ip:192.0.2.1", w0.Add(5 * window), 1, w0.Add(6 * window)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				count, resetAt, err := s.Hit(ctx, tt.key, window, tt.now)
				if err != nil {
					t.Fatalf("Hit: %v", err)
				}
				if count != tt.wantCount || !resetAt.Equal(tt.wantReset) {
					t.Errorf("Hit = %d, %v; want %d, %v", count, resetAt, tt.wantCount, tt.wantReset)
				}
			})
		}
		if _, _, err := s.Hit(ctx, "k", 0, w0); err == nil {
			t.Error("zero window: no error")
		}
	})
}

func TestHitConcurrent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		const hits = 20
		now := time.Date(2026, 11, 25, 9, 31, 0, 0, time.UTC)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts = map[int]bool{}
			errs   []error
		)
		start := make(chan struct{})
		for range hits {
			wg.Go(func() {
				<-start
				n, _, err := s.Hit(ctx, "ip:198.51.100.7", time.Hour, now)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				counts[n] = true
			})
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("Hit errors: %v", errs)
		}
		for i := 1; i <= hits; i++ {
			if !counts[i] {
				t.Errorf("no hit saw count %d; counts seen %v", i, counts)
			}
		}
		if n, _, err := s.Hit(ctx, "ip:198.51.100.7", time.Hour, now); err != nil || n != hits+1 {
			t.Errorf("next Hit = %d, %v; want %d", n, err, hits+1)
		}
	})
}

func TestInTx(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")

		// Committed: a token and its mail together, as the reset flow does.
		var tokID, mailID int64
		err := s.InTx(ctx, func(tx app.Store) error {
			tok := app.ResetToken{UserID: f.main.ID, Hash: hash("tx"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if err := tx.CreateResetToken(ctx, &tok); err != nil {
				return err
			}
			m := app.OutboxMessage{Kind: app.MailReset, UserID: f.main.ID, Payload: []byte("p"), CreatedAt: t0}
			if err := tx.EnqueueMail(ctx, &m); err != nil {
				return err
			}
			tokID, mailID = tok.ID, m.ID
			// Hit and ClaimMail open their own (nested) transactions.
			if _, _, err := tx.Hit(ctx, "k", time.Minute, t0); err != nil {
				return err
			}
			_, err := tx.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 1)
			return err
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
		if _, err := s.ResetTokenByHash(ctx, hash("tx")); err != nil {
			t.Errorf("committed token: %v", err)
		}
		if m, err := s.MailByID(ctx, mailID); err != nil || m.LockedUntil == nil {
			t.Errorf("committed mail = %+v, %v; want claimed", m, err)
		}

		// Rolled back: fn's error comes back as is and nothing stays.
		boom := errors.New("boom")
		err = s.InTx(ctx, func(tx app.Store) error {
			if err := tx.SetPasswordHash(ctx, f.main.ID, "$argon2id$rolled-back", t0); err != nil {
				return err
			}
			if _, err := tx.SpendResetToken(ctx, tokID, t0); err != nil {
				return err
			}
			return fmt.Errorf("wrapped: %w", boom)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v; want boom", err)
		}
		if u, _ := s.UserByID(ctx, f.main.ID); u.PasswordHash != "" {
			t.Errorf("rolled-back password stayed: %q", u.PasswordHash)
		}
		if tok, _ := s.ResetTokenByHash(ctx, hash("tx")); tok.UsedAt != nil {
			t.Error("rolled-back spend stayed")
		}

		// Nested: the inner failure rolls back to its savepoint only.
		err = s.InTx(ctx, func(tx app.Store) error {
			if err := tx.SetPasswordHash(ctx, f.main.ID, "$argon2id$outer", t0); err != nil {
				return err
			}
			inner := tx.InTx(ctx, func(tx app.Store) error {
				if err := tx.SetPasswordHash(ctx, f.shared.ID, "$argon2id$inner", t0); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(inner, boom) {
				return fmt.Errorf("inner InTx = %v; want boom", inner)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("nested InTx: %v", err)
		}
		if u, _ := s.UserByID(ctx, f.main.ID); u.PasswordHash != "$argon2id$outer" {
			t.Errorf("outer change lost: %q", u.PasswordHash)
		}
		if u, _ := s.UserByID(ctx, f.shared.ID); u.PasswordHash == "$argon2id$inner" {
			t.Error("inner rolled-back change stayed")
		}
	})
}
