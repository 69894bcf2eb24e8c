package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun/dialect"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/db/dbtest"
	"github.com/hafele-online/reset/db/migrations"
)

var wantMigrations = []string{
	"000001_customers",
	"000002_users",
	"000003_reset_tokens",
	"000004_sessions",
	"000005_mail_outbox",
	"000006_audit_events",
	"000007_rate_limits",
	"000008_one_main_user",
}

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	for _, d := range []dialect.Name{dialect.MySQL, dialect.SQLite} {
		t.Run(d.String(), func(t *testing.T) {
			ms, err := migrations.New(d)
			if err != nil {
				t.Fatal(err)
			}
			sorted := ms.Sorted()
			if len(sorted) != len(wantMigrations) {
				t.Fatalf("%d migrations; want %d", len(sorted), len(wantMigrations))
			}
			for i, m := range sorted {
				if m.String() != wantMigrations[i] {
					t.Errorf("migration %d = %s; want %s", i, m, wantMigrations[i])
				}
				if m.Up == nil || m.Down == nil {
					t.Errorf("migration %s lacks an up or a down", m)
				}
			}
		})
	}
	if _, err := migrations.New(dialect.PG); err == nil {
		t.Error("migrations for PostgreSQL: no error")
	}
}

func TestMigrateRoundTrip(t *testing.T) {
	for _, backend := range dbtest.Backends() {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			bdb := dbtest.OpenEmpty(t, backend)
			s := db.NewStore(bdb)

			checkStatus := func(step string, applied bool, group int64) {
				t.Helper()
				st, err := db.MigrationStatus(ctx, bdb)
				if err != nil {
					t.Fatalf("%s: MigrationStatus: %v", step, err)
				}
				if len(st) != len(wantMigrations) {
					t.Fatalf("%s: %d migrations; want %d", step, len(st), len(wantMigrations))
				}
				for i, m := range st {
					if m.Name != wantMigrations[i] || m.Applied != applied || m.GroupID != group || m.MigratedAt.IsZero() == applied {
						t.Errorf("%s: %+v; want %s applied=%v group %d", step, m, wantMigrations[i], applied, group)
					}
				}
			}
			schemaWorks := func() error {
				_, err := s.CustomerByCode(ctx, "JP0000000")
				if errors.Is(err, app.ErrNotFound) {
					return nil
				}
				return err
			}

			checkStatus("fresh", false, 0)
			if schemaWorks() == nil {
				t.Fatal("customers table exists before migrating")
			}
			if err := db.Migrate(ctx, bdb); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			checkStatus("migrated", true, 1)
			if err := schemaWorks(); err != nil {
				t.Fatalf("after Migrate: %v", err)
			}
			if err := db.Migrate(ctx, bdb); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
			checkStatus("migrated twice", true, 1)

			if err := db.Rollback(ctx, bdb); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			checkStatus("rolled back", false, 0)
			for _, table := range []string{"customers", "users", "reset_tokens", "sessions", "mail_outbox", "audit_events", "rate_limits"} {
				n, err := bdb.NewSelect().TableExpr(table).Count(ctx)
				if err == nil {
					t.Errorf("table %s still exists (%d rows) after Rollback", table, n)
				}
			}

			if err := db.Migrate(ctx, bdb); err != nil {
				t.Fatalf("Migrate after Rollback: %v", err)
			}
			checkStatus("migrated again", true, 1) // group ids count from the applied ones
			if err := schemaWorks(); err != nil {
				t.Fatalf("after second Migrate: %v", err)
			}
		})
	}
}
