package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"

	"github.com/hafele-online/reset/db/migrations"
)

// MigrationState is one migration as a CLI prints it.
type MigrationState struct {
	Name       string    // "000001_customers"
	Applied    bool      // false: pending
	GroupID    int64     // the Migrate run that applied it; Rollback undoes the last group
	MigratedAt time.Time // zero when pending
}

// Migrate applies every pending migration as one group.
func Migrate(ctx context.Context, db *bun.DB) error {
	return withMigrator(ctx, db, func(m *migrate.Migrator) error {
		if _, err := m.Migrate(ctx); err != nil {
			return fmt.Errorf("db: migrate: %w", err)
		}
		return nil
	})
}

// Rollback undoes the last group of applied migrations.
func Rollback(ctx context.Context, db *bun.DB) error {
	return withMigrator(ctx, db, func(m *migrate.Migrator) error {
		if _, err := m.Rollback(ctx); err != nil {
			return fmt.Errorf("db: rollback: %w", err)
		}
		return nil
	})
}

// MigrationStatus lists every known migration in order, applied or not.
// Like Migrate, it creates Bun's bookkeeping tables when they are missing.
func MigrationStatus(ctx context.Context, db *bun.DB) ([]MigrationState, error) {
	var out []MigrationState
	err := withMigrator(ctx, db, func(m *migrate.Migrator) error {
		ms, err := m.MigrationsWithStatus(ctx)
		if err != nil {
			return fmt.Errorf("db: migration status: %w", err)
		}
		out = make([]MigrationState, 0, len(ms))
		for _, mg := range ms {
			st := MigrationState{Name: mg.String(), Applied: mg.IsApplied(), GroupID: mg.GroupID}
			if st.Applied {
				st.MigratedAt = mg.MigratedAt.UTC()
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// withMigrator prepares a migrator (creating its bookkeeping tables) and
// runs fn while holding the migration lock.
func withMigrator(ctx context.Context, db *bun.DB, fn func(*migrate.Migrator) error) error {
	ms, err := migrations.New(db.Dialect().Name())
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	// Mark a migration applied only once it succeeded, so a failed one is
	// retried on the next run instead of being skipped.
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("db: init migrations table: %w", err)
	}
	if db.Dialect().Name() != dialect.MySQL {
		// SQLite runs each migration in a transaction and is one file for
		// one process; a racing second migrator fails on "table exists".
		return fn(m)
	}
	return withMySQLLock(ctx, db, m, fn)
}

// withMySQLLock holds a named server lock so several instances starting at
// once migrate one after the other. Unlike Bun's lock table it cannot go
// stale: the server drops it when the connection ends. Lock names are
// limited to 64 characters, hence the MD5 of the database name.
func withMySQLLock(ctx context.Context, db *bun.DB, m *migrate.Migrator, fn func(*migrate.Migrator) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: migration lock: %w", err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT('reset_migrate:', MD5(DATABASE())), 60)").Scan(&got); err != nil {
		return fmt.Errorf("db: migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("db: migration lock: another migration has held the lock for 60s")
	}
	defer func() {
		// A fresh context: the lock must go even when ctx was cancelled.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(CONCAT('reset_migrate:', MD5(DATABASE())))")
	}()
	return fn(m)
}
