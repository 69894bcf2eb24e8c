package assets

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

func loadMap(tb testing.TB, files map[string]string) *Set {
	tb.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	s, err := LoadFS(fsys)
	if err != nil {
		tb.Fatalf("LoadFS: %v", err)
	}
	return s
}

func TestPathIsFingerprinted(t *testing.T) {
	s := loadMap(t, map[string]string{
		"app.css":      "body{color:red}",
		"htmx.min.js":  "var htmx",
		"img/logo.svg": "<svg/>",
	})
	tests := []struct {
		name string
		want string
	}{
		{"app.css", `^/assets/app\.[0-9a-f]{8}\.css$`},
		{"htmx.min.js", `^/assets/htmx\.min\.[0-9a-f]{8}\.js$`},
		{"img/logo.svg", `^/assets/img/logo\.[0-9a-f]{8}\.svg$`},
	}
	for _, tt := range tests {
		if got := s.Path(tt.name); !regexp.MustCompile(tt.want).MatchString(got) {
			t.Errorf("Path(%q) = %q; want match %s", tt.name, got, tt.want)
		}
	}
}

func TestFingerprintChangesWithContent(t *testing.T) {
	a := loadMap(t, map[string]string{"app.css": "body{color:red}"}).Path("app.css")
	b := loadMap(t, map[string]string{"app.css": "body{color:blue}"}).Path("app.css")
	again := loadMap(t, map[string]string{"app.css": "body{color:red}"}).Path("app.css")
	if a == b {
		t.Errorf("Path for different content: got %q both times; want different", a)
	}
	if a != again {
		t.Errorf("Path for same content: got %q and %q; want equal", a, again)
	}
}

func TestLookupRoundTrip(t *testing.T) {
	body := strings.Repeat("body{color:#b0001a}", 50)
	s := loadMap(t, map[string]string{"app.css": body, "app.js": "// js"})
	f, ok := s.Lookup(s.Path("app.css"))
	if !ok {
		t.Fatalf("Lookup(Path(app.css)): not found")
	}
	if string(f.Body) != body {
		t.Errorf("Body = %q; want %q", f.Body, body)
	}
	if f.Name != "app.css" {
		t.Errorf("Name = %q; want app.css", f.Name)
	}
	if f.ContentType != "text/css; charset=utf-8" {
		t.Errorf("ContentType = %q; want text/css; charset=utf-8", f.ContentType)
	}
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(f.ETag) {
		t.Errorf("ETag = %q; want a quoted hex digest", f.ETag)
	}
	js, ok := s.Lookup(s.Path("app.js"))
	if !ok || js.ContentType != "text/javascript; charset=utf-8" {
		t.Errorf("Lookup(app.js) = %q, %v; want text/javascript", js.ContentType, ok)
	}
	if js.ETag == f.ETag {
		t.Errorf("two files share ETag %s", f.ETag)
	}
}

func TestCompressedBodiesDecompressToBody(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, name := range s.Names() {
		f, ok := s.Lookup(s.Path(name))
		if !ok {
			t.Fatalf("Lookup(Path(%q)): not found", name)
		}
		zr, err := gzip.NewReader(bytes.NewReader(f.Gzip))
		if err != nil {
			t.Fatalf("%s: gzip reader: %v", name, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: gunzip: %v", name, err)
		}
		if !bytes.Equal(got, f.Body) {
			t.Errorf("%s: gunzipped %d bytes; want the %d-byte body", name, len(got), len(f.Body))
		}
		got, err = io.ReadAll(brotli.NewReader(bytes.NewReader(f.Brotli)))
		if err != nil {
			t.Fatalf("%s: unbrotli: %v", name, err)
		}
		if !bytes.Equal(got, f.Body) {
			t.Errorf("%s: brotli-decoded %d bytes; want the %d-byte body", name, len(got), len(f.Body))
		}
	}
}

func TestEmbeddedSetHasSiteFiles(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, name := range []string{"app.css", "app.js", "htmx.min.js"} {
		f, ok := s.Lookup(s.Path(name))
		if !ok || len(f.Body) == 0 {
			t.Errorf("embedded %s: found %v, %d bytes; want a non-empty file", name, ok, len(f.Body))
		}
	}
	// The big files must actually shrink, or precompression is pointless.
	for _, name := range []string{"app.css", "htmx.min.js"} {
		f, _ := s.Lookup(s.Path(name))
		if len(f.Brotli) >= len(f.Body) || len(f.Gzip) >= len(f.Body) {
			t.Errorf("%s: body %d B, gzip %d B, brotli %d B; want both compressed smaller", name, len(f.Body), len(f.Gzip), len(f.Brotli))
		}
	}
}

func TestLookupUnknownOrStale(t *testing.T) {
	s := loadMap(t, map[string]string{"app.css": "body{}"})
	current := s.Path("app.css")
	for _, p := range []string{
		"/assets/app.css",                // logical name without fingerprint
		"/assets/app.00000000.css",       // stale fingerprint
		strings.TrimPrefix(current, "/"), // missing leading slash
		strings.TrimPrefix(current, Prefix),
		"/assets/nothere.12345678.css",
		"/assets/",
		"",
		current + "?v=1",
	} {
		if _, ok := s.Lookup(p); ok {
			t.Errorf("Lookup(%q): found; want not found", p)
		}
	}
}

func TestPathUnknownPanics(t *testing.T) {
	s := loadMap(t, map[string]string{"app.css": "body{}"})
	defer func() {
		if recover() == nil {
			t.Errorf("Path(missing.css): no panic; want panic")
		}
	}()
	s.Path("missing.css")
}

func TestLoadFSSkipsHiddenFiles(t *testing.T) {
	s := loadMap(t, map[string]string{"app.css": "x", ".DS_Store": "junk", "_draft/a.css": "y"})
	if got := strings.Join(s.Names(), ","); got != "app.css" {
		t.Errorf("Names() = %q; want app.css", got)
	}
}

func TestContentTypeFallback(t *testing.T) {
	tests := map[string]string{
		"a.CSS":   "text/css; charset=utf-8",
		"a.woff2": "font/woff2",
		"a.bin":   "application/octet-stream",
		"noext":   "application/octet-stream",
	}
	for name, want := range tests {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q; want %q", name, got, want)
		}
	}
}
