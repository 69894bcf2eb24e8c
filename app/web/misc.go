package web

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app/devmail"
	"github.com/hafele-online/reset/assets"
	"github.com/hafele-online/reset/views"
)

func (s *server) handleHealth(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

// handleReady reports whether the database answers.
func (s *server) handleReady(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.deps.Store.Ping(ctx); err != nil {
		s.deps.Logger.Warn("readiness: database unreachable", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
	}
	return c.SendString("ready")
}

func isAssetPath(p string) bool { return strings.HasPrefix(p, assets.Prefix) }

// handleAsset serves a fingerprinted file, precompressed, cached for a year.
func (s *server) handleAsset(c *fiber.Ctx) error {
	f, ok := s.deps.Assets.Lookup(c.Path())
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, assets.CacheControl)
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderETag, f.ETag)
	c.Vary(fiber.HeaderAcceptEncoding)
	if c.Get(fiber.HeaderIfNoneMatch) == f.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	body := f.Body
	accept := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case acceptsEncoding(accept, "br") && len(f.Brotli) < len(body):
		c.Set(fiber.HeaderContentEncoding, "br")
		body = f.Brotli
	case acceptsEncoding(accept, "gzip") && len(f.Gzip) < len(body):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		body = f.Gzip
	}
	return c.Send(body)
}

// acceptsEncoding reports whether an Accept-Encoding value allows enc
// (q=0 forbids it).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}

func (s *server) handleDevMailList(c *fiber.Ctx) error {
	var list []views.DevMail
	if s.deps.DevMail != nil {
		for _, m := range s.deps.DevMail.Messages() {
			list = append(list, devMailView(m))
		}
	}
	return s.render(c, fiber.StatusOK, views.DevMailPage(s.page(c, "Dev mailbox"), list))
}

func (s *server) handleDevMailShow(c *fiber.Ctx) error {
	if s.deps.DevMail == nil {
		return fiber.ErrNotFound
	}
	m, ok := s.deps.DevMail.Message(c.Params("id"))
	if !ok {
		return fiber.ErrNotFound
	}
	return s.render(c, fiber.StatusOK, views.DevMailMessage(s.page(c, m.Mail.Subject), devMailView(m)))
}

func devMailView(m devmail.Message) views.DevMail {
	return views.DevMail{ID: m.ID, At: m.At.Format("2006-01-02 15:04:05"), To: m.Mail.To,
		Subject: m.Mail.Subject, Text: m.Mail.Text}
}

// handleDevMailHTML serves a message's HTML part alone, for the sandboxed
// frame on the message page. An email has only inline styles, so this
// response (and no other) allows them; it runs no script and may only be
// framed by our own pages.
func (s *server) handleDevMailHTML(c *fiber.Ctx) error {
	if s.deps.DevMail == nil {
		return fiber.ErrNotFound
	}
	m, ok := s.deps.DevMail.Message(c.Params("id"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
	c.Set(fiber.HeaderXFrameOptions, "SAMEORIGIN")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(m.Mail.HTML)
}
