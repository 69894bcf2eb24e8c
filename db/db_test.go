package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/db/dbtest"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "empty database URL"},
		{"unknown scheme", "postgres://u:secret@h/db", "unsupported database URL scheme"},
		{"sqlite without path", "sqlite:", "no file path"},
		{"sqlite with params", "sqlite:data/x.db?mode=ro", "query parameters are not supported"},
		{"mysql without host", "mysql:///reset", "has no host"},
		{"mysql without database", "mysql://u:secret@h:3306/", "needs one database name"},
		{"mysql with a path", "mysql://u:secret@h:3306/a/b", "needs one database name"},
		{"mysql bad parameter", "mysql://u:secret@h:3306/reset?timeout=soon", "mysql URL"},
		{"mysql bad port", "mysql://u:secret@h:port/reset", "parse mysql URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bdb, err := db.Open(context.Background(), tt.url)
			if err == nil {
				_ = bdb.Close()
				t.Fatalf("Open(%q): no error", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v; want it to say %q", tt.url, err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open(%q) error shows the password: %v", tt.url, err)
			}
		})
	}
}

func TestParseMySQLURL(t *testing.T) {
	tests := []struct {
		url                        string
		user, pass, addr, name, in string
	}{
		{"mysql://reset:p%40ss:w@db.example:3307/reset?tls=skip-verify", "reset", "p@ss:w", "db.example:3307", "reset", "tls=skip-verify"},
		{"mysql://root@127.0.0.1/reset_dev", "root", "", "127.0.0.1:3306", "reset_dev", "charset=utf8mb4"},
		{"mysql://u:p@[::1]/r", "u", "p", "[::1]:3306", "r", "charset=utf8mb4"},
		{"mysql://u:p@h/r?charset=utf8mb4,utf8", "u", "p", "h:3306", "r", "charset=utf8mb4,utf8"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			cfg, err := db.ParseMySQLURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.User != tt.user || cfg.Passwd != tt.pass || cfg.Addr != tt.addr || cfg.DBName != tt.name {
				t.Errorf("got user %q pass %q addr %q db %q; want %q %q %q %q", cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName, tt.user, tt.pass, tt.addr, tt.name)
			}
			if dsn := cfg.FormatDSN(); !strings.Contains(dsn, tt.in) {
				t.Errorf("DSN %q lacks %q", dsn, tt.in)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "dir", "reset.db")
	bdb, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer bdb.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
	for pragma, want := range map[string]string{"foreign_keys": "1", "journal_mode": "wal", "busy_timeout": "5000"} {
		var got string
		if err := bdb.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s; want %s", pragma, got, want)
		}
	}

	mem, err := db.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatalf("Open memory: %v", err)
	}
	if err := db.Migrate(ctx, mem); err != nil {
		t.Errorf("Migrate in memory: %v", err)
	}
	_ = mem.Close()

	// A relative path, as in the default sqlite:data/reset.db.
	t.Chdir(dir)
	rel, err := db.Open(ctx, "sqlite:data/reset.db")
	if err != nil {
		t.Fatalf("Open relative: %v", err)
	}
	_ = rel.Close()
	if _, err := os.Stat(filepath.Join(dir, "data", "reset.db")); err != nil {
		t.Errorf("relative database file: %v", err)
	}
}

func TestOpenMySQLSession(t *testing.T) {
	bdb := dbtest.OpenMySQL(t)
	ctx := context.Background()
	var tz string
	if err := bdb.QueryRowContext(ctx, "SELECT @@session.time_zone").Scan(&tz); err != nil {
		t.Fatal(err)
	}
	if tz != "+00:00" {
		t.Errorf("session time_zone = %q; want +00:00", tz)
	}
	var charset string
	if err := bdb.QueryRowContext(ctx, "SELECT @@character_set_connection").Scan(&charset); err != nil {
		t.Fatal(err)
	}
	if charset != "utf8mb4" {
		t.Errorf("connection charset = %q; want utf8mb4", charset)
	}
}

// TestTimesAreUTC stores times given in another zone and with nanoseconds,
// and reads back the same instant in UTC, to the microsecond, on both
// backends; comparisons in SQL (expiry) agree with Go's.
func TestTimesAreUTC(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		s := db.NewStore(bdb)
		f := newFixture(t, s, "JP0062652", "example.co.jp")
		jst := time.FixedZone("JST", 9*3600)
		exp := time.Date(2026, 11, 26, 0, 0, 0, 999, jst) // 2026-11-25 15:00 UTC
		tok := app.ResetToken{UserID: f.main.ID, Hash: hash("tz"), CreatedAt: exp.Add(-time.Hour), ExpiresAt: exp}
		if err := s.CreateResetToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
		got, err := s.ResetTokenByHash(ctx, hash("tz"))
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
		if got.ExpiresAt != want || got.ExpiresAt.Location() != time.UTC {
			t.Errorf("ExpiresAt = %v (%v); want %v UTC", got.ExpiresAt, got.ExpiresAt.Location(), want)
		}
		// 14:59:59.999999 UTC, given in yet another zone, is before expiry.
		before := want.Add(-time.Microsecond).In(time.FixedZone("CET", 3600))
		if ok, err := s.SpendResetToken(ctx, tok.ID, before); err != nil || !ok {
			t.Errorf("spend just before expiry = %v, %v; want true", ok, err)
		}
	})
}
