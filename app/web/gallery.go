package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/views"
)

// handleComponents is the designers' gallery: every component in every
// state, from the same view models the handlers build.
func (s *server) handleComponents(c *fiber.Ctx) error {
	empty := s.forgotForm(c, app.ResetRequestForm{}, nil, false)
	bad := app.ResetRequestForm{CustomerCode: "JP12", PostalCode: "24408", Email: "taro@"}
	_, errs := bad.Validate()
	invalid := s.forgotForm(c, bad, errs, true)
	missing := s.forgotForm(c, app.ResetRequestForm{}, app.FieldErrors{
		app.FieldCustomerCode: app.MsgCustomerCodeRequired, app.FieldPostalCode: app.MsgPostalCodeRequired,
		app.FieldEmail: app.MsgEmailRequired}, true)
	holder := app.TokenHolder{Email: "main@example.co.jp", CustomerCode: "JP0062652"}
	reset := s.resetForm(c, holder, "", "", nil, false)
	resetErrs := []app.FieldErrors{
		{app.FieldPassword: app.MsgPasswordTooShort, app.FieldPasswordConfirm: app.MsgPasswordMismatch},
		{app.FieldPassword: app.MsgPasswordCommon},
		{app.FieldPassword: app.MsgPasswordPersonal},
		{app.FieldPassword: app.MsgPasswordTooLong},
	}
	var resetStates []views.ResetForm
	for _, e := range resetErrs {
		resetStates = append(resetStates, s.resetForm(c, holder, "", "", e, true))
	}
	first := reset
	first.FirstPassword = true
	g := views.Gallery{
		ForgotEmpty: empty, ForgotMissing: missing, ForgotInvalid: invalid,
		ResetEmpty: reset, ResetFirst: first, ResetErrors: resetStates,
		Error: views.ErrorView{Status: 429, Title: s.text.TooManyTitle, Lead: s.text.TooManyLead},
	}
	return s.render(c, fiber.StatusOK, views.GalleryPage(s.page(c, "Components"), g))
}
