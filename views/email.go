package views

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/hafele-online/reset/app/i18n"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/hafele-online/reset/app"
)

// Composer builds the portal's emails: a hand-written plain-text part and
// an HTML part rendered with templ, both from one text catalogue.
type Composer struct {
	from string
	text i18n.EmailText
}

var _ app.MailComposer = (*Composer)(nil)

// NewComposer returns a Composer whose mails come from the configured
// sender address (MAIL_FROM).
func NewComposer(from string) *Composer {
	return &Composer{from: from, text: i18n.Japanese().Email}
}

// resetEmailView is what the reset email shows.
type resetEmailView struct {
	Company        string
	CustomerCode   string
	Link           string
	ExpiresInHours int
}

// plainEmailView is what the emails without a link show.
type plainEmailView struct {
	Company      string
	CustomerCode string
}

// textWidth is the plain-text line length in display columns (a Japanese
// character counts two), short enough for any mail client.
const textWidth = 72

// Compose implements app.MailComposer.
func (c *Composer) Compose(kind app.MailKind, d app.MailData) (app.Mail, error) {
	if c.from == "" {
		return app.Mail{}, errors.New("compose: no sender address configured")
	}
	if err := checkRecipient(d.To); err != nil {
		return app.Mail{}, fmt.Errorf("compose %s: %w", kind, err)
	}
	t := c.text
	m := app.Mail{From: c.from, To: d.To, Tag: string(kind)}
	var html templ.Component
	switch kind {
	case app.MailReset:
		if err := checkLink(d.Link); err != nil {
			return app.Mail{}, fmt.Errorf("compose %s: %w", kind, err)
		}
		if d.ExpiresInHours <= 0 {
			return app.Mail{}, fmt.Errorf("compose %s: link lifetime missing", kind)
		}
		v := resetEmailView{Company: d.Company, CustomerCode: d.CustomerCode, Link: d.Link, ExpiresInHours: d.ExpiresInHours}
		m.Subject = t.Reset.Subject
		m.Text = resetEmailText(t, v)
		html = resetEmailHTML(t, v)
	case app.MailAskMainUser:
		v := plainEmailView{Company: d.Company, CustomerCode: d.CustomerCode}
		m.Subject = t.AskMainUser.Subject
		m.Text = askMainUserEmailText(t, v)
		html = askMainUserEmailHTML(t, v)
	case app.MailPasswordChanged:
		v := plainEmailView{Company: d.Company, CustomerCode: d.CustomerCode}
		m.Subject = t.PasswordChanged.Subject
		m.Text = passwordChangedEmailText(t, v)
		html = passwordChangedEmailHTML(t, v)
	default:
		return app.Mail{}, fmt.Errorf("compose: unknown mail kind %q", kind)
	}
	var buf bytes.Buffer
	if err := html.Render(context.Background(), &buf); err != nil {
		return app.Mail{}, fmt.Errorf("compose %s: render html: %w", kind, err)
	}
	m.HTML = buf.String()
	return m, nil
}

// checkRecipient refuses an address that could smuggle a header; the
// address comes from the store, so this only guards against bad data.
func checkRecipient(to string) error {
	if to == "" || strings.ContainsAny(to, "\r\n") || !strings.Contains(to, "@") {
		return errors.New("recipient address is not usable")
	}
	return nil
}

// checkLink makes sure the reset link is an absolute web URL; anything
// else would be dropped by templ's URL sanitiser and leave a dead button.
func checkLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("reset link is not an absolute http(s) URL")
	}
	return nil
}

func resetEmailText(t i18n.EmailText, v resetEmailView) string {
	var b textBody
	b.para(t.Greeting(v.Company))
	b.para(t.Reset.Received, t.CustomerCode(v.CustomerCode))
	b.para(t.Reset.ClickLink)
	b.para(v.Link)
	b.para(t.Reset.Expiry(v.ExpiresInHours))
	b.para(t.Reset.CopyPaste)
	b.para(t.NotYou)
	b.para(t.AntiPhishing)
	b.footer(t)
	return b.String()
}

func askMainUserEmailText(t i18n.EmailText, v plainEmailView) string {
	var b textBody
	b.para(t.Greeting(v.Company))
	b.para(t.AskMainUser.Received, t.CustomerCode(v.CustomerCode))
	b.para(t.AskMainUser.SharedAcc, t.AskMainUser.AskMain)
	b.para(t.AskMainUser.NoMain)
	b.para(t.NotYou)
	b.para(t.AntiPhishing)
	b.footer(t)
	return b.String()
}

