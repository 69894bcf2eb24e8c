package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/db/dbtest"
)

func TestPrune(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		day := 24 * time.Hour
		now := t0.Add(40 * day)

		live := app.ResetToken{UserID: f.main.ID, Hash: hash("live"), CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(day)}
		old := app.ResetToken{UserID: f.main.ID, Hash: hash("old"), CreatedAt: t0, ExpiresAt: t0.Add(day)}
		recent := app.ResetToken{UserID: f.main.ID, Hash: hash("recent"), CreatedAt: now.Add(-2 * day), ExpiresAt: now.Add(-day)}
		for _, tok := range []*app.ResetToken{&live, &old, &recent} {
			if err := s.CreateResetToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		gone := app.Session{IDHash: hash("gone"), UserID: f.main.ID, CreatedAt: t0, ExpiresAt: now.Add(-time.Second)}
		kept := app.Session{IDHash: hash("kept"), UserID: f.main.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		for _, sess := range []*app.Session{&gone, &kept} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		sent := app.OutboxMessage{Kind: app.MailReset, UserID: f.main.ID, Payload: []byte("x"), Status: app.OutboxPending, NextAttemptAt: t0, CreatedAt: t0}
		pending := app.OutboxMessage{Kind: app.MailReset, UserID: f.main.ID, Payload: []byte("y"), Status: app.OutboxPending, NextAttemptAt: t0, CreatedAt: t0}
		for _, m := range []*app.OutboxMessage{&sent, &pending} {
			if err := s.EnqueueMail(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkMailSent(ctx, sent.ID, "p-1", t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Hit(ctx, "old window", time.Minute, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Hit(ctx, "this window", time.Minute, now); err != nil {
			t.Fatal(err)
		}

		n, err := s.Prune(ctx, now, now.Add(-30*day), now.Add(-30*day), now.Add(-day))
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 { // old token, expired session, sent mail, old window
			t.Fatalf("pruned %d rows; want 4", n)
		}
		for name, h := range map[string][]byte{"live": live.Hash, "recent": recent.Hash} {
			if _, err := s.ResetTokenByHash(ctx, h); err != nil {
				t.Errorf("%s token: %v", name, err)
			}
		}
		if _, err := s.ResetTokenByHash(ctx, old.Hash); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("old token: %v; want pruned", err)
		}
		if _, err := s.SessionByHash(ctx, kept.IDHash); err != nil {
			t.Errorf("live session: %v", err)
		}
		if _, err := s.SessionByHash(ctx, gone.IDHash); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("expired session: %v; want pruned", err)
		}
		if _, err := s.MailByID(ctx, pending.ID); err != nil {
			t.Errorf("pending mail: %v", err)
		}
		if _, err := s.MailByID(ctx, sent.ID); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("old sent mail: %v; want pruned", err)
		}
		if c, _, _ := s.Hit(ctx, "this window", time.Minute, now); c != 2 {
			t.Errorf("current window count %d after prune; want 2", c)
		}
		if n, _ := s.Prune(ctx, now, now.Add(-30*day), now.Add(-30*day), now.Add(-day)); n != 0 {
			t.Errorf("second prune deleted %d rows", n)
		}
	})
}

// TestOneMainUser: the database itself refuses a second main user of a
// customer, whatever races the application's own check.
func TestOneMainUser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		second := app.User{CustomerID: f.customer.ID, Email: "second-main@example.co.jp", Role: app.RoleMain, CreatedAt: t0}
		if err := s.CreateUser(ctx, &second); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("second main user: %v; want ErrConflict", err)
		}
		shared := app.User{CustomerID: f.customer.ID, Email: "another-shared@example.co.jp", Role: app.RoleShared, CreatedAt: t0}
		if err := s.CreateUser(ctx, &shared); err != nil {
			t.Fatalf("another shared user: %v", err)
		}
		other := newFixture(t, s, "JP0000002", "other.example.jp")
		if other.main.ID == 0 {
			t.Fatal("another customer's main user was refused")
		}
	})
}
