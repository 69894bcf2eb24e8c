// Package assets holds the site's static files (built CSS, pinned htmx, app.js)
// embedded in the binary, and serves them under content-fingerprinted URLs so
// they can be cached for a year: a changed file gets a new URL.
//
// Load reads every file once at start-up, hashes it and precompresses it with
// gzip and brotli; a Set is immutable afterwards and safe for concurrent use.
// The package knows nothing about HTTP frameworks: the web layer looks a
// request path up and writes the File itself (see Lookup).
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"sort"
	"strings"

	"github.com/andybalholm/brotli"
)

// Prefix is the URL path under which every asset is served.
const Prefix = "/assets/"

// CacheControl is the Cache-Control value for a fingerprinted asset: its URL
// changes whenever its content does, so it never needs revalidating.
const CacheControl = "public, max-age=31536000, immutable"

// hashLen is the number of hex digits of the SHA-256 content hash put in a URL.
const hashLen = 8

//go:embed static
var embedded embed.FS

// File is one asset, ready to be written to a response.
type File struct {
	// Name is the logical name, relative to static/ (e.g. "app.css").
	Name string
	// Body is the file as stored.
	Body []byte
	// Gzip and Brotli are Body compressed once at load (gzip level 9, brotli
	// best compression). Always set, even when not smaller than Body; a
	// handler that wants the smallest response compares lengths.
	Gzip   []byte
	Brotli []byte
	// ContentType is the value for the Content-Type header.
	ContentType string
	// ETag is a strong entity tag, quoted, ready for the ETag header. It is
	// the same for every encoding of the file: a handler that serves several
	// encodings also sends "Vary: Accept-Encoding".
	ETag string
}

// Set is the loaded collection of assets.
type Set struct {
	urls  map[string]string // logical name -> fingerprinted URL path
	files map[string]*File  // fingerprinted URL path -> file
}

// Load reads the embedded static/ directory.
func Load() (*Set, error) {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	return LoadFS(sub)
}

// LoadFS reads every regular file of fsys (recursively, skipping names that
// begin with "." or "_") as an asset named by its slash-separated path.
func LoadFS(fsys fs.FS) (*Set, error) {
	s := &Set{urls: map[string]string{}, files: map[string]*File{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		f, err := newFile(name, body)
		if err != nil {
			return err
		}
		url := Prefix + fingerprint(name, body)
		s.urls[name] = url
		s.files[url] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assets: load: %w", err)
	}
	return s, nil
}

func newFile(name string, body []byte) (*File, error) {
	gz, err := gzipBytes(body)
	if err != nil {
		return nil, fmt.Errorf("gzip %s: %w", name, err)
	}
	br, err := brotliBytes(body)
	if err != nil {
		return nil, fmt.Errorf("brotli %s: %w", name, err)
	}
	sum := sha256.Sum256(body)
	return &File{
		Name:        name,
		Body:        body,
		Gzip:        gz,
		Brotli:      br,
		ContentType: contentType(name),
		ETag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
	}, nil
}

// Path returns the fingerprinted URL path of the asset with the given logical
// name: Path("app.css") is "/assets/app.3f2a1b9c.css".
//
// It panics when name is not an asset: names are constants written in the
// templates, so a wrong one is a programming error that the first render in
// any test reveals, rather than a silently broken page.
func (s *Set) Path(name string) string {
	url, ok := s.urls[name]
	if !ok {
		panic(fmt.Sprintf("assets: unknown asset %q", name))
	}
	return url
}

// Lookup returns the asset served at urlPath, a path as returned by Path
// (for example "/assets/app.3f2a1b9c.css"). A logical name without its
// fingerprint, a stale fingerprint or an unknown file is not found.
func (s *Set) Lookup(urlPath string) (File, bool) {
	f, ok := s.files[urlPath]
	if !ok {
		return File{}, false
	}
	return *f, true
}

// Names returns the logical names of all assets, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.urls))
	for name := range s.urls {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// fingerprint inserts the content hash before the last extension:
// "css/app.css" -> "css/app.3f2a1b9c.css", "htmx.min.js" -> "htmx.min.3f2a1b9c.js".
func fingerprint(name string, body []byte) string {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])[:hashLen]
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	return base + "." + hash + ext
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func brotliBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// contentTypes covers what a web page ships, independent of the host's
// mime.types so the answer is the same on every machine.
var contentTypes = map[string]string{
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".map":         "application/json; charset=utf-8",
	".json":        "application/json; charset=utf-8",
	".webmanifest": "application/manifest+json; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".txt":         "text/plain; charset=utf-8",
	".html":        "text/html; charset=utf-8",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}
