package upstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

const validManifest = `{
	"app_id": "hello-webhooks",
	"version": "1.0.0",
	"display_name": "Hello webhooks",
	"homepage_url": "https://example.com/hello",
	"requested_permissions": ["act_as_bot", "remote_webhooks"],
	"http": {"root_url": "http://127.0.0.1:4000"},
	"on_remote_webhook": "/hooks",
	"unknown_field": true
}`

func serveManifest(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server.URL
}

func TestFetchManifest(t *testing.T) {
	var gotMethod string
	url := serveManifest(t, func(w http.ResponseWriter, r *http.Request) {
		gotMethod = r.Method
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/manifest.json", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, validManifest)
	})

	for _, path := range []string{"/manifest.json", "/old"} {
		t.Run(path, func(t *testing.T) {
			manifest, err := New(nil).FetchManifest(context.Background(), url+path)
			require.NoError(t, err)

			assert.Equal(t, http.MethodGet, gotMethod)
			assert.Equal(t, apps.AppID("hello-webhooks"), manifest.AppID)
			assert.Equal(t, "/hooks", manifest.WebhookCall().Path)
		})
	}
}

func TestFetchManifestInvalid(t *testing.T) {
	brokenRule := strings.Replace(validManifest, `"display_name": "Hello webhooks",`, "", 1)

	tests := []struct {
		name    string
		handler http.HandlerFunc
		detail  string
	}{
		{"status 404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "status 404"},
		{"status 500", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, "status 500"},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "<html></html>") }, "invalid manifest JSON"},
		{"broken rule", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, brokenRule) }, "display_name is missing"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			url := serveManifest(t, test.handler) + "/manifest.json"

			_, err := New(nil).FetchManifest(context.Background(), url)

			require.Error(t, err)
			assert.True(t, errors.Is(err, apps.ErrInvalidInput), "error %v", err)
			assert.Contains(t, err.Error(), url)
			assert.Contains(t, err.Error(), test.detail)
		})
	}
}

func TestFetchManifestTooLarge(t *testing.T) {
	padding := strings.Repeat(" ", apps.MaxManifestBytes)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"declared length", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, validManifest+padding)
		}},
		{"chunked", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, validManifest)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, padding)
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			url := serveManifest(t, test.handler) + "/manifest.json"

			_, err := New(nil).FetchManifest(context.Background(), url)

			require.Error(t, err)
			assert.True(t, errors.Is(err, apps.ErrTooLarge), "error %v", err)
			assert.Contains(t, err.Error(), url)
			assert.Contains(t, err.Error(), "1048576 bytes")
		})
	}

	t.Run("exactly the limit is accepted", func(t *testing.T) {
		exact := validManifest + strings.Repeat(" ", apps.MaxManifestBytes-len(validManifest))
		url := serveManifest(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, exact) })

		manifest, err := New(nil).FetchManifest(context.Background(), url)

		require.NoError(t, err)
		assert.Equal(t, apps.AppID("hello-webhooks"), manifest.AppID)
	})
}

func TestFetchManifestUnreachable(t *testing.T) {
	slowURL := serveManifest(t, func(_ http.ResponseWriter, r *http.Request) { waitForClient(r) })

	tests := []struct {
		name   string
		url    string
		detail string
	}{
		{"refused", "http://" + closedAddress(t) + "/manifest.json", "refused"},
		{"timeout", slowURL + "/manifest.json", "timed out"},
		{"invalid URL", "ftp://127.0.0.1/manifest.json", "absolute http or https URL"},
		{"relative URL", "manifest.json", "absolute http or https URL"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()

			_, err := New(nil).FetchManifest(ctx, test.url)

			require.Error(t, err)
			assert.True(t, errors.Is(err, apps.ErrInvalidInput), "error %v", err)
			assert.Contains(t, err.Error(), test.url)
			assert.Contains(t, err.Error(), test.detail)
		})
	}
}

func TestPing(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusNotFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var gotPath, gotContentType string
			var gotBody map[string]any
			url := serveManifest(t, func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.URL.Path
				gotContentType = r.Header.Get("Content-Type")
				_ = json.NewDecoder(r.Body).Decode(&gotBody)
				w.WriteHeader(status)
			})

			err := New(nil).Ping(context.Background(), url+"/app/")

			require.NoError(t, err)
			assert.Equal(t, "/app/ping", gotPath)
			assert.Equal(t, "application/json", gotContentType)
			assert.Equal(t, map[string]any{}, gotBody)
		})
	}
}

func TestPingFailures(t *testing.T) {

	tests := []struct {
		name     string
		rootURL  string
		sentinel error
		detail   string
	}{
		{"status 500", serveManifest(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}), ErrBadResponse, "status 500"},
		{"status 401", serveManifest(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}), ErrBadResponse, "status 401"},
		{"refused", "http://" + closedAddress(t), ErrUnreachable, "refused"},
		{"timeout", serveManifest(t, func(_ http.ResponseWriter, r *http.Request) { waitForClient(r) }), ErrTimeout, "ping"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()

			err := New(nil).Ping(ctx, test.rootURL)

			require.Error(t, err)
			assert.True(t, errors.Is(err, test.sentinel), "error %v", err)
			assert.Contains(t, err.Error(), test.rootURL+"/ping")
			assert.Contains(t, err.Error(), test.detail)
		})
	}

	t.Run("invalid root URL", func(t *testing.T) {
		err := New(nil).Ping(context.Background(), "not a url")

		require.Error(t, err)
		assert.True(t, errors.Is(err, apps.ErrInvalidInput), "error %v", err)
	})
}
