// Package app is the domain of the Häfele Online password-reset service:
// customers and their users, the rules for what they type, reset tokens,
// passwords, sessions and the reset flow itself. It depends on no web
// framework, database driver or template engine; the adapters beside it
// (app/web, db, views, app/mailgun, app/devmail) implement the small
// interfaces it declares.
package app

import "time"

// Role is what a user is to its customer.
type Role string

const (
	// RoleMain is the customer's one main user (メインユーザ); its email is
	// the customer's registered email.
	RoleMain Role = "main"
	// RoleShared is a shared user (共有ユーザ); its password is managed by
	// the main user.
	RoleShared Role = "shared"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleMain || r == RoleShared }

// Customer is a company with a customer code (お客様コード).
type Customer struct {
	ID         int64
	Code       CustomerCode
	PostalCode PostalCode
	Company    string
	CreatedAt  time.Time
}

// User is a login of a customer. An empty PasswordHash means the user has no
// password yet and cannot log in until it creates one through the reset flow.
type User struct {
	ID           int64
	CustomerID   int64
	Email        Email
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HasPassword reports whether the user can log in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }
