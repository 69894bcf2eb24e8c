package web

import (
	"errors"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app/i18n"
	"github.com/hafele-online/reset/views"
)

// isHTMX reports whether the request came from htmx (HX-Request: true): it
// is answered with a fragment instead of a page.
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// page builds the layout model for a full page.
func (s *server) page(c *fiber.Ctx, title string, crumbs ...string) views.Page {
	return views.Page{
		Title:     title,
		CSRFToken: s.csrfToken(c),
		Assets: views.AssetPaths{
			CSS:  s.deps.Assets.Path("app.css"),
			HTMX: s.deps.Assets.Path("htmx.min.js"),
			JS:   s.deps.Assets.Path("app.js"),
		},
		LoggedIn: c.Cookies(s.sessionCookie()) != "",
		Crumbs:   crumbs,
		Dev:      !s.cfg.Production,
	}
}

// render writes a component with status. Every HTML response is no-store:
// pages carry CSRF tokens, reset state or account data.
func (s *server) render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx := i18n.WithText(c.UserContext(), s.text)
	return comp.Render(ctx, c.Response().BodyWriter())
}

// handleError is Fiber's one error handler: an error page, or its fragment
// for htmx, with no internal detail shown.
func (s *server) handleError(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	t := s.text
	e := views.ErrorView{Status: code}
	switch code {
	case fiber.StatusNotFound:
		e.Title, e.Lead, e.LinkHref, e.LinkText = t.NotFoundTitle, t.NotFoundLead, "/login", t.LoginNav
	case fiber.StatusForbidden:
		e.Title, e.Lead = t.ForbiddenTitle, t.ForbiddenLead
	case fiber.StatusRequestEntityTooLarge:
		e.Title, e.Lead = t.TooLargeTitle, t.TooLargeLead
	case fiber.StatusTooManyRequests:
		e.Title, e.Lead = t.TooManyTitle, t.TooManyLead
	case fiber.StatusMethodNotAllowed:
		e.Title, e.Lead = t.MethodNotAllowedTitle, t.MethodNotAllowedLead
	case fiber.StatusBadRequest:
		e.Title, e.Lead = t.ForbiddenTitle, t.ForbiddenLead
	default:
		if code < 500 {
			e.Title, e.Lead = t.NotFoundTitle, t.NotFoundLead
		} else {
			code = fiber.StatusInternalServerError
			e.Status = code
			e.Title, e.Lead = t.ServerErrorTitle, t.ServerErrorLead
			// The error text can name tables or values; it goes to the log
			// only, never to the page.
			s.deps.Logger.Error("request failed", "method", c.Method(), "path", safePath(c.Path()), "err", err)
		}
	}
	if code == fiber.StatusForbidden || code == fiber.StatusBadRequest {
		e.LinkHref, e.LinkText = string(c.Request().URI().Path()), t.Retry
		if isUnsafe(c.Method()) {
			e.LinkHref = refererlessBack(c.Path())
		}
	}
	if isHTMX(c) {
		c.Set("HX-Retarget", "#main")
		c.Set("HX-Reswap", "innerHTML")
		return s.render(c, code, views.ErrorFragment(e))
	}
	p := s.page(c, e.Title)
	return s.render(c, code, views.ErrorPage(p, e))
}

// refererlessBack is where "try again" leads after a refused POST: the
// page the form was on.
func refererlessBack(path string) string {
	switch path {
	case "/password/forgot", "/password/forgot/validate":
		return "/password/forgot"
	case "/password/reset", "/password/reset/validate":
		return "/password/reset"
	case "/login", "/logout":
		return "/login"
	}
	return "/"
}

// safePath keeps reset tokens out of logs.
func safePath(p string) string {
	const prefix = "/password/reset/"
	if len(p) > len(prefix) && p[:len(prefix)] == prefix && p != "/password/reset/done" && p != "/password/reset/validate" {
		return prefix + "…"
	}
	if len(p) > 200 {
		return p[:200] + "…"
	}
	return p
}
