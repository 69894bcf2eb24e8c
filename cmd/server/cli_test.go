package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/db"
)

// testDB returns an environment pointing at a fresh SQLite database.
func testDB(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "t.db"),
		"SECRET_KEY":   testSecret,
	}
}

// runCLI runs the program as main does, with the given stdin.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), append([]string{"server"}, args...), mapEnv(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustRun runs the CLI and fails the test on error.
func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("server %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// openTestStore opens the test database the CLI wrote.
func openTestStore(t *testing.T, env map[string]string) *db.Store {
	t.Helper()
	bdb, err := db.Open(t.Context(), env["DATABASE_URL"])
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = bdb.Close() })
	return db.NewStore(bdb)
}

func TestUsage(t *testing.T) {
	env := testDB(t)
	out, _, err := runCLI(t, env, "", "help")
	if err != nil || !strings.Contains(out, "Usage: server") || !strings.Contains(out, "customer import FILE.csv") {
		t.Errorf("help: err = %v, stdout = %q", err, out)
	}
	for _, args := range [][]string{{"frobnicate"}, {"customer"}, {"customer", "delete"}, {"migrate"}, {"migrate", "sideways"}, {"seed", "extra"}, {"audit", "tail", "-n", "0"}, {"seed", "--nope"}} {
		_, errOut, err := runCLI(t, env, "", args...)
		if err == nil {
			t.Errorf("server %s: no error; want a usage error", strings.Join(args, " "))
			continue
		}
		if !strings.Contains(errOut, "Usage: server") {
			t.Errorf("server %s: stderr = %q; want the usage", strings.Join(args, " "), errOut)
		}
	}
	// -h on a subcommand is not an error.
	if _, errOut, err := runCLI(t, env, "", "user", "add", "-h"); err != nil || !strings.Contains(errOut, "-password-stdin") {
		t.Errorf("user add -h: err = %v, stderr = %q", err, errOut)
	}
}

func TestConfigErrorStopsCommand(t *testing.T) {
	env := testDB(t)
	env["APP_ENV"] = "production"
	_, _, err := runCLI(t, env, "", "seed")
	if err == nil || !strings.Contains(err.Error(), "MAIL_FROM:") {
		t.Errorf("seed in a bad production config: err = %v; want the configuration problems", err)
	}
}

func TestSeedIsIdempotent(t *testing.T) {
	env := testDB(t)
	first := mustRun(t, env, "", "seed")
	second := mustRun(t, env, "", "seed")
	if first != second {
		t.Errorf("second seed printed\n%s\nwant the same as the first\n%s", second, first)
	}
	for _, want := range []string{"JP0062652", "244-0806", "ハーフェレ・デモ株式会社", "main@example.co.jp", "shared@example.co.jp",
		"no password yet", "http://localhost:8080/password/forgot", "http://localhost:8080/_dev/mail"} {
		if !strings.Contains(first, want) {
			t.Errorf("seed output lacks %q:\n%s", want, first)
		}
	}

	store := openTestStore(t, env)
	cust, err := store.CustomerByCode(t.Context(), "JP0062652")
	if err != nil {
		t.Fatalf("demo customer: %v", err)
	}
	users, err := store.UsersOfCustomer(t.Context(), cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Fatalf("demo customer has %d users after two seeds; want 2", len(users))
	}
	for _, u := range users {
		if u.HasPassword() {
			t.Errorf("demo user %s has a password; want none", u.Email)
		}
	}
}

func TestCustomerAdd(t *testing.T) {
	env := testDB(t)
	out := mustRun(t, env, "", "customer", "add", "--code", "ｊｐ１２３４５６７", "--postal", "〒１２３－４５６７", "--company", "　ﾃｽﾄ株式会社　")
	if want := "added customer JP1234567 (123-4567, テスト株式会社)"; !strings.Contains(out, want) {
		t.Errorf("stdout = %q; want %q", out, want)
	}
	cust, err := openTestStore(t, env).CustomerByCode(t.Context(), "JP1234567")
	if err != nil {
		t.Fatalf("added customer not found: %v", err)
	}
	if cust.PostalCode != "123-4567" || cust.Company != "テスト株式会社" {
		t.Errorf("stored %+v", cust)
	}

	_, _, err = runCLI(t, env, "", "customer", "add", "--code", "JP1234567", "--postal", "999-9999", "--company", "別会社")
	if err == nil || !strings.Contains(err.Error(), "customer JP1234567 already exists") {
		t.Errorf("duplicate: err = %v; want already exists", err)
	}

	_, _, err = runCLI(t, env, "", "customer", "add", "--code", "JP12", "--postal", "12-34", "--company", "")
	if err == nil {
		t.Fatal("bad input accepted")
	}
	for _, want := range []string{"--code: お客様コード", "--postal: 郵便番号", "--company: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q; want it to contain %q", err, want)
		}
	}
}

