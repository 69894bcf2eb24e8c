package app

import (
	"context"
	"fmt"
	"time"
)

// Limit allows Max events per Window. A zero Max switches the limit off.
type Limit struct {
	Max    int
	Window time.Duration
}

// Limits are the configured rate limits.
type Limits struct {
	// ForgotPerIP bounds POST /password/forgot per client IP (429 past it).
	ForgotPerIP Limit
	// LoginPerIP bounds POST /login per client IP (429 past it).
	LoginPerIP Limit
	// ValidatePerIP bounds the inline validation endpoints per client IP.
	ValidatePerIP Limit
	// ResetPerIP bounds POST /password/reset per client IP.
	ResetPerIP Limit
	// MailsPerCustomer and MailsPerEmail bound the emails a customer code or
	// an address can be sent; past them requests are silently dropped.
	MailsPerCustomer Limit
	MailsPerEmail    Limit
	// LoginPerEmail bounds password guesses against one account; past it
	// every attempt fails with the usual generic message.
	LoginPerEmail Limit
}

// DefaultLimits are SPEC section 4's defaults.
func DefaultLimits() Limits {
	return Limits{
		ForgotPerIP:      Limit{20, 10 * time.Minute},
		LoginPerIP:       Limit{20, 10 * time.Minute},
		ValidatePerIP:    Limit{300, 10 * time.Minute},
		ResetPerIP:       Limit{20, 10 * time.Minute},
		MailsPerCustomer: Limit{3, time.Hour},
		MailsPerEmail:    Limit{3, time.Hour},
		LoginPerEmail:    Limit{10, 15 * time.Minute},
	}
}

// Limiter applies limits with counters kept in the database, so every app
// instance sharing it sees the same counts.
type Limiter struct {
	Store LimitStore
	Clock Clock
}

// Allow counts one event for key and reports whether it is within lim, and
// if not, how long until the window ends.
func (l Limiter) Allow(ctx context.Context, key string, lim Limit) (bool, time.Duration, error) {
	if lim.Max <= 0 || lim.Window <= 0 {
		return true, 0, nil
	}
	now := l.Clock()
	n, resetAt, err := l.Store.Hit(ctx, key, lim.Window, now)
	if err != nil {
		return false, 0, fmt.Errorf("limiter: %w", err)
	}
	if n > lim.Max {
		return false, resetAt.Sub(now), nil
	}
	return true, 0, nil
}
