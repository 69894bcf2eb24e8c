package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
)

type customerRow struct {
	bun.BaseModel `bun:"table:customers,alias:c"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Code       string    `bun:"code"`
	PostalCode string    `bun:"postal_code"`
	Company    string    `bun:"company"`
	CreatedAt  time.Time `bun:"created_at"`
}

func (r customerRow) domain() app.Customer {
	return app.Customer{
		ID:         r.ID,
		Code:       app.CustomerCode(r.Code),
		PostalCode: app.PostalCode(r.PostalCode),
		Company:    r.Company,
		CreatedAt:  r.CreatedAt.UTC(),
	}
}

type userRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           int64     `bun:"id,pk,autoincrement"`
	CustomerID   int64     `bun:"customer_id"`
	Email        string    `bun:"email"`
	EmailKey     string    `bun:"email_key"` // app.Email.Key(): what lookups and the unique index use
	Role         string    `bun:"role"`
	PasswordHash string    `bun:"password_hash"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

func (r userRow) domain() app.User {
	return app.User{
		ID:           r.ID,
		CustomerID:   r.CustomerID,
		Email:        app.Email(r.Email),
		Role:         app.Role(r.Role),
		PasswordHash: r.PasswordHash,
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
	}
}

// CreateCustomer inserts c and sets its ID. A taken code is app.ErrConflict.
func (s *Store) CreateCustomer(ctx context.Context, c *app.Customer) error {
	for _, f := range []struct {
		name, v string
		n       int
	}{{"code", string(c.Code), maxCode}, {"postal code", string(c.PostalCode), maxPostalCode}} {
		if err := checkLen(f.name, f.v, f.n); err != nil {
			return fmt.Errorf("db: create customer: %w", err)
		}
	}
	row := customerRow{
		Code:       string(c.Code),
		PostalCode: string(c.PostalCode),
		Company:    clip(c.Company, maxCompany),
		CreatedAt:  dbTime(orNow(c.CreatedAt)),
	}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("db: create customer %s: %w", c.Code, mapErr(err))
	}
	*c = row.domain()
	return nil
}

// CustomerByCode finds a customer by its normalised code.
func (s *Store) CustomerByCode(ctx context.Context, code app.CustomerCode) (app.Customer, error) {
	var row customerRow
	if err := s.db.NewSelect().Model(&row).Where("code = ?", string(code)).Limit(1).Scan(ctx); err != nil {
		return app.Customer{}, fmt.Errorf("db: customer by code %s: %w", code, mapErr(err))
	}
	return row.domain(), nil
}

// CustomerByID finds a customer by id.
func (s *Store) CustomerByID(ctx context.Context, id int64) (app.Customer, error) {
	var row customerRow
	if err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return app.Customer{}, fmt.Errorf("db: customer %d: %w", id, mapErr(err))
	}
	return row.domain(), nil
}

// CreateUser inserts u and sets its ID. An email whose Key() is taken is
// app.ErrConflict. A zero UpdatedAt becomes CreatedAt.
func (s *Store) CreateUser(ctx context.Context, u *app.User) error {
	if !u.Role.Valid() {
		return fmt.Errorf("db: create user: unknown role %q", u.Role)
	}
	if err := checkLen("email", string(u.Email), maxEmail); err != nil {
		return fmt.Errorf("db: create user: %w", err)
	}
	if err := checkLen("password hash", u.PasswordHash, maxPasswordHash); err != nil {
		return fmt.Errorf("db: create user: %w", err)
	}
	created := dbTime(orNow(u.CreatedAt))
	updated := created
	if !u.UpdatedAt.IsZero() {
		updated = dbTime(u.UpdatedAt)
	}
	row := userRow{
		CustomerID:   u.CustomerID,
		Email:        string(u.Email),
		EmailKey:     u.Email.Key(),
		Role:         string(u.Role),
		PasswordHash: u.PasswordHash,
		CreatedAt:    created,
		UpdatedAt:    updated,
	}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("db: create user: %w", mapErr(err))
	}
	*u = row.domain()
	return nil
}

// UserByEmail finds the user whose email has the same Key() as email.
func (s *Store) UserByEmail(ctx context.Context, email app.Email) (app.User, error) {
	var row userRow
	if err := s.db.NewSelect().Model(&row).Where("email_key = ?", email.Key()).Limit(1).Scan(ctx); err != nil {
		// The email stays out of the message: errors end up in logs.
		return app.User{}, fmt.Errorf("db: user by email: %w", mapErr(err))
	}
	return row.domain(), nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (app.User, error) {
	var row userRow
	if err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return app.User{}, fmt.Errorf("db: user %d: %w", id, mapErr(err))
	}
	return row.domain(), nil
}

// UsersOfCustomer lists a customer's users in the order they were created.
func (s *Store) UsersOfCustomer(ctx context.Context, customerID int64) ([]app.User, error) {
	var rows []userRow
	if err := s.db.NewSelect().Model(&rows).Where("customer_id = ?", customerID).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: users of customer %d: %w", customerID, mapErr(err))
	}
	users := make([]app.User, len(rows))
	for i, r := range rows {
		users[i] = r.domain()
	}
	return users, nil
}

// SetPasswordHash stores a new password hash; app.ErrNotFound if there is
// no such user.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string, at time.Time) error {
	if err := checkLen("password hash", hash, maxPasswordHash); err != nil {
		return fmt.Errorf("db: set password: %w", err)
	}
	res, err := s.db.NewUpdate().Model((*userRow)(nil)).
		Set("password_hash = ?", hash).
		Set("updated_at = ?", dbTime(at)).
		Where("id = ?", userID).
		Exec(ctx)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("db: set password of user %d: %w", userID, mapErr(err))
	}
	return nil
}