func passwordChangedEmailText(t i18n.EmailText, v plainEmailView) string {
	var b textBody
	b.para(t.Greeting(v.Company))
	b.para(t.PasswordChanged.Changed, t.CustomerCode(v.CustomerCode))
	b.para(t.PasswordChanged.LogIn)
	b.para(t.PasswordChanged.NotYou)
	b.para(t.AntiPhishing)
	b.footer(t)
	return b.String()
}

// textBody writes the plain-text part: paragraphs separated by a blank
// line, each sentence starting on its own line and wrapped.
type textBody struct{ strings.Builder }

func (b *textBody) para(sentences ...string) {
	for _, s := range sentences {
		for _, line := range wrapText(s, textWidth) {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
}

func (b *textBody) footer(t i18n.EmailText) {
	b.WriteString("--\n")
	b.WriteString(t.Portal)
	b.WriteByte('\n')
	for _, line := range wrapText(t.NoReply, textWidth) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// wrapText breaks s into lines of at most width display columns. Japanese
// has no spaces, so it picks the best break in the line's second half:
// after punctuation or a space, else where hiragana (a particle or an
// ending) meets the next word, else between any two characters; never
// inside a run of ASCII (codes, URLs) and never before a character that
// may not start a line (kinsoku).
func wrapText(s string, width int) []string {
	var lines []string
	var cur []string // units of the line being filled
	for _, u := range wrapUnits(s) {
		cur = append(cur, u)
		for unitsWidth(cur) > width {
			at := bestBreak(cur, width)
			if at == 0 {
				break // one unbreakable unit, or a hanging mark: let it run long
			}
			lines = append(lines, strings.TrimRight(strings.Join(cur[:at], ""), " "))
			cur = append([]string(nil), cur[at:]...)
		}
	}
	if len(cur) > 0 {
		lines = append(lines, strings.TrimRight(strings.Join(cur, ""), " "))
	}
	return lines
}

// bestBreak returns where to end a line that is too long: the index of
// the first unit that moves to the next line, or 0 if there is no break.
// It takes the best-rated break that keeps the line within width and at
// least half full, the latest of equals; failing that, any allowed break.
func bestBreak(units []string, width int) int {
	best, bestScore, fallback, w := 0, 0, 0, 0
	for i := 1; i < len(units); i++ {
		w += displayWidth(units[i-1])
		sc := breakScore(units, i)
		if sc == 0 {
			continue
		}
		if fallback == 0 || w <= width {
			fallback = i
		}
		if w > width || w < width/2 {
			continue
		}
		if sc >= bestScore {
			best, bestScore = i, sc
		}
	}
	if best == 0 {
		return fallback
	}
	return best
}

// breakScore rates a line break before units[i]; 0 forbids it.
func breakScore(units []string, i int) int {
	ra, _ := utf8.DecodeLastRuneInString(units[i-1])
	rb, _ := utf8.DecodeRuneInString(units[i])
	// An honorific お/ご belongs to the word after it (ご連絡, お客様).
	prefix := func(j int) bool {
		r, _ := utf8.DecodeRuneInString(units[j])
		if r != 'お' && r != 'ご' || j+1 >= len(units) {
			return false
		}
		next, _ := utf8.DecodeRuneInString(units[j+1])
		return unicode.Is(unicode.Han, next)
	}
	switch {
	case noLineStart(units[i]) || strings.ContainsRune("「（『【", ra) || prefix(i-1):
		return 0
	case strings.ContainsRune("、。，．」）』】！？ ", ra):
		return 3
	case unicode.Is(unicode.Hiragana, ra) && (!unicode.Is(unicode.Hiragana, rb) || prefix(i)):
		return 2
	default:
		return 1
	}
}

func unitsWidth(units []string) int {
	w := 0
	for _, u := range units {
		w += displayWidth(u)
	}
	return w
}

// wrapUnits cuts s into what may not be split: a run of ASCII letters and
// signs, or one other character.
func wrapUnits(s string) []string {
	var units []string
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf && s[j] != ' ' {
			j++
		}
		if j == i {
			_, n := utf8.DecodeRuneInString(s[i:])
			j = i + n
		}
		units = append(units, s[i:j])
		i = j
	}
	return units
}

// noLineStart reports whether u may not begin a line (closing punctuation,
// the long vowel mark, small kana).
func noLineStart(u string) bool {
	r, _ := utf8.DecodeRuneInString(u)
	return strings.ContainsRune("、。，．」）』】！？ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ", r)
}

// displayWidth counts columns: ASCII and half-width characters take one,
// everything else (kana, kanji, full-width forms) two.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r < 0x1100 || (r >= 0xFF61 && r <= 0xFF9F) {
			w++
		} else {
			w += 2
		}
	}
	return w
}
