// Package i18n is the message catalogue: every user-facing string of the
// web pages lives in one Text value per language. Fields, not map keys, so a
// missing translation is a compile error, not a blank on a page.
package i18n

import (
	"context"
	"fmt"

	"github.com/hafele-online/reset/app"
)

// Text is one language's catalogue.
type Text struct {
	Lang string

	SiteName, SkipToContent, HomeLabel, Breadcrumb, ServiceSupport, Contact, LoginNav, AccountNav string
	FooterCopyright, PrivacyPolicy, ContactForm                                                   string
	// PrivacyURL and ContactURL are the corporate site's pages the seed links
	// to; they live outside this service.
	PrivacyURL, ContactURL string

	// Request form (パスワードリセット/パスワード申請).
	ForgotTitle, ForgotIntro, ForgotMailTo, ForgotDelay            string
	ForgotCodeHelpQ, ForgotCodeHelpA                               string
	ForgotSharedQ, ForgotSharedA                                   string
	ForgotNoCodeQ, ForgotNoCodeA                                   string
	CustomerCodeLabel, CustomerCodeHint                            string
	PostalCodeLabel, PostalCodeHint                                string
	EmailLabel, EmailHint                                          string
	Required, RequiredNote, Submit, Submitting, PrivacyLink        string
	ErrorSummaryTitle, ErrorSummaryIntro                           string
	SentTitle, SentLead, SentMatchNote, SentDelay, SentBackToLogin string

	// New password (パスワードの新規作成または再設定登録).
	ResetTitle, ResetLead, ResetFirstLead                   string
	NewPasswordLabel, NewPasswordHint, ConfirmPasswordLabel string
	ShowPassword, HidePassword                              string
	DoneTitle, DoneLead, LoginNow                           string
	InvalidTitle, InvalidLead, InvalidAdvice, InvalidAgain  string

	// Login and account.
	LoginTitle, LoginEmailLabel, LoginPasswordLabel, LoginButton, ForgotLink, LoginFailed string
	LoginNoPasswordHint                                                                   string
	AccountTitle, AccountCustomerCode, AccountCompany, AccountEmail, AccountRole          string
	RoleMain, RoleShared, SharedUsersTitle, SharedUsersNone, LogoutButton                 string

	// Error pages.
	TooManyTitle, TooManyLead                   string
	ForbiddenTitle, ForbiddenLead               string
	NotFoundTitle, NotFoundLead                 string
	TooLargeTitle, TooLargeLead                 string
	ServerErrorTitle, ServerErrorLead, Retry    string
	MethodNotAllowedTitle, MethodNotAllowedLead string

	// Errors are the validation messages, by the domain's keys. The
	// too-short message and NewPasswordHint take PasswordMinLength.
	Errors map[app.MessageKey]string

	// PasswordMinLength is the configured minimum, shown in messages.
	PasswordMinLength int

	// Email holds the texts of the emails.
	Email EmailText
}

// Error returns the message for key.
func (t *Text) Error(key app.MessageKey) string {
	if msg, ok := t.Errors[key]; ok {
		if key == app.MsgPasswordTooShort {
			return fmt.Sprintf(msg, t.minLength())
		}
		return msg
	}
	return t.Errors[app.MsgInputInvalidChars]
}

// PasswordHint is the help text under the new password field.
func (t *Text) PasswordHint() string { return fmt.Sprintf(t.NewPasswordHint, t.minLength()) }

func (t *Text) minLength() int {
	if t.PasswordMinLength < app.DefaultPasswordMinLength {
		return app.DefaultPasswordMinLength
	}
	return t.PasswordMinLength
}

// Role names a role.
func (t *Text) Role(r app.Role) string {
	if r == app.RoleMain {
		return t.RoleMain
	}
	return t.RoleShared
}

type ctxKey struct{}

// WithText returns ctx carrying t, for the views.
func WithText(ctx context.Context, t *Text) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// From returns the catalogue in ctx, Japanese by default.
func From(ctx context.Context) *Text {
	if t, ok := ctx.Value(ctxKey{}).(*Text); ok {
		return t
	}
	return Japanese()
}
