package upstream

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// recordedRequest is what a test App saw of one call.
type recordedRequest struct {
	Method           string
	Path             string
	Header           http.Header
	Body             []byte
	ContentLength    int64
	TransferEncoding []string
}

// newTestApp starts an App that records each request and responds with respond.
func newTestApp(t *testing.T, respond http.HandlerFunc) (*apps.App, <-chan recordedRequest) {
	t.Helper()
	requests := make(chan recordedRequest, 100)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		requests <- recordedRequest{
			Method:           r.Method,
			Path:             r.URL.Path,
			Header:           r.Header.Clone(),
			Body:             body,
			ContentLength:    r.ContentLength,
			TransferEncoding: r.TransferEncoding,
		}
		respond(w, r)
	}))
	t.Cleanup(server.Close)

	app := &apps.App{
		Manifest: apps.Manifest{
			AppID: "test-app",
			HTTP:  &apps.HTTP{RootURL: server.URL},
		},
	}
	return app, requests
}

func respondWith(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

func respondStatus(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func receive(t *testing.T, requests <-chan recordedRequest) recordedRequest {
	t.Helper()
	select {
	case request := <-requests:
		return request
	case <-time.After(5 * time.Second):
		require.FailNow(t, "the test app received no request")
		return recordedRequest{}
	}
}

// waitForClient blocks a test App's handler until the client gives up on the request, so that the
// server can close once the test ends. The server notices a closed connection only after the
// request body is read.
func waitForClient(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// closedAddress returns a loopback address that refuses connections.
func closedAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	address := listener.Addr().String()
	require.NoError(t, listener.Close())
	return address
}

func TestPostDeliversBody(t *testing.T) {
	app, requests := newTestApp(t, respondWith(`{"type":"ok","text":"hi","data":{"n":12345678901234567890}}`))
	body := `{"path":"/webhook/x","context":{}}`

	resp, err := New(nil).Post(context.Background(), app, "/webhook/x", "", strings.NewReader(body), int64(len(body)))
	require.NoError(t, err)

	assert.Equal(t, apps.CallResponseTypeOK, resp.Type)
	assert.Equal(t, "hi", resp.Text)
	assert.Equal(t, `{"n":12345678901234567890}`, string(resp.Data))
	assert.False(t, resp.IsError())

	got := receive(t, requests)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/webhook/x", got.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, int64(len(body)), got.ContentLength)
	assert.Empty(t, got.TransferEncoding)
	assert.Equal(t, body, string(got.Body))
	assert.Empty(t, got.Header.Get(HeaderAppAuthorization))
}

func TestPostBodyLengths(t *testing.T) {
	t.Run("unknown length is sent chunked", func(t *testing.T) {
		app, requests := newTestApp(t, respondWith(`{"type":"ok"}`))
		body := `{"path":"/x"}`

		_, err := New(nil).Post(context.Background(), app, "/x", "", io.MultiReader(strings.NewReader(body)), -1)
		require.NoError(t, err)

		got := receive(t, requests)
		assert.Equal(t, int64(-1), got.ContentLength)
		assert.Equal(t, []string{"chunked"}, got.TransferEncoding)
		assert.Equal(t, body, string(got.Body))
	})

	t.Run("zero length sends an empty body", func(t *testing.T) {
		app, requests := newTestApp(t, respondWith(`{"type":"ok"}`))

		_, err := New(nil).Post(context.Background(), app, "/x", "", strings.NewReader(""), 0)
		require.NoError(t, err)

		got := receive(t, requests)
		assert.Equal(t, int64(0), got.ContentLength)
		assert.Empty(t, got.TransferEncoding)
		assert.Empty(t, got.Body)
	})
}

// replayableReader is a body with a GetBody method, as the webhook package sends.
type replayableReader struct {
	io.Reader
	data string
}

func (r *replayableReader) GetBody() (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(r.data)), nil
}

func TestSetBodyLengthUsesGetBody(t *testing.T) {
	body := &replayableReader{Reader: strings.NewReader("abc"), data: "abc"}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", body)
	require.NoError(t, err)

	setBodyLength(req, body, 3)

	require.NotNil(t, req.GetBody)
	copyOfBody, err := req.GetBody()
	require.NoError(t, err)
	data, err := io.ReadAll(copyOfBody)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(data))
	assert.Equal(t, int64(3), req.ContentLength)
}

func TestPostJoinsRootURL(t *testing.T) {
	for _, rootPath := range []string{"/app", "/app/", "/app//"} {
		t.Run(rootPath, func(t *testing.T) {
			app, requests := newTestApp(t, respondWith(`{"type":"ok"}`))
			app.HTTP.RootURL += rootPath

			_, err := New(nil).Post(context.Background(), app, "/webhook/sub/", "", strings.NewReader("{}"), 2)
			require.NoError(t, err)

			assert.Equal(t, "/app/webhook/sub", receive(t, requests).Path)
		})
	}
}

