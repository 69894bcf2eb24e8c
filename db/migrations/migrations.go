// Package migrations holds the schema as numbered, reversible SQL files,
// one directory per dialect: MySQL/MariaDB and SQLite differ in column types
// and in transactional DDL. A MySQL file is one statement, because MySQL
// commits each DDL statement on its own; an SQLite file (".tx.") runs in a
// transaction. Both directories carry the same numbers and names.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// files is package-level only because go:embed requires it; it is read-only.
//
//go:embed mysql/*.sql sqlite/*.sql
var files embed.FS

// New returns the migrations for the dialect.
func New(name dialect.Name) (*migrate.Migrations, error) {
	var dir string
	switch name {
	case dialect.MySQL:
		dir = "mysql"
	case dialect.SQLite:
		dir = "sqlite"
	default:
		return nil, fmt.Errorf("migrations: no migrations for dialect %s", name)
	}
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %s: %w", dir, err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("migrations: discover %s: %w", dir, err)
	}
	return ms, nil
}