func TestUserAdd(t *testing.T) {
	env := testDB(t)
	mustRun(t, env, "", "customer", "add", "--code", "JP1234567", "--postal", "123-4567", "--company", "テスト株式会社")

	const pw = "correct horse battery staple"
	out := mustRun(t, env, pw+"\nsecond line ignored\n", "user", "add", "--customer", "jp1234567", "--email", "Boss@Example.co.jp", "--role", "main", "--password-stdin")
	if !strings.Contains(out, "added main user Boss@Example.co.jp to JP1234567 (password set)") {
		t.Errorf("stdout = %q", out)
	}
	store := openTestStore(t, env)
	u, err := store.UserByEmail(t.Context(), "boss@example.co.jp")
	if err != nil {
		t.Fatalf("added user not found: %v", err)
	}
	hasher, err := app.NewHasher(app.DefaultHashParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	ok, _, err := hasher.Verify(t.Context(), pw, u.PasswordHash)
	if err != nil || !ok {
		t.Errorf("stored hash does not verify the password: ok = %v, err = %v", ok, err)
	}
	if ok, _, _ := hasher.Verify(t.Context(), "second line ignored", u.PasswordHash); ok {
		t.Error("stored hash verifies the second line; want only the first")
	}

	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"second main user", "", []string{"--customer", "JP1234567", "--email", "other@example.co.jp", "--role", "main"},
			"customer JP1234567 already has a main user (Boss@Example.co.jp)"},
		{"email taken, other case", "", []string{"--customer", "JP1234567", "--email", "BOSS@example.co.jp", "--role", "shared"},
			"email BOSS@example.co.jp is already used by a main user of JP1234567"},
		{"unknown customer", "", []string{"--customer", "JP7654321", "--email", "x@example.co.jp", "--role", "main"},
			"customer JP7654321 not found"},
		{"bad role", "", []string{"--customer", "JP1234567", "--email", "x@example.co.jp", "--role", "admin"},
			`--role: want main or shared, got "admin"`},
		{"bad email", "", []string{"--customer", "JP1234567", "--email", "not-an-email", "--role", "shared"},
			"--email: メールアドレスの形式が正しくありません"},
		{"common password", "password\n", []string{"--customer", "JP1234567", "--email", "x@example.co.jp", "--role", "shared", "--password-stdin"},
			"password: このパスワードはよく使われているため使用できません"},
		{"short password", "abc\n", []string{"--customer", "JP1234567", "--email", "x@example.co.jp", "--role", "shared", "--password-stdin"},
			"password: パスワードは8文字以上"},
		{"password equals email", "x@example.co.jp\n", []string{"--customer", "JP1234567", "--email", "x@example.co.jp", "--role", "shared", "--password-stdin"},
			"password: お客様コードやメールアドレスと同じパスワードは使用できません"},
		{"empty stdin", "", []string{"--customer", "JP1234567", "--email", "x@example.co.jp", "--role", "shared", "--password-stdin"},
			"--password-stdin: the first line of standard input is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, env, tt.stdin, append([]string{"user", "add"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}

	// A shared user without a password is fine, and leaves the main user alone.
	out = mustRun(t, env, "", "user", "add", "--customer", "JP1234567", "--email", "staff@example.co.jp", "--role", "shared")
	if !strings.Contains(out, "added shared user staff@example.co.jp to JP1234567 (no password yet") {
		t.Errorf("stdout = %q", out)
	}
	cust, err := store.CustomerByCode(t.Context(), "JP1234567")
	if err != nil {
		t.Fatal(err)
	}
	users, err := store.UsersOfCustomer(t.Context(), cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Errorf("customer has %d users; want 2 (the refused ones not stored)", len(users))
	}
}

func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCustomerImport(t *testing.T) {
	env := testDB(t)
	mustRun(t, env, "", "seed")

	good := writeFile(t, "good.csv", []byte("\ufeffcode,postal_code,company,main_email\n"+
		"JP1000001,100-0001,一番株式会社,one@example.co.jp\n"+
		"ｊｐ１０００００２,１０００００２,\"二番, 株式会社\",two@example.co.jp\n"+
		"JP0062652,244-0806,ハーフェレ・デモ株式会社,main@example.co.jp\n"))
	out := mustRun(t, env, "", "customer", "import", good)
	if !strings.Contains(out, "2 customer(s) added, 1 already present and unchanged") {
		t.Errorf("first import: %q", out)
	}
	out = mustRun(t, env, "", "customer", "import", good)
	if !strings.Contains(out, "0 customer(s) added, 3 already present and unchanged") {
		t.Errorf("re-import: %q", out)
	}
	store := openTestStore(t, env)
	two, err := store.CustomerByCode(t.Context(), "JP1000002")
	if err != nil {
		t.Fatalf("imported customer: %v", err)
	}
	if two.PostalCode != "100-0002" || two.Company != "二番, 株式会社" {
		t.Errorf("stored %+v", two)
	}
	u, err := store.UserByEmail(t.Context(), "two@example.co.jp")
	if err != nil || u.Role != app.RoleMain || u.CustomerID != two.ID || u.HasPassword() {
		t.Errorf("main user of JP1000002: %+v, err %v", u, err)
	}

	// Columns in another order, extra columns, Shift_JIS as Excel saves it.
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte("main_email,company,note,code,postal_code\r\nthree@example.co.jp,三番株式会社,メモ,JP1000003,100-0003\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, env, "", "customer", "import", writeFile(t, "sjis.csv", sjis))
	if !strings.Contains(out, "1 customer(s) added") {
		t.Errorf("Shift_JIS import: %q", out)
	}
	if c, err := store.CustomerByCode(t.Context(), "JP1000003"); err != nil || c.Company != "三番株式会社" {
		t.Errorf("Shift_JIS customer: %+v, err %v", c, err)
	}

	tests := []struct {
		name string
		csv  string
		want []string
	}{
		{"bad rows", "code,postal_code,company,main_email\n" +
			"JP2000001,200-0001,良い会社,good@example.co.jp\n" +
			"JP20,200-0002,悪い会社,bad@example.co.jp\n" +
			"JP2000003,2000,,not-an-email\n" +
			"JP2000001,200-0004,重複,dup@example.co.jp\n" +
			"JP2000005,200-0005,短い行\n",
			[]string{"line 3: code: お客様コード", "line 4: postal_code:", "line 4:", "company: required", "main_email:", "line 5: code JP2000001 is also on line 2", "line 6: 3 fields"}},
		{"conflicts with stored data", "code,postal_code,company,main_email\n" +
			"JP2000001,200-0001,良い会社,good@example.co.jp\n" +
			"JP1000001,999-9999,一番株式会社,one@example.co.jp\n" +
			"JP2000007,200-0007,別会社,two@example.co.jp\n",
			[]string{"line 3: customer JP1000001 already exists with different data: postal_code 100-0001 (file: 999-9999)",
				"line 4: email two@example.co.jp is already used by a main user of JP1000002"}},
		{"missing column", "code,postal,company,main_email\nJP2000001,200-0001,良い会社,good@example.co.jp\n",
			[]string{"line 1: header lacks postal_code"}},
		{"header only", "code,postal_code,company,main_email\n", []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, env, "", "customer", "import", writeFile(t, "bad.csv", []byte(tt.csv)))
			if err == nil {
				t.Fatal("bad file imported")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
			// The good row of a bad file is not imported either.
			if _, err := store.CustomerByCode(t.Context(), "JP2000001"); !errors.Is(err, app.ErrNotFound) {
				t.Errorf("JP2000001 lookup err = %v; want not found (nothing imported)", err)
			}
		})
	}

	if _, _, err := runCLI(t, env, "", "customer", "import", filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestMigrate(t *testing.T) {
	env := testDB(t)
	out := mustRun(t, env, "", "migrate", "status")
	if !strings.Contains(out, "pending  000001_customers") || strings.Contains(out, "applied") {
		t.Errorf("status of a fresh database:\n%s", out)
	}
	out = mustRun(t, env, "", "migrate", "up")
	if !strings.Contains(out, "applied  000001_customers") {
		t.Errorf("up:\n%s", out)
	}
	out = mustRun(t, env, "", "migrate", "up")
	if !strings.Contains(out, "nothing to migrate") {
		t.Errorf("second up:\n%s", out)
	}
	out = mustRun(t, env, "", "migrate", "status")
	if !strings.Contains(out, "applied  000001_customers  (group 1,") || strings.Contains(out, "pending") {
		t.Errorf("status after up:\n%s", out)
	}
	out = mustRun(t, env, "", "migrate", "down")
	if !strings.Contains(out, "rolled back  000001_customers") {
		t.Errorf("down:\n%s", out)
	}
	out = mustRun(t, env, "", "migrate", "status")
	if strings.Contains(out, "applied") {
		t.Errorf("status after down:\n%s", out)
	}
	out = mustRun(t, env, "", "migrate", "up")
	if !strings.Contains(out, "applied  000001_customers") {
		t.Errorf("up after down:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe to write from run's goroutine while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuditTail(t *testing.T) {
	env := testDB(t)
	mustRun(t, env, "", "seed")
	store := openTestStore(t, env)
	for i := range 3 {
		err := store.RecordAudit(t.Context(), &app.AuditEvent{At: time.Date(2025, 4, 1, 9, 0, i, 0, time.UTC),
			Kind: app.AuditResetRequested, Detail: app.OutcomeNoMatch, CustomerCode: "JP0062652",
			Email: fmt.Sprintf("u%d@example.co.jp", i), IP: "192.0.2.1", UserAgent: "Mozilla/5.0 (test)\x1b[31m"})
		if err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, env, "", "audit", "tail", "-n", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit tail -n 2 printed %d lines:\n%s", len(lines), out)
	}
	want := "2025-04-01T09:00:01Z\treset.requested\tno_match\tJP0062652\tu1@example.co.jp\t192.0.2.1\t\"Mozilla/5.0 (test)\\x1b[31m\""
	if lines[0] != want {
		t.Errorf("first line\n%q\nwant (oldest of the two first, user agent quoted)\n%q", lines[0], want)
	}
	if !strings.Contains(lines[1], "u2@example.co.jp") {
		t.Errorf("second line %q; want the newest event", lines[1])
	}

	// -f prints events recorded after it started, then ends with ctx.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var follow syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"server", "audit", "tail", "-n", "1", "-f"}, mapEnv(env), strings.NewReader(""), &follow, &syncBuffer{})
	}()
	waitFor(t, "the first audit line", 10*time.Second, func() bool { return strings.Contains(follow.String(), "u2@example.co.jp") })
	mustRun(t, env, "a long enough passphrase\n", "user", "add", "--customer", "JP0062652", "--email", "new@example.co.jp", "--role", "shared", "--password-stdin")
	waitFor(t, "the followed audit line", 10*time.Second, func() bool {
		return strings.Contains(follow.String(), "password.changed\tcli\tJP0062652\tnew@example.co.jp")
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("audit tail -f ended with %v; want nil on interrupt", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("audit tail -f did not stop after cancel")
	}
}

func TestServe(t *testing.T) {
	env := testDB(t)
	env["LISTEN_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"server"}, mapEnv(env), strings.NewReader(""), &stdout, &stderr)
	}()

	var base string
	deadline := time.Now().Add(30 * time.Second)
	for base == "" {
		select {
		case err := <-done:
			t.Fatalf("serve ended before listening: %v\nstderr: %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				base = addr
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Errorf("printed address %q; want the real port on 127.0.0.1", base)
	}
	// The first start of a development database seeds and prints the demo.
	if out := stdout.String(); !strings.Contains(out, "JP0062652") || !strings.Contains(out, "/_dev/mail") {
		t.Errorf("stdout lacks the demo data:\n%s", out)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d; want 200", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after cancel; want a clean shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down after cancel")
	}
}