func TestPostSignsJWT(t *testing.T) {
	const jwtSecret = "jwt-secret-1234567890"

	for name, actingUserID := range map[string]string{"with acting user": "bot-user-id", "without acting user": ""} {
		t.Run(name, func(t *testing.T) {
			app, requests := newTestApp(t, respondWith(`{"type":"ok"}`))
			app.HTTP.UseJWT = true
			app.JWTSecret = jwtSecret

			before := time.Now()
			_, err := New(nil).Post(context.Background(), app, "/webhook", actingUserID, strings.NewReader("{}"), 2)
			require.NoError(t, err)

			header := receive(t, requests).Header.Get(HeaderAppAuthorization)
			require.True(t, strings.HasPrefix(header, "Bearer "), "header %q", header)
			tokenString := strings.TrimPrefix(header, "Bearer ")

			var claims Claims
			token, err := jwt.ParseWithClaims(tokenString, &claims, func(*jwt.Token) (any, error) {
				return []byte(jwtSecret), nil
			}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
			require.NoError(t, err)
			assert.True(t, token.Valid)
			assert.Equal(t, actingUserID, claims.ActingUserID)
			require.NotNil(t, claims.ExpiresAt)
			assert.WithinDuration(t, before.Add(JWTLifetime), claims.ExpiresAt.Time, 5*time.Second)

			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tokenString, ".")[1])
			require.NoError(t, err)
			assert.Equal(t, actingUserID != "", strings.Contains(string(payload), "acting_user_id"), "payload %s", payload)

			_, err = jwt.ParseWithClaims(tokenString, &Claims{}, func(*jwt.Token) (any, error) {
				return []byte("another secret"), nil
			})
			assert.Error(t, err, "a token must not verify with another secret")
		})
	}
}

func TestPostJWTWithoutSecret(t *testing.T) {
	app, requests := newTestApp(t, respondWith(`{"type":"ok"}`))
	app.HTTP.UseJWT = true

	_, err := New(nil).Post(context.Background(), app, "/webhook", "user", strings.NewReader("{}"), 2)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "test-app")
	assert.Empty(t, requests, "the app must not be called")
}

func TestPostWithoutHTTP(t *testing.T) {
	app := &apps.App{Manifest: apps.Manifest{AppID: "no-http"}}

	_, err := New(nil).Post(context.Background(), app, "/webhook", "", strings.NewReader("{}"), 2)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-http")
}

func TestPostErrorResponse(t *testing.T) {
	app, _ := newTestApp(t, respondWith(`{"type":"error","text":"bad event"}`))

	resp, err := New(nil).Post(context.Background(), app, "/webhook", "", strings.NewReader("{}"), 2)

	require.NoError(t, err)
	assert.True(t, resp.IsError())
	assert.Equal(t, "bad event", resp.Text)
}

func TestPostBadResponses(t *testing.T) {
	exactlyMax := `{"type":"ok","text":"` + strings.Repeat("a", MaxResponseBytes-len(`{"type":"ok","text":""}`)) + `"}`
	require.Len(t, exactlyMax, MaxResponseBytes)

	tests := []struct {
		name    string
		respond http.HandlerFunc
		detail  string
	}{
		{"status 500", respondStatus(http.StatusInternalServerError, `{"type":"ok"}`), "status 500"},
		{"status 404", respondStatus(http.StatusNotFound, "not found"), "status 404"},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}, "status 307"},
		{"not JSON", respondWith("OK"), "not a call response"},
		{"empty body", respondWith(""), "not a call response"},
		{"JSON null", respondWith("null"), "not a call response"},
		{"JSON array", respondWith(`[{"type":"ok"}]`), "not a call response"},
		{"JSON string", respondWith(`"ok"`), "not a call response"},
		{"wrong field type", respondWith(`{"type":1}`), "not a call response"},
		{"trailing garbage", respondWith(`{"type":"ok"} x`), "not a call response"},
		{"over the cap", respondWith(exactlyMax + " "), "larger than 1048576 bytes"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			app, _ := newTestApp(t, test.respond)
			app.HTTP.UseJWT = true
			app.JWTSecret = "do-not-leak-this-secret"

			resp, err := New(nil).Post(context.Background(), app, "/webhook/sub", "", strings.NewReader("{}"), 2)

			require.Error(t, err)
			assert.Nil(t, resp)
			assert.True(t, errors.Is(err, ErrBadResponse), "error %v", err)
			assert.False(t, errors.Is(err, ErrUnreachable))
			assert.False(t, errors.Is(err, ErrTimeout))
			assert.Contains(t, err.Error(), test.detail)
			assert.Contains(t, err.Error(), "test-app")
			assert.Contains(t, err.Error(), "/webhook/sub")
			assert.NotContains(t, err.Error(), "do-not-leak-this-secret")
		})
	}

	t.Run("exactly the cap is accepted", func(t *testing.T) {
		app, _ := newTestApp(t, respondWith(exactlyMax))

		resp, err := New(nil).Post(context.Background(), app, "/webhook", "", strings.NewReader("{}"), 2)

		require.NoError(t, err)
		assert.Len(t, resp.Text, MaxResponseBytes-len(`{"type":"ok","text":""}`))
	})
}

