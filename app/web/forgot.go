package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/views"
)

// forgotForm builds the request form's view model from what was typed and
// its problems.
func (s *server) forgotForm(c *fiber.Ctx, in app.ResetRequestForm, errs app.FieldErrors, summary bool) views.ForgotForm {
	t := s.text
	f := views.ForgotForm{
		Action:    "/password/forgot",
		CSRFToken: s.csrfToken(c),
		CustomerCode: views.Field{Name: app.FieldCustomerCode, Label: t.CustomerCodeLabel, Hint: t.CustomerCodeHint,
			Value: in.CustomerCode, Type: "text", Autocomplete: "off", Required: true, MaxLength: 32,
			ValidateURL: "/password/forgot/validate"},
		PostalCode: views.Field{Name: app.FieldPostalCode, Label: t.PostalCodeLabel, Hint: t.PostalCodeHint,
			Value: in.PostalCode, Type: "text", Autocomplete: "postal-code", InputMode: "numeric", Required: true,
			MaxLength: 16, ValidateURL: "/password/forgot/validate"},
		Email: views.Field{Name: app.FieldEmail, Label: t.EmailLabel, Hint: t.EmailHint,
			Value: in.Email, Type: "email", Autocomplete: "email", InputMode: "email", Required: true,
			MaxLength: 254, ValidateURL: "/password/forgot/validate"},
	}
	// A field that passed shows its normalised form (ｊｐ００６２６５２ →
	// JP0062652), so the user sees what will be compared. Validate leaves
	// the value of a field with a problem empty.
	req, _ := in.Validate()
	for fld, v := range map[*views.Field]string{&f.CustomerCode: string(req.CustomerCode),
		&f.PostalCode: string(req.PostalCode), &f.Email: string(req.Email)} {
		if v != "" {
			fld.Value = v
		}
	}
	for _, fld := range []*views.Field{&f.CustomerCode, &f.PostalCode, &f.Email} {
		if key, ok := errs[fld.Name]; ok {
			fld.Error = t.Error(key)
			if summary {
				f.Errors = append(f.Errors, views.FormError{FieldID: fld.ID(), Message: fld.Error})
			}
		}
	}
	return f
}

func readForgotForm(c *fiber.Ctx) app.ResetRequestForm {
	return app.ResetRequestForm{
		CustomerCode: c.FormValue(app.FieldCustomerCode),
		PostalCode:   c.FormValue(app.FieldPostalCode),
		Email:        c.FormValue(app.FieldEmail),
	}
}

func (s *server) handleForgotPage(c *fiber.Ctx) error {
	p := s.page(c, s.text.ForgotTitle, s.text.Contact, s.text.ForgotTitle)
	return s.render(c, fiber.StatusOK, views.ForgotPage(p, s.forgotForm(c, app.ResetRequestForm{}, nil, false)))
}

func (s *server) handleEmbedForgot(c *fiber.Ctx) error {
	s.allowFraming(c)
	p := s.page(c, s.text.ForgotTitle)
	p.Embed = true
	f := s.forgotForm(c, app.ResetRequestForm{}, nil, false)
	f.Embed = true
	return s.render(c, fiber.StatusOK, views.ForgotPage(p, f))
}

// allowFraming lets the origins in EMBED_ALLOWED_ORIGINS frame this response.
func (s *server) allowFraming(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, embedCSP(s.embedAncestors))
	c.Response().Header.Del(fiber.HeaderXFrameOptions)
}

func embedCSP(ancestors string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + ancestors
}

// handleForgotSubmit accepts a request. Whatever the three values match (a
// main user, a shared user, nothing) or whether the account is throttled,
// the response is the same: the work happens off the request path.
func (s *server) handleForgotSubmit(c *fiber.Ctx) error {
	in := readForgotForm(c)
	embed := c.FormValue("embed") == "1"
	err := s.deps.Reset.RequestReset(c.UserContext(), in, client(c))
	if errs, ok := app.AsValidation(err); ok {
		f := s.forgotForm(c, in, errs, true)
		f.Embed = embed
		if isHTMX(c) {
			return s.render(c, fiber.StatusUnprocessableEntity, views.ForgotFormFragment(f))
		}
		p := s.page(c, s.text.ForgotTitle, s.text.Contact, s.text.ForgotTitle)
		if embed {
			s.allowFraming(c)
			p.Embed = true
		}
		return s.render(c, fiber.StatusUnprocessableEntity, views.ForgotPage(p, f))
	}
	if err != nil {
		return err
	}
	if isHTMX(c) {
		c.Set("HX-Retarget", "#forgot")
		c.Set("HX-Reswap", "outerHTML")
		return s.render(c, fiber.StatusOK, views.SentFragment(true))
	}
	if embed {
		return c.Redirect("/embed/password/forgot/sent", fiber.StatusSeeOther)
	}
	return c.Redirect("/password/forgot/sent", fiber.StatusSeeOther)
}

func (s *server) handleForgotSent(c *fiber.Ctx) error {
	p := s.page(c, s.text.SentTitle, s.text.Contact, s.text.ForgotTitle, s.text.SentTitle)
	return s.render(c, fiber.StatusOK, views.SentPage(p))
}

func (s *server) handleEmbedForgotSent(c *fiber.Ctx) error {
	s.allowFraming(c)
	p := s.page(c, s.text.SentTitle)
	p.Embed = true
	return s.render(c, fiber.StatusOK, views.SentPage(p))
}

// errUnknownField is a validate request naming no field of the form.
var errUnknownField = errors.New("unknown field")

// handleForgotValidate checks the one field the user just left, for form
// only (never whether an account exists), and answers its fragment.
func (s *server) handleForgotValidate(c *fiber.Ctx) error {
	in := readForgotForm(c)
	field := c.FormValue("field")
	switch field {
	case app.FieldCustomerCode, app.FieldPostalCode, app.FieldEmail:
	default:
		return fiber.NewError(fiber.StatusBadRequest, errUnknownField.Error())
	}
	errs := in.ValidateField(field)
	f := s.forgotForm(c, in, errs, false)
	var fld views.Field
	switch field {
	case app.FieldCustomerCode:
		fld = f.CustomerCode
	case app.FieldPostalCode:
		fld = f.PostalCode
	default:
		fld = f.Email
	}
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return s.render(c, status, views.FieldGroup(fld))
}
