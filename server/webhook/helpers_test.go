package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
)

const (
	testAppID     = apps.AppID("hello-webhooks")
	testSecret    = "Wq3xJ0e_kL9-bT5vN2mR7yH4"
	testBotID     = "botuserid0000000000000000a"
	testBotToken  = "bot-session-token-0123456789"
	testSiteURL   = "http://mm.example.com"
	webhookPrefix = "/plugins/com.mattermost.apps/apps/" + string(testAppID) + "/webhook"
)

// fakeApps is an in-memory App store.
type fakeApps struct {
	mu   sync.Mutex
	apps map[apps.AppID]*apps.App
	err  error
}

func (f *fakeApps) GetApp(id apps.AppID) (*apps.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	app, found := f.apps[id]
	if !found {
		return nil, apps.ErrNotFound
	}
	clone := *app
	return &clone, nil
}

func (f *fakeApps) put(app *apps.App) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[app.AppID] = app
}

// fakeTokens returns a fixed bot token.
type fakeTokens struct {
	token string
	err   error
	calls atomic.Int64
}

func (f *fakeTokens) BotAccessToken(_ context.Context, _ *apps.App) (string, error) {
	f.calls.Add(1)
	return f.token, f.err
}

// logEntry is one recorded log call.
type logEntry struct {
	level   string
	message string
	fields  map[string]any
}

// recordingLogger records every log call.
type recordingLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *recordingLogger) record(level, message string, keyValuePairs []any) {
	fields := map[string]any{}
	for i := 0; i+1 < len(keyValuePairs); i += 2 {
		fields[keyValuePairs[i].(string)] = keyValuePairs[i+1]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{level: level, message: message, fields: fields})
}

func (l *recordingLogger) Debug(message string, keyValuePairs ...any) {
	l.record("debug", message, keyValuePairs)
}

func (l *recordingLogger) Info(message string, keyValuePairs ...any) {
	l.record("info", message, keyValuePairs)
}

func (l *recordingLogger) Warn(message string, keyValuePairs ...any) {
	l.record("warn", message, keyValuePairs)
}

func (l *recordingLogger) Error(message string, keyValuePairs ...any) {
	l.record("error", message, keyValuePairs)
}

func (l *recordingLogger) all() []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEntry(nil), l.entries...)
}

func (l *recordingLogger) atLevel(level string) []logEntry {
	var found []logEntry
	for _, entry := range l.all() {
		if entry.level == level {
			found = append(found, entry)
		}
	}
	return found
}

// receivedCall is a CallRequest as the test App decodes it.
type receivedCall struct {
	Path   string          `json:"path"`
	Expand *apps.Expand    `json:"expand"`
	State  json.RawMessage `json:"state"`
	Values struct {
		HTTPMethod string            `json:"httpMethod"`
		Headers    map[string]string `json:"headers"`
		Data       json.RawMessage   `json:"data"`
		RawBody    []byte            `json:"rawBody"`
		RawQuery   string            `json:"rawQuery"`
	} `json:"values"`
	Context apps.Context `json:"context"`
}

// dataString returns "data" decoded as a JSON string.
func (c receivedCall) dataString(t *testing.T) string {
	t.Helper()
	var data string
	require.NoError(t, json.Unmarshal(c.Values.Data, &data), "data %s", c.Values.Data)
	return data
}

// receivedRequest is one call as the test App received it.
type receivedRequest struct {
	method        string
	path          string
	header        http.Header
	body          []byte
	contentLength int64
	chunked       bool
	call          receivedCall
	generic       map[string]any
	decodeErr     error
}

// testApp is an App server that decodes and records every call and responds with respond.
type testApp struct {
	server   *httptest.Server
	requests chan receivedRequest
	mu       sync.Mutex
	respond  http.HandlerFunc
}

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	app := &testApp{
		requests: make(chan receivedRequest, 1000),
		respond:  respondJSON(`{"type":"ok"}`),
	}
	app.server = httptest.NewServer(http.HandlerFunc(app.serve))
	t.Cleanup(app.server.Close)
	return app
}

func (a *testApp) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "failed to read", http.StatusBadRequest)
		return
	}
	received := receivedRequest{
		method:        r.Method,
		path:          r.URL.Path,
		header:        r.Header.Clone(),
		body:          body,
		contentLength: r.ContentLength,
		chunked:       len(r.TransferEncoding) > 0,
	}
	received.decodeErr = decodeStrict(body, &received.call)
	if received.decodeErr == nil {
		decoder := json.NewDecoder(bytes.NewReader(body))
		decoder.UseNumber()
		received.decodeErr = decoder.Decode(&received.generic)
	}
	a.requests <- received
	r.Body = io.NopCloser(bytes.NewReader(body))

	a.mu.Lock()
	respond := a.respond
	a.mu.Unlock()
	respond(w, r)
}

