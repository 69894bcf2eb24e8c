package web

import (
	"encoding/base64"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/views"
)

// handleResetLink is the emailed link. It checks the token without spending
// it (mail scanners open links too), moves it into an encrypted HttpOnly
// cookie scoped to /password/reset and redirects, so the token leaves the
// address bar and can never reach a Referer.
func (s *server) handleResetLink(c *fiber.Ctx) error {
	token := c.Params("token")
	h, err := s.deps.Reset.CheckToken(c.UserContext(), token)
	switch {
	case errors.Is(err, app.ErrInvalidToken):
		s.clearResetCookie(c)
	case err != nil:
		return err
	default:
		s.setResetCookie(c, token, h.ExpiresAt)
	}
	return c.Redirect("/password/reset", fiber.StatusSeeOther)
}

func (s *server) setResetCookie(c *fiber.Ctx, token string, expires time.Time) {
	sealed := s.deps.Keys.SealResetCookie([]byte(token))
	c.Cookie(&fiber.Cookie{
		Name:     resetCookie,
		Value:    base64.RawURLEncoding.EncodeToString(sealed),
		Path:     resetCookiePath,
		Expires:  expires,
		HTTPOnly: true,
		Secure:   s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (s *server) clearResetCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: resetCookie, Value: "", Path: resetCookiePath, MaxAge: -1,
		Expires: time.Unix(0, 0), HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// resetToken reads the token back from the cookie; "" when absent or forged.
func (s *server) resetToken(c *fiber.Ctx) string {
	v := c.Cookies(resetCookie)
	if v == "" || len(v) > 512 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	tok, err := s.deps.Keys.OpenResetCookie(raw)
	if err != nil {
		return ""
	}
	return string(tok)
}

func (s *server) resetForm(c *fiber.Ctx, h app.TokenHolder, pw, confirm string, errs app.FieldErrors, summary bool) views.ResetForm {
	t := s.text
	f := views.ResetForm{
		CSRFToken:     s.csrfToken(c),
		Username:      string(h.Email),
		FirstPassword: h.FirstPassword,
		Password: views.Field{Name: app.FieldPassword, Label: t.NewPasswordLabel, Hint: t.PasswordHint(),
			Type: "password", Autocomplete: "new-password", Required: true, MaxLength: 512,
			ValidateURL: "/password/reset/validate", LiveValidate: true, Reveal: true, Value: pw},
		Confirm: views.Field{Name: app.FieldPasswordConfirm, Label: t.ConfirmPasswordLabel,
			Type: "password", Autocomplete: "new-password", Required: true, MaxLength: 512,
			ValidateURL: "/password/reset/validate", Reveal: true, Value: confirm},
	}
	for _, fld := range []*views.Field{&f.Password, &f.Confirm} {
		if key, ok := errs[fld.Name]; ok {
			fld.Error = t.Error(key)
			if summary {
				f.Errors = append(f.Errors, views.FormError{FieldID: fld.ID(), Message: fld.Error})
			}
		}
	}
	return f
}

func (s *server) resetPage(c *fiber.Ctx) views.Page {
	return s.page(c, s.text.ResetTitle, s.text.ResetTitle)
}

// invalidLink answers any unusable token the same way, whatever the cause.
func (s *server) invalidLink(c *fiber.Ctx) error {
	s.clearResetCookie(c)
	if isHTMX(c) {
		c.Set("HX-Retarget", "#reset-form-wrap")
		c.Set("HX-Reswap", "outerHTML")
		return s.render(c, fiber.StatusGone, views.InvalidLinkFragment(true))
	}
	return s.render(c, fiber.StatusGone, views.InvalidLinkPage(s.page(c, s.text.InvalidTitle)))
}

func (s *server) handleResetPage(c *fiber.Ctx) error {
	h, err := s.deps.Reset.CheckToken(c.UserContext(), s.resetToken(c))
	if errors.Is(err, app.ErrInvalidToken) {
		return s.invalidLink(c)
	}
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, views.ResetPage(s.resetPage(c), s.resetForm(c, h, "", "", nil, false)))
}

func (s *server) handleResetSubmit(c *fiber.Ctx) error {
	pw, confirm := c.FormValue(app.FieldPassword), c.FormValue(app.FieldPasswordConfirm)
	token := s.resetToken(c)
	err := s.deps.Reset.ResetPassword(c.UserContext(), token, pw, confirm, client(c))
	if errs, ok := app.AsValidation(err); ok {
		h, cerr := s.deps.Reset.CheckToken(c.UserContext(), token)
		if cerr != nil {
			return s.invalidLink(c)
		}
		// Passwords are never echoed back into the page.
		f := s.resetForm(c, h, "", "", errs, true)
		if isHTMX(c) {
			return s.render(c, fiber.StatusUnprocessableEntity, views.ResetFormFragment(f))
		}
		return s.render(c, fiber.StatusUnprocessableEntity, views.ResetPage(s.resetPage(c), f))
	}
	if errors.Is(err, app.ErrInvalidToken) {
		return s.invalidLink(c)
	}
	if err != nil {
		return err
	}
	s.clearResetCookie(c)
	if isHTMX(c) {
		return s.render(c, fiber.StatusOK, views.DoneFragment(true))
	}
	return c.Redirect("/password/reset/done", fiber.StatusSeeOther)
}

func (s *server) handleResetDone(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, views.DonePage(s.resetPage(c)))
}

// handleResetValidate checks the password or its re-entry as the user
// types or leaves it. Without a live token the personal-data rule cannot be
// applied; the submit will show the invalid-link page anyway.
func (s *server) handleResetValidate(c *fiber.Ctx) error {
	field := c.FormValue("field")
	if field != app.FieldPassword && field != app.FieldPasswordConfirm {
		return fiber.NewError(fiber.StatusBadRequest, errUnknownField.Error())
	}
	pw, confirm := c.FormValue(app.FieldPassword), c.FormValue(app.FieldPasswordConfirm)
	h, err := s.deps.Reset.CheckToken(c.UserContext(), s.resetToken(c))
	if err != nil && !errors.Is(err, app.ErrInvalidToken) {
		return err
	}
	all := s.deps.Reset.ValidatePassword(h, pw, confirm)
	errs := app.FieldErrors{}
	if key, ok := all[field]; ok {
		// An empty re-entry is only a problem on submit, not while the
		// user is still on the first field.
		if !(field == app.FieldPasswordConfirm && key == app.MsgPasswordConfirmEmpty) {
			errs[field] = key
		}
	}
	f := s.resetForm(c, h, "", "", errs, false)
	fld := f.Password
	if field == app.FieldPasswordConfirm {
		fld = f.Confirm
	}
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return s.render(c, status, views.ResetFieldFragment(fld))
}
