package httpin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestParseWebhookPath(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		ok      bool
		appID   apps.AppID
		subPath string
	}{
		{name: "bare webhook", path: "/apps/x/webhook", ok: true, appID: "x"},
		{name: "trailing slash", path: "/apps/x/webhook/", ok: true, appID: "x"},
		{name: "one segment", path: "/apps/x/webhook/gh", ok: true, appID: "x", subPath: "gh"},
		{name: "segments and trailing slash", path: "/apps/x/webhook/a/b/", ok: true, appID: "x", subPath: "a/b/"},
		{name: "double slash kept", path: "/apps/x/webhook//a", ok: true, appID: "x", subPath: "/a"},
		{name: "dots and underscores in id", path: "/apps/my.app_v2-1/webhook/push", ok: true, appID: "my.app_v2-1", subPath: "push"},
		{name: "other path below the app", path: "/apps/x/my-webhook", ok: false},
		{name: "webhook prefix of a longer word", path: "/apps/x/webhooks", ok: false},
		{name: "app id only", path: "/apps/x", ok: false},
		{name: "app id and slash", path: "/apps/x/", ok: false},
		{name: "empty app id", path: "/apps//webhook", ok: false},
		{name: "apps root", path: "/apps/", ok: false},
		{name: "api path", path: "/api/v1/ping", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			appID, subPath, ok := parseWebhookPath(tc.path)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.appID, appID)
			assert.Equal(t, tc.subPath, subPath)
		})
	}
}

func TestRouterWebhookPaths(t *testing.T) {
	env := newTestEnv()
	server := httptest.NewServer(env.withSession())
	defer server.Close()
	client := noRedirectClient()

	tests := []struct {
		name    string
		method  string
		target  string
		appID   apps.AppID
		subPath string
	}{
		{name: "post bare", method: http.MethodPost, target: "/apps/x/webhook?secret=s", appID: "x"},
		{name: "post trailing slash", method: http.MethodPost, target: "/apps/x/webhook/?secret=s", appID: "x"},
		{name: "post sub path", method: http.MethodPost, target: "/apps/x/webhook/a/b/", appID: "x", subPath: "a/b/"},
		{name: "double slash not redirected", method: http.MethodPost, target: "/apps/x/webhook//a", appID: "x", subPath: "/a"},
		{name: "dot segment not redirected", method: http.MethodPost, target: "/apps/x/webhook/./a", appID: "x", subPath: "./a"},
		{name: "dots and underscores in id", method: http.MethodPut, target: "/apps/com.example_app-1/webhook/gh", appID: "com.example_app-1", subPath: "gh"},
		{name: "head", method: http.MethodHead, target: "/apps/x/webhook?secret=s", appID: "x"},
		{name: "options reaches handler", method: http.MethodOptions, target: "/apps/x/webhook", appID: "x"},
		{name: "get", method: http.MethodGet, target: "/apps/x/webhook/status", appID: "x", subPath: "status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(env.webhooks.recorded())
			req, err := http.NewRequest(tc.method, server.URL+tc.target, strings.NewReader("payload"))
			require.NoError(t, err)

			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()

			assert.Equal(t, http.StatusAccepted, resp.StatusCode)
			calls := env.webhooks.recorded()
			require.Len(t, calls, before+1)
			call := calls[before]
			assert.Equal(t, tc.method, call.method)
			assert.Equal(t, tc.appID, call.appID)
			assert.Equal(t, tc.subPath, call.subPath)
			assert.Equal(t, tc.target, call.requestURI, "the request line reaches the handler unchanged")
		})
	}
}

func TestRouterWebhookBodyReachesHandler(t *testing.T) {
	env := newTestEnv()

	w := env.serve(request{method: http.MethodPost, path: "/apps/x/webhook", body: body(`{"a":1}`)})

	assert.Equal(t, http.StatusAccepted, w.Code)
	assert.Equal(t, "delivered", w.Body.String())
	calls := env.webhooks.recorded()
	require.Len(t, calls, 1)
	assert.Equal(t, `{"a":1}`, calls[0].body)
}

func TestRouterNotFound(t *testing.T) {
	env := newTestEnv()
	server := httptest.NewServer(env.withSession())
	defer server.Close()
	client := noRedirectClient()

	for _, target := range []string{
		"/apps/x/my-webhook",
		"/apps/x/my-webhook/x",
		"/apps/x",
		"/apps/x/",
		"/apps//webhook",
		"/apps",
		"/",
		"/other",
		"/api/v2/ping",
	} {
		t.Run(target, func(t *testing.T) {
			resp, err := client.Post(server.URL+target, "application/json", strings.NewReader("{}"))
			require.NoError(t, err)
			defer resp.Body.Close()

			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.Empty(t, env.webhooks.recorded(), "the webhook handler must not be called")
		})
	}
}

func TestRouterUnknownAPIRoute(t *testing.T) {
	env := newTestEnv()

	w := env.serve(request{method: http.MethodPost, path: "/api/v1/no-such-route", userID: adminID})

	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, errorOf(t, w), "/api/v1/no-such-route")
}

func TestRouterWrongMethod(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		allow  string
	}{
		{name: "get ping", method: http.MethodGet, path: "/api/v1/ping", allow: "POST"},
		{name: "get install", method: http.MethodGet, path: "/api/v1/install-app", allow: "POST"},
		{name: "delete app", method: http.MethodDelete, path: "/api/v1/apps/x", allow: "GET, HEAD"},
		{name: "post bindings", method: http.MethodPost, path: "/api/v1/bindings", allow: "GET, HEAD"},
		{name: "patch kv", method: http.MethodPatch, path: "/api/v1/kv/k", allow: "GET, HEAD, POST, PUT, DELETE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()

			w := env.serve(request{method: tc.method, path: tc.path, userID: adminID})

			assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			assert.Equal(t, tc.allow, w.Header().Get("Allow"))
			assert.Contains(t, errorOf(t, w), tc.method)
		})
	}
}

func TestPing(t *testing.T) {
	env := newTestEnv()
	server := httptest.NewServer(env.withSession())
	defer server.Close()

	resp, err := http.Post(server.URL+"/api/v1/ping", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"version":"1.2.3"}`, string(data))
}

func BenchmarkPing(b *testing.B) {
	env := newTestEnv()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/ping", nil)
	b.ReportAllocs()
	for b.Loop() {
		env.router.ServeHTTP(httptest.NewRecorder(), r)
	}
}
