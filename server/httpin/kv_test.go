package httpin

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

const (
	botSession  = "bot-session"
	userSession = "user-session"
	otherApp    = "other-app-session"
)

func newKVEnv() *testEnv {
	env := newTestEnv()
	env.installer.sessions[botSession] = kvCaller{appID: "hello", userID: "bot-id"}
	env.installer.sessions[userSession] = kvCaller{appID: "hello", userID: userID}
	env.installer.sessions[otherApp] = kvCaller{appID: "other", userID: "bot-id"}
	return env
}

func TestKVAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		userID    string
		sessionID string
	}{
		{name: "anonymous", sessionID: ""},
		{name: "user session without app", userID: userID, sessionID: "browser-session"},
		{name: "admin session without app", userID: adminID, sessionID: "admin-browser-session"},
	}
	for _, tc := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete} {
			t.Run(tc.name+" "+method, func(t *testing.T) {
				env := newKVEnv()

				w := env.serve(request{method: method, path: "/api/v1/kv/p/k", userID: tc.userID, sessionID: tc.sessionID, body: body(`{"a":1}`)})

				assert.Equal(t, http.StatusUnauthorized, w.Code)
				assert.Contains(t, errorOf(t, w), "an App token is required")
				assert.Empty(t, env.store.kv)
			})
		}
	}
}

func TestKVSessionLookupFailure(t *testing.T) {
	env := newKVEnv()
	env.installer.sessionErr = errors.New("failed to get session: connection reset")

	w := env.serve(request{path: "/api/v1/kv/k", userID: "bot-id", sessionID: botSession})

	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, internalErrorMessage, errorOf(t, w))
	assert.Len(t, env.log.byLevel("error"), 1)
}

func TestKVRoundTrip(t *testing.T) {
	for _, path := range []string{"/api/v1/kv/key-1", "/api/v1/kv/prefix-1/key-1"} {
		for _, method := range []string{http.MethodPut, http.MethodPost} {
			t.Run(method+" "+path, func(t *testing.T) {
				env := newKVEnv()

				w := env.serve(request{method: method, path: path, userID: "bot-id", sessionID: botSession, body: body(`{"id":616581622363398142}`)})
				require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
				assert.JSONEq(t, `{"changed":true}`, w.Body.String())

				w = env.serve(request{method: method, path: path, userID: "bot-id", sessionID: botSession, body: body(`{"id":616581622363398142}`)})
				require.Equal(t, http.StatusOK, w.Code)
				assert.JSONEq(t, `{"changed":false}`, w.Body.String())

				w = env.serve(request{path: path, userID: "bot-id", sessionID: botSession})
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, `{"id":616581622363398142}`, w.Body.String(), "the value comes back byte for byte")
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))

				w = env.serve(request{method: http.MethodDelete, path: path, userID: "bot-id", sessionID: botSession})
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, `{}`, w.Body.String())

				w = env.serve(request{path: path, userID: "bot-id", sessionID: botSession})
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, `{}`, w.Body.String())
			})
		}
	}
}

