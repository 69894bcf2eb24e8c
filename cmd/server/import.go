package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/i18n"
)

// importRow is one good line of the CSV file.
type importRow struct {
	line    int
	code    app.CustomerCode
	postal  app.PostalCode
	company string
	email   app.Email
}

// importErrors lists bad rows by line number; nothing was imported.
type importErrors []string

func (e importErrors) Error() string {
	return fmt.Sprintf("%d problem(s), nothing imported:\n  %s", len(e), strings.Join(e, "\n  "))
}

// customerImport runs "customer import FILE.csv".
func (c *cli) customerImport(ctx context.Context, args []string) error {
	fs := c.flagSet("customer import", "FILE.csv",
		"Adds customers and their main users (no password) from a customer master export.\n"+
			"Header: code,postal_code,company,main_email (any order; other columns are ignored).\n"+
			"UTF-8 (with or without BOM) or Shift_JIS. All rows are checked first and imported in\n"+
			"one transaction; rows identical to what is stored are skipped.")
	if err := c.parse(fs, args, 1); err != nil {
		return err
	}
	path := fs.Arg(0)
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("customer import: %w", err)
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	rows, err := parseImport(raw, text(cfg))
	if err != nil {
		return fmt.Errorf("customer import %s: %w", path, err)
	}
	store, closeDB, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	added, unchanged := 0, 0
	err = store.InTx(ctx, func(tx app.Store) error {
		var problems importErrors
		now := time.Now().UTC()
		for _, r := range rows {
			isNew, err := importCustomer(ctx, tx, r, now)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("line %d: %v", r.line, err))
			case isNew:
				added++
			default:
				unchanged++
			}
		}
		if len(problems) > 0 {
			// Returning an error rolls back the rows already added.
			return problems
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("customer import %s: %w", path, err)
	}
	fmt.Fprintf(c.stdout, "imported %s: %d customer(s) added, %d already present and unchanged\n", path, added, unchanged)
	return nil
}

// parseImport decodes and checks the whole file without touching the
// database; every bad row is reported, not only the first.
func parseImport(raw []byte, t *i18n.Text) ([]importRow, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(raw) {
		// Excel in Japan saves CSV as Shift_JIS (CP932).
		dec, err := japanese.ShiftJIS.NewDecoder().Bytes(raw)
		if err != nil {
			return nil, fmt.Errorf("neither UTF-8 nor Shift_JIS: %w", err)
		}
		raw = dec
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1 // checked here, with a clearer message
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file (want the header code,postal_code,company,main_email)")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var missing []string
	for _, name := range []string{"code", "postal_code", "company", "main_email"} {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("line 1: header lacks %s (want code,postal_code,company,main_email)", strings.Join(missing, ", "))
	}

	var (
		rows      []importRow
		problems  importErrors
		codeLine  = map[app.CustomerCode]int{}
		emailLine = map[string]int{}
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problems = append(problems, fmt.Sprintf("line %d: %v", pe.Line, pe.Err))
				continue
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			problems = append(problems, fmt.Sprintf("line %d: %d fields, the header has %d", line, len(rec), len(header)))
			continue
		}
		var bad []string
		row := importRow{line: line}
		var msg app.MessageKey
		if row.code, msg = app.ParseCustomerCode(rec[col["code"]]); msg != "" {
			bad = append(bad, "code: "+t.Error(msg))
		}
		if row.postal, msg = app.ParsePostalCode(rec[col["postal_code"]]); msg != "" {
			bad = append(bad, "postal_code: "+t.Error(msg))
		}
		if row.company, err = parseCompany(rec[col["company"]]); err != nil {
			bad = append(bad, "company: "+err.Error())
		}
		if row.email, msg = app.ParseEmail(rec[col["main_email"]]); msg != "" {
			bad = append(bad, "main_email: "+t.Error(msg))
		}
		if row.code != "" {
			if first, dup := codeLine[row.code]; dup {
				bad = append(bad, fmt.Sprintf("code %s is also on line %d", row.code, first))
			} else {
				codeLine[row.code] = line
			}
		}
		if row.email != "" {
			if first, dup := emailLine[row.email.Key()]; dup {
				bad = append(bad, fmt.Sprintf("main_email %s is also on line %d", row.email, first))
			} else {
				emailLine[row.email.Key()] = line
			}
		}
		if len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, strings.Join(bad, "; ")))
			continue
		}
		rows = append(rows, row)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows after the header")
	}
	return rows, nil
}

// importCustomer adds the row's customer and main user, or, when the
// customer exists, checks that it is stored exactly as the row says. It
// reports whether it added anything.
func importCustomer(ctx context.Context, tx app.Store, r importRow, now time.Time) (bool, error) {
	cust, err := tx.CustomerByCode(ctx, r.code)
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return false, fmt.Errorf("find customer %s: %w", r.code, err)
	}
	if err == nil {
		return false, sameCustomer(ctx, tx, cust, r)
	}
	cust = app.Customer{Code: r.code, PostalCode: r.postal, Company: r.company, CreatedAt: now}
	if err := tx.CreateCustomer(ctx, &cust); err != nil {
		return false, fmt.Errorf("create customer %s: %w", r.code, err)
	}
	if _, err := addUser(ctx, tx, cust, r.email, app.RoleMain, "", now); err != nil {
		return false, err
	}
	return true, nil
}

// sameCustomer reports how a stored customer differs from the row. An
// import never overwrites: a changed postal code is a decision for a
// person, since it is one of the three facts a reset request must match.
func sameCustomer(ctx context.Context, tx app.Store, cust app.Customer, r importRow) error {
	var diffs []string
	if cust.PostalCode != r.postal {
		diffs = append(diffs, fmt.Sprintf("postal_code %s (file: %s)", cust.PostalCode, r.postal))
	}
	if cust.Company != r.company {
		diffs = append(diffs, fmt.Sprintf("company %q (file: %q)", cust.Company, r.company))
	}
	users, err := tx.UsersOfCustomer(ctx, cust.ID)
	if err != nil {
		return fmt.Errorf("users of %s: %w", cust.Code, err)
	}
	var main app.Email
	for _, u := range users {
		if u.Role == app.RoleMain {
			main = u.Email
		}
	}
	if main.Key() != r.email.Key() {
		stored := string(main)
		if stored == "" {
			stored = "none"
		}
		diffs = append(diffs, fmt.Sprintf("main user %s (file: %s)", stored, r.email))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("customer %s already exists with different data: %s", cust.Code, strings.Join(diffs, ", "))
	}
	return nil
}