// decodeStrict decodes a CallRequest and rejects unknown fields, so that an extra field in the
// encoding fails the test.
func decodeStrict(body []byte, call *receivedCall) error {
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(call); err != nil {
		return err
	}
	if decoder.More() {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (a *testApp) setRespond(respond http.HandlerFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.respond = respond
}

// receive returns the next call and checks what every call must satisfy: valid JSON in valid
// UTF-8, sent with an exact Content-Length and not chunked.
func (a *testApp) receive(t *testing.T) receivedRequest {
	t.Helper()
	select {
	case received := <-a.requests:
		require.NoError(t, received.decodeErr, "body %s", received.body)
		assert.True(t, json.Valid(received.body))
		assert.True(t, utf8.Valid(received.body), "the call must be valid UTF-8")
		assert.False(t, received.chunked, "the call must not be chunked")
		assert.Equal(t, int64(len(received.body)), received.contentLength)
		assert.Equal(t, "application/json", received.header.Get("Content-Type"))
		return received
	case <-time.After(5 * time.Second):
		require.FailNow(t, "the app received no call")
		return receivedRequest{}
	}
}

// assertNotCalled checks that the App received nothing.
func (a *testApp) assertNotCalled(t *testing.T) {
	t.Helper()
	select {
	case received := <-a.requests:
		assert.Failf(t, "the app must not be called", "it got path %s", received.path)
	default:
	}
}

func respondJSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

// installedApp returns an App record that accepts webhooks at the test App's URL.
func installedApp(rootURL string) *apps.App {
	return &apps.App{
		Manifest: apps.Manifest{
			AppID:                 testAppID,
			Version:               "1.2.3",
			DisplayName:           "Hello webhooks",
			HomepageURL:           "https://example.com/hello",
			RequestedPermissions:  apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks},
			RemoteWebhookAuthType: apps.WebhookAuthSecret,
			HTTP:                  &apps.HTTP{RootURL: rootURL},
		},
		DeployType:         apps.DeployHTTP,
		GrantedPermissions: apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks},
		BotUserID:          testBotID,
		BotUsername:        "hello-webhooks",
		WebhookSecret:      testSecret,
	}
}

// env is a Service with fakes around it and a test App behind it.
type env struct {
	service  *Service
	store    *fakeApps
	tokens   *fakeTokens
	log      *recordingLogger
	app      *testApp
	mu       sync.Mutex
	settings config.Settings
}

func newEnv(t *testing.T) *env {
	t.Helper()
	testApp := newTestApp(t)
	e := &env{
		store:  &fakeApps{apps: map[apps.AppID]*apps.App{}},
		tokens: &fakeTokens{token: testBotToken},
		log:    &recordingLogger{},
		app:    testApp,
		settings: config.Settings{
			MaxBodyBytes:    1 << 20,
			DeliveryTimeout: 5 * time.Second,
			SiteURL:         testSiteURL,
		},
	}
	e.store.put(installedApp(testApp.server.URL))
	e.service = New(e.store, e.tokens, upstream.New(nil), e.getSettings, e.log)
	return e
}

func (e *env) getSettings() config.Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings
}

func (e *env) updateSettings(update func(*config.Settings)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	update(&e.settings)
}

// updateApp changes the installed test App.
func (e *env) updateApp(t *testing.T, update func(*apps.App)) {
	t.Helper()
	app, err := e.store.GetApp(testAppID)
	require.NoError(t, err)
	update(app)
	e.store.put(app)
}

// webhookRequest is a request as a sender writes it.
type webhookRequest struct {
	method string
	// target is the request target after the webhook prefix: sub path and query, such as
	// "/gh?secret=x".
	target string
	// appPrefix replaces webhookPrefix when set, to address another App.
	appPrefix string
	header    http.Header
	host      string
	body      []byte
	// chunks, when set, are sent one by one as a chunked body instead of body.
	chunks [][]byte
}

// webhookResponse is what the sender got.
type webhookResponse struct {
	status int
	header http.Header
	body   string
}

// front sends a webhookRequest to a Service and returns the response.
type front struct {
	name string
	send func(t *testing.T, e *env, request webhookRequest) webhookResponse
}

// fronts are the ways a request reaches Handle: directly through a ResponseRecorder with a
// request that has no RequestURI, through a real HTTP server, and through a real HTTP server that
// changes the request as Mattermost does before the plugin receives it.
var fronts = []front{
	{"recorder", sendToRecorder},
	{"server", func(t *testing.T, e *env, request webhookRequest) webhookResponse {
		return sendToServer(t, e, request, false)
	}},
	{"mattermost", func(t *testing.T, e *env, request webhookRequest) webhookResponse {
		return sendToServer(t, e, request, true)
	}},
}