func TestKVSeparation(t *testing.T) {
	env := newKVEnv()
	put := func(path, sessionID, value string) {
		w := env.serve(request{method: http.MethodPut, path: path, sessionID: sessionID, body: body(value)})
		require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	}
	put("/api/v1/kv/k", botSession, `"bot"`)
	put("/api/v1/kv/k", userSession, `"user"`)
	put("/api/v1/kv/k", otherApp, `"other app"`)
	put("/api/v1/kv/p/k", botSession, `"bot with prefix"`)

	tests := []struct {
		name      string
		path      string
		sessionID string
		expected  string
	}{
		{name: "bot", path: "/api/v1/kv/k", sessionID: botSession, expected: `"bot"`},
		{name: "user of the same app", path: "/api/v1/kv/k", sessionID: userSession, expected: `"user"`},
		{name: "other app same user", path: "/api/v1/kv/k", sessionID: otherApp, expected: `"other app"`},
		{name: "prefix", path: "/api/v1/kv/p/k", sessionID: botSession, expected: `"bot with prefix"`},
		{name: "prefix of another user", path: "/api/v1/kv/p/k", sessionID: userSession, expected: `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := env.serve(request{path: tc.path, sessionID: tc.sessionID})

			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tc.expected, w.Body.String())
		})
	}
	assert.Contains(t, env.store.kv, kvKey("hello", "bot-id", "p", "k"))
	assert.Contains(t, env.store.kv, kvKey("hello", "bot-id", "", "k"))
}

func TestKVInvalidValues(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		status    int
		errorPart string
	}{
		{name: "not JSON", body: `hello`, status: http.StatusBadRequest, errorPart: "must be JSON"},
		{name: "empty", body: ``, status: http.StatusBadRequest, errorPart: "must be JSON"},
		{name: "truncated", body: `{"a":`, status: http.StatusBadRequest, errorPart: "must be JSON"},
		{name: "over the limit", body: `"` + strings.Repeat("x", store.MaxKVValueBytes) + `"`, status: http.StatusRequestEntityTooLarge, errorPart: "over the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newKVEnv()

			w := env.serve(request{method: http.MethodPut, path: "/api/v1/kv/k", sessionID: botSession, body: body(tc.body)})

			assert.Equal(t, tc.status, w.Code)
			assert.Contains(t, errorOf(t, w), tc.errorPart)
			assert.Empty(t, env.store.kv)
		})
	}
}

func TestKVSizeLimitOverRealServer(t *testing.T) {
	env := newKVEnv()
	server := httptest.NewServer(env.withSession())
	defer server.Close()

	atLimit := append(append([]byte(`"`), bytes.Repeat([]byte("x"), store.MaxKVValueBytes-2)...), '"')
	overLimit := append(append([]byte(`"`), bytes.Repeat([]byte("x"), store.MaxKVValueBytes-1)...), '"')
	tests := []struct {
		name    string
		value   []byte
		chunked bool
		status  int
	}{
		{name: "at limit", value: atLimit, status: http.StatusOK},
		{name: "at limit chunked", value: atLimit, chunked: true, status: http.StatusOK},
		{name: "over limit", value: overLimit, status: http.StatusRequestEntityTooLarge},
		{name: "over limit chunked", value: overLimit, chunked: true, status: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reader io.Reader = bytes.NewReader(tc.value)
			if tc.chunked {
				// A reader of unknown length makes the client send the body chunked.
				reader = io.MultiReader(reader)
			}
			req, err := http.NewRequest(http.MethodPut, server.URL+"/api/v1/kv/big", reader)
			require.NoError(t, err)
			req.Header.Set("X-Test-Session-Id", botSession)
			if tc.chunked {
				require.Equal(t, int64(0), req.ContentLength)
			}

			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()

			assert.Equal(t, tc.status, resp.StatusCode)
		})
	}
}

func TestKVStoreErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{name: "invalid key", err: errors.Wrap(apps.ErrInvalidInput, "key is longer than 50 bytes"), status: http.StatusBadRequest},
		{name: "too large", err: errors.Wrap(apps.ErrTooLarge, "value is over 1 MiB"), status: http.StatusRequestEntityTooLarge},
		{name: "internal", err: errors.New("kv store down"), status: http.StatusInternalServerError},
	}
	for _, tc := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			t.Run(tc.name+" "+method, func(t *testing.T) {
				env := newKVEnv()
				env.store.err = tc.err

				w := env.serve(request{method: method, path: "/api/v1/kv/k", sessionID: botSession, body: body(`{}`)})

				assert.Equal(t, tc.status, w.Code)
				message := errorOf(t, w)
				if tc.status == http.StatusInternalServerError {
					assert.NotContains(t, message, "kv store down")
				} else {
					assert.Contains(t, message, "app hello")
				}
			})
		}
	}
}

func TestKVPaths(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		status int
		prefix string
		key    string
	}{
		{name: "key", path: "/api/v1/kv/k", status: http.StatusOK, key: "k"},
		{name: "prefix and key", path: "/api/v1/kv/p/k", status: http.StatusOK, prefix: "p", key: "k"},
		{name: "escaped slash stays in key", path: "/api/v1/kv/a%2Fb", status: http.StatusOK, key: "a/b"},
		{name: "no key", path: "/api/v1/kv/", status: http.StatusNotFound},
		{name: "three segments", path: "/api/v1/kv/a/b/c", status: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newKVEnv()

			w := env.serve(request{method: http.MethodPut, path: tc.path, sessionID: botSession, body: body(`1`)})

			require.Equal(t, tc.status, w.Code, "body: %s", w.Body.String())
			if tc.status == http.StatusOK {
				assert.Equal(t, []byte(`1`), env.store.kv[kvKey("hello", "bot-id", tc.prefix, tc.key)])
			} else {
				assert.Empty(t, env.store.kv)
			}
		})
	}
}
