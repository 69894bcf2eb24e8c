package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/i18n"
	"github.com/hafele-online/reset/db"
)

const usageText = `Usage: server [command] [flags]

Häfele Online password reset (パスワード再設定). Settings come from the
environment: APP_ENV, LISTEN_ADDR, BASE_URL, DATABASE_URL, SECRET_KEY, MAIL_*, …

Commands:
  serve                     run the web server (the default); applies pending migrations first
  migrate up                apply every pending migration
  migrate down              undo the last group of applied migrations
  migrate status            list the migrations and whether each is applied
  seed                      add the demo customer JP0062652 / 244-0806 with a main and a
                            shared user (no passwords); safe to repeat; prints the data
  customer add --code CODE --postal POSTAL --company NAME
                            add a customer (full-width input is accepted)
  customer import FILE.csv  add customers with their main users from a CSV file with the
                            header code,postal_code,company,main_email (any column order,
                            other columns ignored; UTF-8, with or without BOM, or Shift_JIS).
                            Every row is checked first; nothing is imported unless all are
                            good. Rows identical to what is stored are skipped.
  user add --customer CODE --email EMAIL --role main|shared [--password-stdin]
                            add a user; one main user per customer; with --password-stdin
                            the password is the first line of standard input
  audit tail [-n N] [-f]    print the last N audit events (default 20), oldest first;
                            -f keeps printing new ones until interrupted
  help                      print this text

Run "server COMMAND -h" for a command's flags.
`

// cli runs one subcommand with the process's streams and environment.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError means the command line was wrong; the usage has been
// printed to stderr already.
type usageError string

func (e usageError) Error() string { return string(e) }

func (c *cli) dispatch(ctx context.Context, args []string) error {
	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	var err error
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usageText)
		return nil
	case "serve":
		err = c.serve(ctx, rest)
	case "migrate":
		err = c.migrate(ctx, rest)
	case "seed":
		err = c.seed(ctx, rest)
	case "customer":
		err = c.sub(ctx, "customer", rest, map[string]func(context.Context, []string) error{
			"add": c.customerAdd, "import": c.customerImport,
		})
	case "user":
		err = c.sub(ctx, "user", rest, map[string]func(context.Context, []string) error{
			"add": c.userAdd,
		})
	case "audit":
		err = c.sub(ctx, "audit", rest, map[string]func(context.Context, []string) error{
			"tail": c.auditTail,
		})
	default:
		fmt.Fprintf(c.stderr, "unknown command %q\n\n%s", cmd, usageText)
		return usageError(fmt.Sprintf("unknown command %q", cmd))
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// sub picks the second word of a two-word command ("customer add").
func (c *cli) sub(ctx context.Context, group string, args []string, cmds map[string]func(context.Context, []string) error) error {
	if len(args) == 0 {
		fmt.Fprintf(c.stderr, "%s: missing subcommand\n\n%s", group, usageText)
		return usageError(group + ": missing subcommand")
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "%s: unknown subcommand %q\n\n%s", group, args[0], usageText)
		return usageError(fmt.Sprintf("%s: unknown subcommand %q", group, args[0]))
	}
	return fn(ctx, args[1:])
}

// flagSet makes a subcommand's flag set; its usage goes to stderr.
func (c *cli) flagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: server %s %s\n\n%s\n", name, synopsis, about)
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(c.stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags and checks the number of positional arguments.
func (c *cli) parse(fs *flag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(fs.Name() + ": " + err.Error())
	}
	if fs.NArg() != nargs {
		fmt.Fprintf(c.stderr, "%s: want %d argument(s), got %d\n", fs.Name(), nargs, fs.NArg())
		fs.Usage()
		return usageError(fmt.Sprintf("%s: want %d argument(s), got %d", fs.Name(), nargs, fs.NArg()))
	}
	return nil
}

