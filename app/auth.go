package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultSessionTTL is how long a login lasts.
const DefaultSessionTTL = 12 * time.Hour

// AuthService logs users in and out with server-side sessions.
type AuthService struct {
	Store      Store
	Hasher     *Hasher
	Clock      Clock
	Limiter    Limiter
	Limits     Limits
	SessionTTL time.Duration
	Logger     *slog.Logger
}

// LoginForm is what was typed into the login form.
type LoginForm struct {
	Email    string
	Password string
}

// Login checks the credentials and starts a session, returning the value
// for the session cookie. Any failure (unknown email, no password yet,
// wrong password, too many attempts) is ErrBadCredentials and costs the
// same argon2id work.
func (a *AuthService) Login(ctx context.Context, form LoginForm, client Client) (string, error) {
	now := a.Clock()
	email, msg := ParseEmail(form.Email)
	event := AuditEvent{At: now, Kind: AuditLoginFailed, Email: string(email), IP: client.IP, UserAgent: client.UserAgent}
	fail := func(detail string) (string, error) {
		event.Detail = detail
		if err := a.Store.RecordAudit(ctx, &event); err != nil {
			return "", fmt.Errorf("login: audit: %w", err)
		}
		return "", ErrBadCredentials
	}
	var user User
	var err error
	// The per-account counter is hit for every well-formed email, known or
	// not, so its cost does not tell which emails exist.
	allowed := true
	if msg == "" {
		if allowed, _, err = a.Limiter.Allow(ctx, "login:email:"+email.Key(), a.Limits.LoginPerEmail); err != nil {
			return "", fmt.Errorf("login: %w", err)
		}
		user, err = a.Store.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("login: find user: %w", err)
		}
		if err == nil && user.Email.Key() != email.Key() {
			user = User{}
		}
	}
	ok, rehash, err := a.Hasher.Verify(ctx, form.Password, user.PasswordHash)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	if user.ID == 0 {
		return fail("unknown_user")
	}
	event.UserID = &user.ID
	switch {
	case !allowed:
		return fail("throttled")
	case !user.HasPassword():
		return fail("no_password")
	case !ok:
		return fail("wrong_password")
	}
	if rehash {
		if h, err := a.Hasher.Hash(ctx, form.Password); err == nil {
			if err := a.Store.SetPasswordHash(ctx, user.ID, h, now); err != nil {
				a.logger().Warn("rehash on login", "err", err)
			}
		}
	}
	id, idHash := newSessionID()
	ttl := a.SessionTTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	sess := Session{IDHash: idHash, UserID: user.ID, CreatedAt: now, ExpiresAt: now.Add(ttl),
		IP: client.IP, UserAgent: client.UserAgent}
	err = a.Store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateSession(ctx, &sess); err != nil {
			return err
		}
		event.Kind, event.Detail = AuditLoginSucceeded, ""
		return tx.RecordAudit(ctx, &event)
	})
	if err != nil {
		return "", fmt.Errorf("login: start session: %w", err)
	}
	return id, nil
}

func (a *AuthService) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}

func newSessionID() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	return id, hashSessionID(id)
}

func hashSessionID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// Account is what the account page shows.
type Account struct {
	User     User
	Customer Customer
	// Shared lists the customer's shared users, for a main user only.
	Shared []User
}

// CurrentAccount returns the account of a live session.
func (a *AuthService) CurrentAccount(ctx context.Context, sessionID string) (Account, error) {
	if sessionID == "" || len(sessionID) > 128 {
		return Account{}, ErrNoSession
	}
	sess, err := a.Store.SessionByHash(ctx, hashSessionID(sessionID))
	if errors.Is(err, ErrNotFound) {
		return Account{}, ErrNoSession
	}
	if err != nil {
		return Account{}, fmt.Errorf("account: session: %w", err)
	}
	if !a.Clock().Before(sess.ExpiresAt) {
		return Account{}, ErrNoSession
	}
	user, err := a.Store.UserByID(ctx, sess.UserID)
	if err != nil {
		return Account{}, fmt.Errorf("account: user: %w", err)
	}
	cust, err := a.Store.CustomerByID(ctx, user.CustomerID)
	if err != nil {
		return Account{}, fmt.Errorf("account: customer: %w", err)
	}
	acc := Account{User: user, Customer: cust}
	if user.Role == RoleMain {
		users, err := a.Store.UsersOfCustomer(ctx, cust.ID)
		if err != nil {
			return Account{}, fmt.Errorf("account: users: %w", err)
		}
		for _, u := range users {
			if u.Role == RoleShared {
				acc.Shared = append(acc.Shared, u)
			}
		}
	}
	return acc, nil
}

// Logout ends the session, if there is one.
func (a *AuthService) Logout(ctx context.Context, sessionID string, client Client) error {
	if sessionID == "" || len(sessionID) > 128 {
		return nil
	}
	h := hashSessionID(sessionID)
	sess, err := a.Store.SessionByHash(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if err := a.Store.DeleteSession(ctx, h); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return a.Store.RecordAudit(ctx, &AuditEvent{At: a.Clock(), Kind: AuditLogout, UserID: &sess.UserID,
		IP: client.IP, UserAgent: client.UserAgent})
}
