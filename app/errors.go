package app

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned by stores when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by stores when a unique value is taken.
var ErrConflict = errors.New("already exists")

// ErrInvalidToken covers unknown, expired, spent and revoked reset tokens
// alike: the user is told the same thing in every case.
var ErrInvalidToken = errors.New("reset token invalid or expired")

// ErrBadCredentials is the one answer to any failed login.
var ErrBadCredentials = errors.New("bad credentials")

// ErrNoSession means the request carries no live login session.
var ErrNoSession = errors.New("no session")

// FieldErrors maps a form field name to the catalogue key of its message.
// An empty map means the input is valid.
type FieldErrors map[string]MessageKey

// Add records msg for field unless the field already has a message, so the
// first (most basic) problem is the one shown.
func (fe FieldErrors) Add(field string, msg MessageKey) {
	if _, ok := fe[field]; !ok {
		fe[field] = msg
	}
}

// ValidationError is returned by services when the input breaks a rule.
type ValidationError struct{ Fields FieldErrors }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid input: %v", e.Fields) }

// AsValidation returns the field errors in err, if it is a validation error.
func AsValidation(err error) (FieldErrors, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields, true
	}
	return nil, false
}