// openStore opens the configured database, migrated up, and returns a
// function that closes it.
func openStore(ctx context.Context, cfg Config) (*db.Store, func(), error) {
	bdb, err := openDB(ctx, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	return db.NewStore(bdb), func() { _ = bdb.Close() }, nil
}

// text returns the message catalogue, so the CLI rejects input with the
// same words the web form uses.
func text(cfg Config) *i18n.Text {
	t := i18n.Japanese()
	t.PasswordMinLength = cfg.PasswordMinLength
	return t
}

// migrate runs "migrate up|down|status".
func (c *cli) migrate(ctx context.Context, args []string) error {
	fs := c.flagSet("migrate", "up|down|status", "Applies pending migrations (up), undoes the last group (down) or lists them (status).")
	if err := c.parse(fs, args, 1); err != nil {
		return err
	}
	action := fs.Arg(0)
	if action != "up" && action != "down" && action != "status" {
		fmt.Fprintf(c.stderr, "migrate: unknown action %q\n", action)
		fs.Usage()
		return usageError(fmt.Sprintf("migrate: unknown action %q (want up, down or status)", action))
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	bdb, err := openDB(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer bdb.Close()

	before, err := db.MigrationStatus(ctx, bdb)
	if err != nil {
		return err
	}
	switch action {
	case "status":
		for _, m := range before {
			if m.Applied {
				fmt.Fprintf(c.stdout, "applied  %s  (group %d, %s)\n", m.Name, m.GroupID, m.MigratedAt.UTC().Format(time.RFC3339))
			} else {
				fmt.Fprintf(c.stdout, "pending  %s\n", m.Name)
			}
		}
		return nil
	case "up":
		err = db.Migrate(ctx, bdb)
	case "down":
		err = db.Rollback(ctx, bdb)
	}
	if err != nil {
		return err
	}
	after, err := db.MigrationStatus(ctx, bdb)
	if err != nil {
		return err
	}
	// Report what changed, by comparing the states before and after.
	was := map[string]bool{}
	for _, m := range before {
		was[m.Name] = m.Applied
	}
	changed := 0
	for _, m := range after {
		if m.Applied != was[m.Name] {
			changed++
			verb := "applied"
			if !m.Applied {
				verb = "rolled back"
			}
			fmt.Fprintf(c.stdout, "%s  %s\n", verb, m.Name)
		}
	}
	if changed == 0 {
		if action == "up" {
			fmt.Fprintln(c.stdout, "nothing to migrate: the database is up to date")
		} else {
			fmt.Fprintln(c.stdout, "nothing to roll back")
		}
	}
	return nil
}

// The demo customer of the seed, from the user guide's example.
const (
	demoCode        = "JP0062652"
	demoPostal      = "244-0806"
	demoCompany     = "ハーフェレ・デモ株式会社"
	demoMainEmail   = "main@example.co.jp"
	demoSharedEmail = "shared@example.co.jp"
)

type demoData struct {
	Customer     app.Customer
	Main, Shared app.User
}

// seed runs "seed".
func (c *cli) seed(ctx context.Context, args []string) error {
	fs := c.flagSet("seed", "", "Adds the demo customer "+demoCode+" with a main and a shared user, unless present, and prints them.")
	if err := c.parse(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	store, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	demo, err := seedDemo(ctx, store, time.Now)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	printDemo(c.stdout, demo, cfg)
	return nil
}

// seedDemo adds whatever part of the demo data is missing and returns it
// as stored, so a second run changes nothing and prints the same.
func seedDemo(ctx context.Context, store app.Store, clock app.Clock) (demoData, error) {
	var d demoData
	err := store.InTx(ctx, func(tx app.Store) error {
		now := clock().UTC()
		cust, err := tx.CustomerByCode(ctx, demoCode)
		if errors.Is(err, app.ErrNotFound) {
			cust = app.Customer{Code: demoCode, PostalCode: demoPostal, Company: demoCompany, CreatedAt: now}
			if err := tx.CreateCustomer(ctx, &cust); err != nil {
				return fmt.Errorf("create customer %s: %w", demoCode, err)
			}
		} else if err != nil {
			return fmt.Errorf("find customer %s: %w", demoCode, err)
		}
		d.Customer = cust
		if d.Main, err = ensureUser(ctx, tx, cust, demoMainEmail, app.RoleMain, now); err != nil {
			return err
		}
		d.Shared, err = ensureUser(ctx, tx, cust, demoSharedEmail, app.RoleShared, now)
		return err
	})
	return d, err
}

// ensureUser returns the user with email if it is cust's user with role,
// and adds it (without a password) when nobody has that email.
func ensureUser(ctx context.Context, tx app.Store, cust app.Customer, email app.Email, role app.Role, now time.Time) (app.User, error) {
	u, err := tx.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, app.ErrNotFound):
		return addUser(ctx, tx, cust, email, role, "", now)
	case err != nil:
		return app.User{}, fmt.Errorf("find user %s: %w", email, err)
	case u.CustomerID != cust.ID || u.Role != role:
		return app.User{}, fmt.Errorf("user %s exists, but not as the %s user of %s", email, role, cust.Code)
	}
	return u, nil
}

// addUser adds a user to cust within tx, enforcing what the schema cannot:
// one main user per customer. Emails are unique across all users.
func addUser(ctx context.Context, tx app.Store, cust app.Customer, email app.Email, role app.Role, hash string, now time.Time) (app.User, error) {
	if existing, err := tx.UserByEmail(ctx, email); err == nil {
		owner := fmt.Sprintf("customer id %d", existing.CustomerID)
		if oc, err := tx.CustomerByID(ctx, existing.CustomerID); err == nil {
			owner = string(oc.Code)
		}
		return app.User{}, fmt.Errorf("email %s is already used by a %s user of %s", email, existing.Role, owner)
	} else if !errors.Is(err, app.ErrNotFound) {
		return app.User{}, fmt.Errorf("find user %s: %w", email, err)
	}
	if role == app.RoleMain {
		users, err := tx.UsersOfCustomer(ctx, cust.ID)
		if err != nil {
			return app.User{}, fmt.Errorf("users of %s: %w", cust.Code, err)
		}
		for _, u := range users {
			if u.Role == app.RoleMain {
				return app.User{}, fmt.Errorf("customer %s already has a main user (%s); a customer has exactly one", cust.Code, u.Email)
			}
		}
	}
	u := app.User{CustomerID: cust.ID, Email: email, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, app.ErrConflict) {
			return app.User{}, fmt.Errorf("email %s is already in use", email)
		}
		return app.User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}

// printDemo prints the demo data and how to walk through the flow with it.
func printDemo(w io.Writer, d demoData, cfg Config) {
	pw := func(u app.User) string {
		if u.HasPassword() {
			return "password set"
		}
		return "no password yet"
	}
	fmt.Fprintf(w, `demo customer:
  customer code (お客様コード)  %s
  postal code (郵便番号)        %s
  company (会社名)              %s
  main user (メインユーザ)      %s (%s)
  shared user (共有ユーザ)      %s (%s)
The demo users are created without a password; they cannot log in until one
is set through the reset flow: request a link at
  %s/password/forgot
with the customer code, postal code and main user's email above.
`, d.Customer.Code, d.Customer.PostalCode, d.Customer.Company, d.Main.Email, pw(d.Main), d.Shared.Email, pw(d.Shared), cfg.BaseURL)
	if !cfg.Production && cfg.MailDriver == mailDriverDev {
		fmt.Fprintf(w, "The email (with the link) appears in the dev mailbox:\n  %s/_dev/mail\n", cfg.BaseURL)
	}
}

// customerAdd runs "customer add".
func (c *cli) customerAdd(ctx context.Context, args []string) error {
	fs := c.flagSet("customer add", "--code CODE --postal POSTAL --company NAME", "Adds a customer. Full-width input such as ＪＰ００６２６５２ or 〒２４４－０８０６ is accepted.")
	code := fs.String("code", "", "customer code (お客様コード), JP and 7 digits, e.g. JP0062652")
	postal := fs.String("postal", "", "registered postal code (郵便番号), e.g. 244-0806")
	company := fs.String("company", "", "company name (会社名)")
	if err := c.parse(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	t := text(cfg)
	var problems []string
	cc, msg := app.ParseCustomerCode(*code)
	if msg != "" {
		problems = append(problems, "--code: "+t.Error(msg))
	}
	pc, msg := app.ParsePostalCode(*postal)
	if msg != "" {
		problems = append(problems, "--postal: "+t.Error(msg))
	}
	name, err := parseCompany(*company)
	if err != nil {
		problems = append(problems, "--company: "+err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("customer add: %s", strings.Join(problems, "; "))
	}
	store, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	cust := app.Customer{Code: cc, PostalCode: pc, Company: name, CreatedAt: time.Now().UTC()}
	err = store.InTx(ctx, func(tx app.Store) error {
		if _, err := tx.CustomerByCode(ctx, cc); err == nil {
			return fmt.Errorf("customer %s already exists", cc)
		} else if !errors.Is(err, app.ErrNotFound) {
			return err
		}
		if err := tx.CreateCustomer(ctx, &cust); err != nil {
			if errors.Is(err, app.ErrConflict) {
				return fmt.Errorf("customer %s already exists", cc)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("customer add: %w", err)
	}
	fmt.Fprintf(c.stdout, "added customer %s (%s, %s)\n", cust.Code, cust.PostalCode, cust.Company)
	return nil
}

// maxCompanyRunes fits the company column (VARCHAR(255)) with room to spare.
const maxCompanyRunes = 200

// parseCompany normalises a company name like every other typed field
// (NFKC: half-width kana become full-width) and refuses control characters.
func parseCompany(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", errors.New("not valid UTF-8")
	}
	s := app.Normalize(raw)
	if s == "" {
		return "", errors.New("required")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", errors.New("contains control or invisible characters")
		}
	}
	if n := utf8.RuneCountInString(s); n > maxCompanyRunes {
		return "", fmt.Errorf("too long: %d characters, at most %d", n, maxCompanyRunes)
	}
	return s, nil
}

// userAdd runs "user add".
func (c *cli) userAdd(ctx context.Context, args []string) error {
	fs := c.flagSet("user add", "--customer CODE --email EMAIL --role main|shared [--password-stdin]",
		"Adds a user to a customer. A customer has exactly one main user. Without --password-stdin the\nuser has no password and creates one through the reset flow.")
	code := fs.String("customer", "", "customer code of the user's company, e.g. JP0062652")
	email := fs.String("email", "", "the user's email address (unique across all users)")
	role := fs.String("role", "", "main or shared")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := c.parse(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	t := text(cfg)
	var problems []string
	cc, msg := app.ParseCustomerCode(*code)
	if msg != "" {
		problems = append(problems, "--customer: "+t.Error(msg))
	}
	em, msg := app.ParseEmail(*email)
	if msg != "" {
		problems = append(problems, "--email: "+t.Error(msg))
	}
	r := app.Role(strings.ToLower(strings.TrimSpace(*role)))
	if !r.Valid() {
		problems = append(problems, fmt.Sprintf("--role: want main or shared, got %q", *role))
	}
	if len(problems) > 0 {
		return fmt.Errorf("user add: %s", strings.Join(problems, "; "))
	}

	var hash string
	if *fromStdin {
		pw, err := readPasswordLine(c.stdin)
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		if msg := app.NewPasswordPolicy(cfg.PasswordMinLength).Check(pw, cc, em); msg != "" {
			return fmt.Errorf("user add: password: %s", t.Error(msg))
		}
		hasher, err := app.NewHasher(app.DefaultHashParams, 1)
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		if hash, err = hasher.Hash(ctx, pw); err != nil {
			return fmt.Errorf("user add: hash password: %w", err)
		}
	}
	store, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	var user app.User
	err = store.InTx(ctx, func(tx app.Store) error {
		cust, err := tx.CustomerByCode(ctx, cc)
		if errors.Is(err, app.ErrNotFound) {
			return fmt.Errorf("customer %s not found (add it with: server customer add)", cc)
		}
		if err != nil {
			return fmt.Errorf("find customer %s: %w", cc, err)
		}
		now := time.Now().UTC()
		if user, err = addUser(ctx, tx, cust, em, r, hash, now); err != nil {
			return err
		}
		if hash == "" {
			return nil
		}
		// A password set outside the reset flow is still a password change
		// someone may have to account for.
		return tx.RecordAudit(ctx, &app.AuditEvent{At: now, Kind: app.AuditPasswordSet, UserID: &user.ID,
			CustomerCode: string(cc), Email: string(em), Detail: "cli"})
	})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	state := "no password yet; it is created through the reset flow"
	if hash != "" {
		state = "password set"
	}
	fmt.Fprintf(c.stdout, "added %s user %s to %s (%s)\n", r, user.Email, cc, state)
	return nil
}

// readPasswordLine reads the first line of r, without its line ending.
// Spaces are kept: they may be part of a passphrase.
func readPasswordLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("--password-stdin: no standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-stdin: read: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: the first line of standard input is empty")
	}
	return line, nil
}
