package httpin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	adminID = "admin-id"
	userID  = "user-id"
)

type testEnv struct {
	installer *fakeInstaller
	store     *fakeStore
	webhooks  *fakeWebhooks
	log       *fakeLogger
	router    http.Handler
}

func newTestEnv() *testEnv {
	env := &testEnv{
		installer: newFakeInstaller(),
		store:     newFakeStore(),
		webhooks:  &fakeWebhooks{},
		log:       &fakeLogger{},
	}
	env.router = NewRouter(Deps{
		Installer: env.installer,
		Store:     env.store,
		Webhooks:  env.webhooks,
		Log:       env.log,
		Version:   "1.2.3",
	})
	return env
}

// request is one test request; the zero value is an anonymous GET of "/" with no body.
type request struct {
	method    string
	path      string
	userID    string
	sessionID string
	body      io.Reader
}

// serve sends a request through the router the way the plugin's ServeHTTP does: with the user
// header the Mattermost server sets and the session id in the context.
func (e *testEnv) serve(req request) *httptest.ResponseRecorder {
	method := req.method
	if method == "" {
		method = http.MethodGet
	}
	r := httptest.NewRequest(method, req.path, req.body)
	if req.userID != "" {
		r.Header.Set(headerUserID, req.userID)
	}
	r = r.WithContext(WithSessionID(r.Context(), req.sessionID))
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, r)
	return w
}

// withSession adapts the router for a real test server: the header X-Test-Session-Id replaces
// plugin.Context.SessionId, which the plugin's ServeHTTP puts in the context.
func (e *testEnv) withSession() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := WithSessionID(r.Context(), r.Header.Get("X-Test-Session-Id"))
		e.router.ServeHTTP(w, r.WithContext(ctx))
	})
}

func body(text string) io.Reader {
	return strings.NewReader(text)
}

// errorOf decodes a JSON error body and returns its message.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, "application/json", w.Header().Get("Content-Type"), "body: %s", w.Body.String())
	var decoded map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &decoded), "body: %s", w.Body.String())
	require.Len(t, decoded, 1, "body: %s", w.Body.String())
	message, ok := decoded["error"]
	require.True(t, ok, "body: %s", w.Body.String())
	return message
}

// noRedirectClient returns 3xx responses as they are instead of following them.
func noRedirectClient() *http.Client {
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
