package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes lists the whole surface of the service.
func (s *server) routes(f *fiber.App) {
	f.Use(recover.New())
	f.Use(helmet.New(s.helmetConfig()))
	f.Use(s.extraHeaders)
	f.Use(compress.New(compress.Config{
		// Assets come precompressed; compressing them again is wasted work.
		Next:  func(c *fiber.Ctx) bool { return isAssetPath(c.Path()) },
		Level: compress.LevelBestSpeed,
	}))
	f.Use(s.clientInfo)
	f.Use(s.accessLog)
	f.Use(s.checkCSRF)

	f.Get("/healthz", s.handleHealth)
	f.Get("/readyz", s.handleReady)
	f.Get("/assets/*", s.handleAsset)

	f.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/login", fiber.StatusSeeOther) })
	f.Get("/login", s.handleLoginPage)
	f.Post("/login", s.limit(s.deps.Limits.LoginPerIP, "login"), s.handleLoginSubmit)
	f.Post("/logout", s.handleLogout)
	f.Get("/account", s.handleAccountPage)

	f.Get("/password/forgot", s.handleForgotPage)
	f.Post("/password/forgot", s.limit(s.deps.Limits.ForgotPerIP, "forgot"), s.handleForgotSubmit)
	f.Get("/password/forgot/sent", s.handleForgotSent)
	f.Post("/password/forgot/validate", s.limit(s.deps.Limits.ValidatePerIP, "validate"), s.handleForgotValidate)
	f.Get("/embed/password/forgot", s.handleEmbedForgot)
	f.Get("/embed/password/forgot/sent", s.handleEmbedForgotSent)

	f.Get("/password/reset/done", s.handleResetDone)
	f.Get("/password/reset/:token", s.handleResetLink)
	f.Get("/password/reset", s.handleResetPage)
	f.Post("/password/reset", s.limit(s.deps.Limits.ResetPerIP, "reset"), s.handleResetSubmit)
	f.Post("/password/reset/validate", s.limit(s.deps.Limits.ValidatePerIP, "validate"), s.handleResetValidate)

	if !s.cfg.Production {
		f.Get("/_components", s.handleComponents)
		f.Get("/_dev/mail", s.handleDevMailList)
		f.Get("/_dev/mail/:id", s.handleDevMailShow)
		f.Get("/_dev/mail/:id/html", s.handleDevMailHTML)
	}
	// No catch-all: Fiber answers an unknown path with 404 and a known path
	// with the wrong method with 405, both through handleError.
}
