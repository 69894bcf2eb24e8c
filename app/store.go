package app

import (
	"context"
	"time"
)

// ResetToken is the stored side of a reset link: only the SHA-256 of the
// token the user holds is kept.
type ResetToken struct {
	ID        int64
	UserID    int64
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// Live reports whether the token can still be used at now.
func (t ResetToken) Live(now time.Time) bool {
	return t.UsedAt == nil && t.RevokedAt == nil && now.Before(t.ExpiresAt)
}

// Session is a server-side login session; the cookie holds a random id and
// only its SHA-256 is stored.
type Session struct {
	IDHash    []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// OutboxStatus is where an outbox message is in its life.
type OutboxStatus string

const (
	OutboxPending OutboxStatus = "pending"
	OutboxSent    OutboxStatus = "sent"
	OutboxDead    OutboxStatus = "dead"
)

// MailKind says which email an outbox message is.
type MailKind string

const (
	MailReset           MailKind = "reset"            // link to set a password (main user)
	MailAskMainUser     MailKind = "ask_main_user"    // shared user: ask your main user
	MailPasswordChanged MailKind = "password_changed" // notification after a change
)

// OutboxMessage is an email waiting to be sent. Payload is sealed (encrypted
// and authenticated with the server's key) because a reset email carries the
// token in clear; it is wiped once the provider has accepted the message.
type OutboxMessage struct {
	ID            int64
	Kind          MailKind
	UserID        int64
	Payload       []byte
	Status        OutboxStatus
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	ProviderID    string
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// AuditKind names an audit event.
type AuditKind string

const (
	AuditResetRequested AuditKind = "reset.requested" // Detail: matched_main, matched_shared, no_match, throttled
	AuditResetMailSent  AuditKind = "mail.sent"
	AuditMailFailed     AuditKind = "mail.failed"
	AuditTokenSpent     AuditKind = "reset.token_spent"
	AuditTokenRejected  AuditKind = "reset.token_rejected"
	AuditPasswordSet    AuditKind = "password.changed"
	AuditLoginSucceeded AuditKind = "login.succeeded"
	AuditLoginFailed    AuditKind = "login.failed"
	AuditLogout         AuditKind = "logout"
	AuditRateLimited    AuditKind = "rate_limited"
)

// AuditEvent is one line of the audit log. It never holds a token, a
// password or a session id.
type AuditEvent struct {
	ID           int64
	At           time.Time
	Kind         AuditKind
	UserID       *int64
	CustomerCode string
	Email        string
	Detail       string
	IP           string
	UserAgent    string
}

// Client is who made a request, for limits and the audit log.
type Client struct {
	IP        string
	UserAgent string
}

// AccountStore finds and changes customers and users.
type AccountStore interface {
	CreateCustomer(ctx context.Context, c *Customer) error
	CustomerByCode(ctx context.Context, code CustomerCode) (Customer, error)
	CustomerByID(ctx context.Context, id int64) (Customer, error)
	CreateUser(ctx context.Context, u *User) error
	// UserByEmail looks up by Email.Key(); callers still compare in Go.
	UserByEmail(ctx context.Context, email Email) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	UsersOfCustomer(ctx context.Context, customerID int64) ([]User, error)
	SetPasswordHash(ctx context.Context, userID int64, hash string, at time.Time) error
}

// TokenStore keeps reset tokens.
type TokenStore interface {
	CreateResetToken(ctx context.Context, t *ResetToken) error
	ResetTokenByHash(ctx context.Context, hash []byte) (ResetToken, error)
	// SpendResetToken marks the token used if it is still live at now and
	// reports whether this call was the one that spent it (exactly one of
	// two concurrent callers gets true).
	SpendResetToken(ctx context.Context, id int64, now time.Time) (bool, error)
	// RevokeResetTokens revokes the user's live tokens except exceptID.
	RevokeResetTokens(ctx context.Context, userID, exceptID int64, at time.Time) error
}

// SessionStore keeps login sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	SessionByHash(ctx context.Context, idHash []byte) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	DeleteUserSessions(ctx context.Context, userID int64) error
}

// OutboxStore is the durable mail queue.
type OutboxStore interface {
	EnqueueMail(ctx context.Context, m *OutboxMessage) error
	// ClaimMail leases up to limit due pending messages to this worker until
	// now+lease, so several instances never send the same message at once.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error)
	MarkMailSent(ctx context.Context, id int64, providerID string, at time.Time) error
	MarkMailFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error
	MailByID(ctx context.Context, id int64) (OutboxMessage, error)
}

// AuditStore writes and reads the audit log.
type AuditStore interface {
	RecordAudit(ctx context.Context, e *AuditEvent) error
	// RecentAudit returns up to limit events, newest first, with ID > afterID.
	RecentAudit(ctx context.Context, afterID int64, limit int) ([]AuditEvent, error)
}

// LimitStore counts events per key in fixed windows, atomically across
// every app instance sharing the database.
type LimitStore interface {
	// Hit adds one to key's counter for the window that contains now and
	// returns the count including this hit and when the window ends.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
}

// Store is everything the services need from the database. InTx runs fn
// in one transaction; the Store passed to fn is bound to it.
type Store interface {
	AccountStore
	TokenStore
	SessionStore
	OutboxStore
	AuditStore
	LimitStore
	PruneStore
	InTx(ctx context.Context, fn func(tx Store) error) error
	Ping(ctx context.Context) error
}

// Clock tells the time; tests inject a fixed one.
type Clock func() time.Time