func TestPostUnreachable(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		app := &apps.App{Manifest: apps.Manifest{AppID: "down-app", HTTP: &apps.HTTP{RootURL: "http://" + closedAddress(t)}}}

		_, err := New(nil).Post(context.Background(), app, "/webhook", "", strings.NewReader("{}"), 2)

		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrUnreachable), "error %v", err)
		assert.Contains(t, err.Error(), "down-app")
		assert.Contains(t, err.Error(), "refused")
	})

	t.Run("connection closed without a response", func(t *testing.T) {
		app, _ := newTestApp(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})

		_, err := New(nil).Post(context.Background(), app, "/webhook", "", strings.NewReader("{}"), 2)

		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrUnreachable), "error %v", err)
	})

	t.Run("connection reset in the middle of the response", func(t *testing.T) {
		app, _ := newTestApp(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, buffered, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = buffered.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":")
			_ = buffered.Flush()
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		})

		_, err := New(nil).Post(context.Background(), app, "/webhook", "", strings.NewReader("{}"), 2)

		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrUnreachable), "error %v", err)
	})
}

func TestPostTimeout(t *testing.T) {
	const timeout = 150 * time.Millisecond

	tests := []struct {
		name    string
		respond http.HandlerFunc
	}{
		{"no headers", func(_ http.ResponseWriter, r *http.Request) {
			waitForClient(r)
		}},
		{"headers but body late", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"type":`)
			w.(http.Flusher).Flush()
			waitForClient(r)
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			app, _ := newTestApp(t, test.respond)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()

			start := time.Now()
			_, err := New(nil).Post(ctx, app, "/webhook", "", strings.NewReader("{}"), 2)
			elapsed := time.Since(start)

			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrTimeout), "error %v", err)
			assert.False(t, errors.Is(err, ErrUnreachable))
			assert.GreaterOrEqual(t, elapsed, timeout)
			assert.Less(t, elapsed, timeout+500*time.Millisecond)
		})
	}
}

func TestPostCanceled(t *testing.T) {
	app, _ := newTestApp(t, func(_ http.ResponseWriter, r *http.Request) { waitForClient(r) })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)

	_, err := New(nil).Post(ctx, app, "/webhook", "", strings.NewReader("{}"), 2)

	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "error %v", err)
	assert.False(t, errors.Is(err, ErrTimeout))
	assert.False(t, errors.Is(err, ErrUnreachable))
}

func TestWithDefaultTimeout(t *testing.T) {
	t.Run("no deadline gets the default", func(t *testing.T) {
		ctx, cancel := withDefaultTimeout(context.Background(), time.Minute)
		defer cancel()

		deadline, ok := ctx.Deadline()
		require.True(t, ok)
		assert.WithinDuration(t, time.Now().Add(time.Minute), deadline, time.Second)
	})

	t.Run("caller's deadline is kept", func(t *testing.T) {
		parent, cancelParent := context.WithTimeout(context.Background(), 2*time.Hour)
		defer cancelParent()
		ctx, cancel := withDefaultTimeout(parent, time.Minute)
		defer cancel()

		deadline, ok := ctx.Deadline()
		require.True(t, ok)
		assert.WithinDuration(t, time.Now().Add(2*time.Hour), deadline, time.Second)
	})
}

func TestCallEncodesRequest(t *testing.T) {
	app, requests := newTestApp(t, respondWith(`{"type":"ok"}`))
	creq := &apps.CallRequest{
		Call:    apps.Call{Path: "/on_install", State: json.RawMessage(`{"k":1}`)},
		Values:  map[string]any{"a": "b"},
		Context: apps.Context{AppID: "test-app", ActingUserID: "admin"},
	}

	_, err := New(nil).Call(context.Background(), app, creq, "admin")
	require.NoError(t, err)

	got := receive(t, requests)
	assert.Equal(t, "/on_install", got.Path)
	var decoded apps.CallRequest
	require.NoError(t, json.Unmarshal(got.Body, &decoded))
	assert.Equal(t, *creq, decoded)
	assert.Equal(t, int64(len(got.Body)), got.ContentLength)
}

func TestPostReusesConnections(t *testing.T) {
	var connections atomic.Int64
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"type":"ok"}`)
	}))
	server.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			connections.Add(1)
		}
	}
	server.Start()
	t.Cleanup(server.Close)
	app := &apps.App{Manifest: apps.Manifest{AppID: "busy-app", HTTP: &apps.HTTP{RootURL: server.URL}}}
	client := New(nil)

	const workers, callsPerWorker = 32, 20
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range callsPerWorker {
				if _, err := client.Post(context.Background(), app, "/webhook", "", bytes.NewReader([]byte("{}")), 2); err != nil {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()

	assert.Zero(t, failures.Load())
	// A worker can start its next call a moment before its previous connection is back in the idle
	// pool, so a few more connections than workers may open; without reuse there would be one per
	// call.
	assert.LessOrEqual(t, connections.Load(), int64(newTransport().MaxIdleConnsPerHost), "connections must be reused")
}
