package app

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MessageKey names a user-facing message in the catalogue (app/i18n).
// The domain speaks in keys; the views turn them into text.
type MessageKey string

// Messages of the request form and the password rules.
const (
	MsgCustomerCodeRequired MessageKey = "err.customer_code.required"
	MsgCustomerCodeFormat   MessageKey = "err.customer_code.format"
	MsgPostalCodeRequired   MessageKey = "err.postal_code.required"
	MsgPostalCodeFormat     MessageKey = "err.postal_code.format"
	MsgEmailRequired        MessageKey = "err.email.required"
	MsgEmailFormat          MessageKey = "err.email.format"
	MsgEmailTooLong         MessageKey = "err.email.too_long"
	MsgInputInvalidChars    MessageKey = "err.input.invalid_chars"
	MsgPasswordRequired     MessageKey = "err.password.required"
	MsgPasswordTooShort     MessageKey = "err.password.too_short"
	MsgPasswordTooLong      MessageKey = "err.password.too_long"
	MsgPasswordCommon       MessageKey = "err.password.common"
	MsgPasswordPersonal     MessageKey = "err.password.personal"
	MsgPasswordMismatch     MessageKey = "err.password.mismatch"
	MsgPasswordConfirmEmpty MessageKey = "err.password.confirm_required"
)

// Form field names, shared by the forms, the validators and the handlers.
const (
	FieldCustomerCode    = "customer_code"
	FieldPostalCode      = "postal_code"
	FieldEmail           = "email"
	FieldPassword        = "password"
	FieldPasswordConfirm = "password_confirm"
)

// maxFieldRunes bounds any single-line field before we look at it further;
// the longest legitimate value is an email (254).
const maxFieldRunes = 254

// CustomerCode is a normalised customer code: "JP" and 7 digits.
type CustomerCode string

// PostalCode is a normalised Japanese postal code: "nnn-nnnn".
type PostalCode string

// Email is an address as typed or stored, trimmed and NFKC-normalised. Two
// emails are the same user when their Key()s are equal.
type Email string

// Key is the comparison form of the email: lower-cased. Domain parts are
// case-insensitive and, in practice, so are local parts at every provider
// our customers use.
func (e Email) Key() string { return strings.ToLower(string(e)) }

// Normalize applies NFKC (full-width → half-width, ideographic space →
// space, compatibility forms) and trims surrounding white space. Japanese
// keyboards produce full-width input easily, so every typed field goes
// through it first.
func Normalize(s string) string {
	return strings.TrimSpace(norm.NFKC.String(s))
}

// hasForbiddenRunes reports invalid UTF-8, control characters (CR, LF, NUL,
// …), and invisible format characters such as zero-width spaces and bidi
// overrides, none of which belong in a code, a postal code or an email.
func hasForbiddenRunes(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// ParseCustomerCode normalises and checks a customer code: "jp００６２６５２"
// becomes "JP0062652".
func ParseCustomerCode(raw string) (CustomerCode, MessageKey) {
	if hasForbiddenRunes(raw) {
		return "", MsgInputInvalidChars
	}
	s := strings.ToUpper(Normalize(raw))
	if s == "" {
		return "", MsgCustomerCodeRequired
	}
	if len(s) != 9 || s[:2] != "JP" || !allDigits(s[2:]) {
		return "", MsgCustomerCodeFormat
	}
	return CustomerCode(s), ""
}

// ParsePostalCode accepts "2440806", "244-0806", "２４４－０８０６" and
// "〒244-0806" and returns "244-0806". Dash-like characters that NFKC leaves
// alone (ー, ―, −, ‐) are accepted as the hyphen, since IMEs produce them.
func ParsePostalCode(raw string) (PostalCode, MessageKey) {
	if hasForbiddenRunes(raw) {
		return "", MsgInputInvalidChars
	}
	s := Normalize(raw)
	if s == "" {
		return "", MsgPostalCodeRequired
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "〒"))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '‐', '‑', '‒', '–', '—', '―', '−', 'ー', '─', '━':
			return '-'
		}
		return r
	}, s)
	switch {
	case len(s) == 7 && allDigits(s):
		return PostalCode(s[:3] + "-" + s[3:]), ""
	case len(s) == 8 && s[3] == '-' && allDigits(s[:3]) && allDigits(s[4:]):
		return PostalCode(s), ""
	}
	return "", MsgPostalCodeFormat
}

// ParseEmail normalises and checks an email address for form only: one
// plain addr-spec, no display name, no comments, no white space.
func ParseEmail(raw string) (Email, MessageKey) {
	if hasForbiddenRunes(raw) {
		return "", MsgInputInvalidChars
	}
	s := Normalize(raw)
	if s == "" {
		return "", MsgEmailRequired
	}
	if utf8.RuneCountInString(s) > maxFieldRunes {
		return "", MsgEmailTooLong
	}
	if strings.ContainsAny(s, " \t<>()[]\\,;:\"") {
		return "", MsgEmailFormat
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return "", MsgEmailFormat
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", MsgEmailFormat
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", MsgEmailFormat
	}
	return Email(s), ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ResetRequestForm is what the customer typed into the request form.
type ResetRequestForm struct {
	CustomerCode string
	PostalCode   string
	Email        string
}

// ResetRequest is a validated, normalised request.
type ResetRequest struct {
	CustomerCode CustomerCode
	PostalCode   PostalCode
	Email        Email
}

// Validate checks all three fields and returns the normalised request, or
// the problems by field.
func (f ResetRequestForm) Validate() (ResetRequest, FieldErrors) {
	var req ResetRequest
	errs := FieldErrors{}
	var msg MessageKey
	if req.CustomerCode, msg = ParseCustomerCode(f.CustomerCode); msg != "" {
		errs.Add(FieldCustomerCode, msg)
	}
	if req.PostalCode, msg = ParsePostalCode(f.PostalCode); msg != "" {
		errs.Add(FieldPostalCode, msg)
	}
	if req.Email, msg = ParseEmail(f.Email); msg != "" {
		errs.Add(FieldEmail, msg)
	}
	return req, errs
}

// ValidateField checks only the named field (inline validation as the user
// leaves it). Unknown field names yield no problems.
func (f ResetRequestForm) ValidateField(field string) FieldErrors {
	_, all := f.Validate()
	out := FieldErrors{}
	if msg, ok := all[field]; ok {
		out[field] = msg
	}
	return out
}
