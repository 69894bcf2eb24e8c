package web

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/views"
)

func (s *server) sessionCookie() string {
	if s.cfg.SecureCookies {
		return sessionCookieProd
	}
	return sessionCookieDev
}

func (s *server) setSessionCookie(c *fiber.Ctx, id string) {
	c.Cookie(&fiber.Cookie{
		Name: s.sessionCookie(), Value: id, Path: "/", HTTPOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode,
		Expires: s.deps.Clock().Add(app.DefaultSessionTTL),
	})
}

func (s *server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: s.sessionCookie(), Value: "", Path: "/", HTTPOnly: true, MaxAge: -1,
		Expires: time.Unix(0, 0), Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (s *server) loginForm(c *fiber.Ctx, email string, failed bool) views.LoginForm {
	t := s.text
	return views.LoginForm{
		CSRFToken: s.csrfToken(c),
		Email: views.Field{Name: "email", Label: t.LoginEmailLabel, Type: "email", Autocomplete: "username",
			InputMode: "email", Required: true, MaxLength: 254, Value: email},
		Password: views.Field{Name: "password", Label: t.LoginPasswordLabel, Type: "password",
			Autocomplete: "current-password", Required: true, MaxLength: 512, Reveal: true},
		Failed: failed,
	}
}

func (s *server) handleLoginPage(c *fiber.Ctx) error {
	p := s.page(c, s.text.LoginTitle, s.text.LoginTitle)
	return s.render(c, fiber.StatusOK, views.LoginPage(p, s.loginForm(c, "", false)))
}

// handleLoginSubmit answers every failure with the same message. A
// successful login always starts a new session (the old one is ended), so a
// session id planted before login is worthless after it.
func (s *server) handleLoginSubmit(c *fiber.Ctx) error {
	form := app.LoginForm{Email: c.FormValue("email"), Password: c.FormValue("password")}
	id, err := s.deps.Auth.Login(c.UserContext(), form, client(c))
	if errors.Is(err, app.ErrBadCredentials) {
		p := s.page(c, s.text.LoginTitle, s.text.LoginTitle)
		return s.render(c, fiber.StatusUnauthorized, views.LoginPage(p, s.loginForm(c, form.Email, true)))
	}
	if err != nil {
		return err
	}
	if old := c.Cookies(s.sessionCookie()); old != "" {
		if err := s.deps.Auth.Logout(c.UserContext(), old, client(c)); err != nil {
			s.deps.Logger.Warn("end previous session", "err", err)
		}
	}
	s.setSessionCookie(c, id)
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *server) handleLogout(c *fiber.Ctx) error {
	if err := s.deps.Auth.Logout(c.UserContext(), c.Cookies(s.sessionCookie()), client(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *server) handleAccountPage(c *fiber.Ctx) error {
	acc, err := s.deps.Auth.CurrentAccount(c.UserContext(), c.Cookies(s.sessionCookie()))
	if errors.Is(err, app.ErrNoSession) {
		s.clearSessionCookie(c)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	v := views.AccountView{
		CSRFToken:    s.csrfToken(c),
		CustomerCode: string(acc.Customer.Code),
		Company:      acc.Customer.Company,
		Email:        string(acc.User.Email),
		Role:         s.text.Role(acc.User.Role),
		IsMain:       acc.User.Role == app.RoleMain,
	}
	for _, u := range acc.Shared {
		v.SharedUsers = append(v.SharedUsers, string(u.Email))
	}
	p := s.page(c, s.text.AccountTitle, s.text.AccountTitle)
	p.LoggedIn = true
	return s.render(c, fiber.StatusOK, views.AccountPage(p, v))
}