func (r webhookRequest) path() string {
	prefix := r.appPrefix
	if prefix == "" {
		prefix = webhookPrefix
	}
	return prefix + r.target
}

func (r webhookRequest) bodyReader() io.Reader {
	if r.chunks == nil {
		return bytes.NewReader(r.body)
	}
	// The reader consumes its own copy, so the same request can be sent again.
	chunks := make([][]byte, len(r.chunks))
	copy(chunks, r.chunks)
	return &chunkedReader{chunks: chunks}
}

// chunkedReader returns its chunks one per Read with a short pause, so that an HTTP client sends
// each as its own chunk, and hides its length.
type chunkedReader struct {
	chunks [][]byte
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	time.Sleep(5 * time.Millisecond)
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func sendToRecorder(t *testing.T, e *env, request webhookRequest) webhookResponse {
	t.Helper()
	method := request.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, testSiteURL+request.path(), request.bodyReader())
	require.NoError(t, err)
	if request.chunks != nil {
		req.ContentLength = -1
	}
	for name, values := range request.header {
		req.Header[name] = values
	}
	if request.host != "" {
		req.Host = request.host
	}
	require.Empty(t, req.RequestURI)

	recorder := httptest.NewRecorder()
	routeToService(e.service).ServeHTTP(recorder, req)
	return webhookResponse{status: recorder.Code, header: recorder.Header(), body: recorder.Body.String()}
}

func sendToServer(t *testing.T, e *env, request webhookRequest, likeMattermost bool) webhookResponse {
	t.Helper()
	var handler http.Handler = routeToService(e.service)
	if likeMattermost {
		handler = asMattermostDoes(handler)
	}
	server := httptest.NewServer(handler)
	defer server.Close()

	method := request.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, server.URL+request.path(), request.bodyReader())
	require.NoError(t, err)
	if request.chunks != nil {
		req.ContentLength = -1
	}
	for name, values := range request.header {
		req.Header[name] = values
	}
	if request.host != "" {
		req.Host = request.host
	}

	resp, err := server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return webhookResponse{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// routeToService routes /plugins/com.mattermost.apps/apps/{app_id}/webhook[/{sub_path}] (or the
// same path without the plugin prefix, as Mattermost passes it) to Handle, as the plugin's router
// does, and responds 404 to anything else.
func routeToService(service *Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/plugins/"+apps.PluginID)
		rest, found := strings.CutPrefix(rest, "/apps/")
		if !found {
			http.NotFound(w, r)
			return
		}
		appID, afterID, _ := strings.Cut(rest, "/")
		subPath, found := strings.CutPrefix(afterID, "webhook")
		if !found || (subPath != "" && subPath[0] != '/') {
			http.NotFound(w, r)
			return
		}
		service.Handle(w, r, apps.AppID(appID), subPath)
	})
}

// asMattermostDoes changes a request the way Mattermost 11.4 does before a plugin receives it: it
// deletes Mattermost-User-Id, Mattermost-Plugin-Id and Referer, encodes the parsed query again
// without access_token, strips the /plugins/{id} prefix, and passes only the request fields that
// its RPC layer carries (no ContentLength, TransferEncoding or Trailer).
func asMattermostDoes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Mattermost-Plugin-ID")
		r.Header.Del("Mattermost-User-Id")
		r.Header.Del("Referer")
		query := r.URL.Query()
		query.Del("access_token")
		r.URL.RawQuery = query.Encode()
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/plugins/"+apps.PluginID)

		forwarded := &http.Request{
			Method:     r.Method,
			URL:        r.URL,
			Proto:      r.Proto,
			ProtoMajor: r.ProtoMajor,
			ProtoMinor: r.ProtoMinor,
			Header:     r.Header,
			Host:       r.Host,
			RemoteAddr: r.RemoteAddr,
			RequestURI: r.RequestURI,
			Body:       r.Body,
		}
		next.ServeHTTP(w, forwarded.WithContext(r.Context()))
	})
}

// secretQuery returns "?secret=<testSecret>" followed by extra parameters.
func secretQuery(extra ...string) string {
	query := "?secret=" + url.QueryEscape(testSecret)
	for _, parameter := range extra {
		query += "&" + parameter
	}
	return query
}

// forEachFront runs test once per front.
func forEachFront(t *testing.T, test func(t *testing.T, e *env, send func(webhookRequest) webhookResponse)) {
	t.Helper()
	for _, f := range fronts {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t)
			test(t, e, func(request webhookRequest) webhookResponse {
				return f.send(t, e, request)
			})
		})
	}
}
