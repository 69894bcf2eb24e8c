// Package views is the HTML of the service, in templ: a layout, shared
// components, one file per page with its swappable fragments, and the email
// bodies. Components take the view models below, never database rows; all
// text comes from the catalogue in app/i18n (i18n.From(ctx)).
package views

// Page is what the layout needs for every full page.
type Page struct {
	// Title is the page's own title; the layout appends the site name.
	Title string
	// CSRFToken is put in a meta tag for htmx requests and in every form.
	CSRFToken string
	Assets    AssetPaths
	// LoggedIn switches the header link between ログイン and ログアウト.
	LoggedIn bool
	// Crumb is the last breadcrumb entry (usually the title).
	Crumbs []string
	// Embed renders the bare page for the CMS iframe: no header or footer.
	Embed bool
	// Dev marks development mode (a banner and links to dev tools).
	Dev bool
}

// AssetPaths are the fingerprinted URLs of the static files.
type AssetPaths struct {
	CSS, HTMX, JS string
}

// Field is one input with its label, help text and current problem.
type Field struct {
	Name  string
	Label string
	Hint  string
	Value string
	// Error is the message shown under the field; empty when valid.
	Error        string
	Type         string
	Autocomplete string
	InputMode    string
	Required     bool
	MaxLength    int
	// ValidateURL, when set, makes the field validate inline over htmx as
	// the user leaves it.
	ValidateURL string
	// LiveValidate also validates while typing (password length).
	LiveValidate bool
	// Reveal adds a show/hide control (password fields).
	Reveal bool
}

// ID is the input's id attribute.
func (f Field) ID() string { return "f-" + f.Name }

// GroupID is the id of the field's swap target.
func (f Field) GroupID() string { return "field-" + f.Name }

// ErrorID ties the message to the input with aria-describedby.
func (f Field) ErrorID() string { return f.ID() + "-error" }

// HintID ties the help text to the input.
func (f Field) HintID() string { return f.ID() + "-hint" }

// DescribedBy lists the hint and error ids for aria-describedby.
func (f Field) DescribedBy() string {
	ids := ""
	if f.Hint != "" {
		ids = f.HintID()
	}
	if f.Error != "" {
		if ids != "" {
			ids += " "
		}
		ids += f.ErrorID()
	}
	return ids
}

// FormError is one line of the error summary: a link to the field.
type FormError struct {
	FieldID string
	Message string
}

// ForgotForm is the request form (パスワードリセット/パスワード申請).
type ForgotForm struct {
	Action       string
	CSRFToken    string
	CustomerCode Field
	PostalCode   Field
	Email        Field
	// Errors fills the summary shown after a failed submit.
	Errors []FormError
	// Embed posts to the same routes but marks the iframe variant.
	Embed bool
}

// ResetForm is the new-password form (パスワードの新規作成または再設定登録).
type ResetForm struct {
	CSRFToken string
	// Username is the account's email, in a hidden field so a password
	// manager saves the new password under the right account.
	Username string
	// FirstPassword switches the lead text for a user without a password.
	FirstPassword bool
	Password      Field
	Confirm       Field
	Errors        []FormError
}

// LoginForm is the login page's form.
type LoginForm struct {
	CSRFToken string
	Email     Field
	Password  Field
	// Failed shows the one generic failure message.
	Failed bool
}

// AccountView is the account page.
type AccountView struct {
	CSRFToken    string
	CustomerCode string
	Company      string
	Email        string
	Role         string
	IsMain       bool
	SharedUsers  []string
}

// ErrorView is an error page (404, 403, 413, 429, 500).
type ErrorView struct {
	Status   int
	Title    string
	Lead     string
	LinkHref string
	LinkText string
}

// DevMail is one message in the dev mailbox.
type DevMail struct {
	ID      string
	At      string
	To      string
	Subject string
	Text    string
}
