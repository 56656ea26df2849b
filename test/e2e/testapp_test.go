//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recordedCall is one request that the plugin sent to a testApp.
type recordedCall struct {
	Method string
	Path   string
	Header http.Header
	// Body contains the raw request body bytes.
	Body []byte
	// JSON is Body decoded with UseNumber, or nil when Body is not a JSON object.
	JSON map[string]any
}

// values returns the call's "values" object, or nil.
func (c recordedCall) values() map[string]any {
	values, _ := c.JSON["values"].(map[string]any)
	return values
}

// context returns the call's "context" object, or nil.
func (c recordedCall) context() map[string]any {
	context, _ := c.JSON["context"].(map[string]any)
	return context
}

// appResponse scripts how a testApp responds to a call.
type appResponse struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Body is written as the response body with Content-Type application/json.
	Body string
	// Delay holds the response back, or until the plugin gives up on the request.
	Delay time.Duration
}

// Scripted responses of a testApp.
var (
	respondOK       = appResponse{Body: `{"type":"ok"}`}
	respondOKText   = appResponse{Body: `{"type":"ok","text":"OK"}`}
	respondAppError = appResponse{Body: `{"type":"error","text":"app-internal-detail-7f3a"}`}
	respondHTTP500  = appResponse{Status: http.StatusInternalServerError, Body: `app-internal-detail-500`}
	respondNotJSON  = appResponse{Body: `this is not a call response`}
	respondHTTP404  = appResponse{Status: http.StatusNotFound, Body: `{"type":"ok"}`}
)

// respondOKWithData returns a script that responds {"type":"ok","data":<data>}.
func respondOKWithData(data string) appResponse {
	return appResponse{Body: `{"type":"ok","data":` + data + `}`}
}

// testApp is an App inside the test process: an HTTP server on 127.0.0.1 that records every
// request the plugin sends and responds as the test scripts, {"type":"ok"} by default.
type testApp struct {
	t      testing.TB
	server *httptest.Server

	mu        sync.Mutex
	calls     []recordedCall
	responses map[string]appResponse // by request path
	fallback  appResponse
}

// newTestApp starts a testApp; it is closed when the test ends.
func newTestApp(t testing.TB) *testApp {
	t.Helper()
	app := &testApp{t: t, responses: map[string]appResponse{}, fallback: respondOK}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listening on 127.0.0.1 for the test App")
	app.server = httptest.NewUnstartedServer(http.HandlerFunc(app.serveHTTP))
	app.server.Listener.Close()
	app.server.Listener = listener
	app.server.Start()
	t.Cleanup(app.server.Close)
	return app
}

// URL returns the App's root URL, for example http://127.0.0.1:41234.
func (a *testApp) URL() string {
	return a.server.URL
}

// respond scripts the response to requests at path.
func (a *testApp) respond(path string, response appResponse) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.responses[path] = response
}

// respondToAll scripts the response to requests at paths without their own script.
func (a *testApp) respondToAll(response appResponse) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fallback = response
}

// stop closes the App's listener, so that connections to it are refused (the App is down).
func (a *testApp) stop() {
	a.server.Close()
}

// recorded returns a copy of the calls received so far, in arrival order.
func (a *testApp) recorded() []recordedCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]recordedCall(nil), a.calls...)
}

// callsTo returns the calls received at path.
func (a *testApp) callsTo(path string) []recordedCall {
	var matching []recordedCall
	for _, call := range a.recorded() {
		if call.Path == path {
			matching = append(matching, call)
		}
	}
	return matching
}

// count returns how many requests the App has received.
func (a *testApp) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

// last returns the most recent call, and fails the test when there is none.
func (a *testApp) last(t testing.TB) recordedCall {
	t.Helper()
	calls := a.recorded()
	require.NotEmpty(t, calls, "the test App received no call")
	return calls[len(calls)-1]
}

func (a *testApp) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		a.t.Errorf("test App: reading the request body of %s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	call := recordedCall{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	if decoder.Decode(&call.JSON) != nil {
		call.JSON = nil
	}

	a.mu.Lock()
	a.calls = append(a.calls, call)
	response, scripted := a.responses[r.URL.Path]
	switch {
	case scripted:
	case r.URL.Path == "/ping":
		// The plugin pings the App at install; a script for other paths must not break that.
		response = respondOK
	default:
		response = a.fallback
	}
	a.mu.Unlock()

	if response.Delay > 0 {
		select {
		case <-time.After(response.Delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	status := response.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, response.Body)
}
