package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecret     = "Zx8vQk2mR7pL4sT9wB3nC6yD"
	testAdminToken = "admin-token-1"
	testBotToken   = "bot-token-1"
	testBotUserID  = "botuserid"
	testTeamID     = "teamid"
	testChannelID  = "channelid"

	testKVPath = "/plugins/com.mattermost.apps/api/v1/kv/config/settings"
)

// recordedRequest is one request the fake Mattermost server received.
type recordedRequest struct {
	Method        string
	Path          string
	Authorization string
	Body          string
}

// fakeMattermost fakes the Mattermost REST API and the plugin's App KV store. It records
// every request, answers 201 to POSTs, and keeps KV values in memory.
type fakeMattermost struct {
	*httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
	kv       map[string]string
	// failPath, when set, gets a 403 response with a Mattermost error body.
	failPath string
}

func newFakeMattermost(t *testing.T) *fakeMattermost {
	fake := &fakeMattermost{kv: map[string]string{}}
	fake.Server = httptest.NewServer(http.HandlerFunc(fake.serve))
	t.Cleanup(fake.Close)
	return fake
}

func (f *fakeMattermost) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, recordedRequest{
		Method:        r.Method,
		Path:          r.URL.Path,
		Authorization: r.Header.Get("Authorization"),
		Body:          string(body),
	})

	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == f.failPath:
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"id":"api.context.permissions.app_error","message":"You do not have the appropriate permissions.","status_code":403}`)
	case strings.HasPrefix(r.URL.Path, "/plugins/com.mattermost.apps/api/v1/kv/") && r.Method == http.MethodGet:
		value, ok := f.kv[r.URL.Path]
		if !ok {
			value = "{}"
		}
		_, _ = io.WriteString(w, value)
	case strings.HasPrefix(r.URL.Path, "/plugins/com.mattermost.apps/api/v1/kv/") && r.Method == http.MethodPut:
		f.kv[r.URL.Path] = string(body)
		_, _ = io.WriteString(w, "{}")
	default:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "{}")
	}
}

func (f *fakeMattermost) recorded() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.requests...)
}

// requestsTo returns the recorded requests with the given method and path.
func (f *fakeMattermost) requestsTo(method, path string) []recordedRequest {
	var matching []recordedRequest
	for _, request := range f.recorded() {
		if request.Method == method && request.Path == path {
			matching = append(matching, request)
		}
	}
	return matching
}

func (f *fakeMattermost) storeConfig(t *testing.T, secret, channelID string) {
	value, err := json.Marshal(map[string]string{"webhook_secret": secret, "channel_id": channelID})
	require.NoError(t, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kv[testKVPath] = string(value)
}

func newTestApp(t *testing.T) *httptest.Server {
	logger := slog.New(slog.DiscardHandler)
	server := httptest.NewServer(newApp("http://127.0.0.1:8081", &http.Client{Timeout: 5 * time.Second}, logger).routes())
	t.Cleanup(server.Close)
	return server
}

// testResponse is a CallResponse as the plugin decodes it.
type testResponse struct {
	Type string         `json:"type"`
	Text string         `json:"text"`
	Data map[string]any `json:"data"`
}

func postCall(t *testing.T, appURL, path string, call any) testResponse {
	t.Helper()
	body, err := json.Marshal(call)
	require.NoError(t, err)
	resp, err := http.Post(appURL+path, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

	var response testResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&response))
	return response
}

// installCall is the on_install CallRequest the plugin sends for an install from a channel.
func installCall(siteURL string) map[string]any {
	return map[string]any{
		"path": "/install",
		"expand": map[string]string{
			"app":                      "all",
			"acting_user_access_token": "all",
		},
		"context": map[string]any{
			"app_id":                   "webhook-app",
			"mattermost_site_url":      siteURL,
			"app_path":                 "/plugins/com.mattermost.apps/apps/webhook-app",
			"bot_user_id":              testBotUserID,
			"bot_access_token":         testBotToken,
			"acting_user_id":           "adminid",
			"acting_user_access_token": testAdminToken,
			"channel_id":               testChannelID,
			"team_id":                  testTeamID,
			"app": map[string]any{
				"app_id":         "webhook-app",
				"version":        "0.1.0",
				"bot_user_id":    testBotUserID,
				"bot_username":   "webhook-app",
				"deploy_type":    "http",
				"webhook_secret": testSecret,
			},
		},
	}
}

// webhookCall is the CallRequest the plugin sends for a sender's request, with values built as the
// plugin builds them.
func webhookCall(siteURL, path, rawQuery string, headers map[string]string, body string) map[string]any {
	var data any = body
	if json.Valid([]byte(body)) {
		data = json.RawMessage(body)
	}
	return map[string]any{
		"path": path,
		"values": map[string]any{
			"httpMethod": http.MethodPost,
			"headers":    headers,
			"data":       data,
			"rawBody":    base64.StdEncoding.EncodeToString([]byte(body)),
			"rawQuery":   rawQuery,
		},
		"context": map[string]any{
			"app_id":              "webhook-app",
			"mattermost_site_url": siteURL,
			"app_path":            "/plugins/com.mattermost.apps/apps/webhook-app",
			"bot_user_id":         testBotUserID,
			"bot_access_token":    testBotToken,
		},
	}
}

const githubPushBody = `{"ref":"refs/heads/main","pusher":{"name":"octocat","email":"octocat@example.com"},` +
	`"repository":{"id":1296269,"full_name":"octo/repo"},` +
	`"commits":[{"id":"a1","message":"Fix the build\n\nThe linker flags were wrong."},{"id":"b2","message":"Add tests"}]}`

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantAddr    string
		wantRootURL string
	}{
		{"defaults", nil, "127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"root URL follows addr", []string{"-addr", "127.0.0.1:9000"}, "127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"explicit root URL", []string{"-root-url", "http://apps.internal:8081"}, "127.0.0.1:8081", "http://apps.internal:8081"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, rootURL, err := parseFlags(tt.args)
			require.NoError(t, err)
			assert.Equal(t, tt.wantAddr, addr)
			assert.Equal(t, tt.wantRootURL, rootURL)
		})
	}
}

func TestManifest(t *testing.T) {
	appServer := newTestApp(t)

	resp, err := http.Get(appServer.URL + "/manifest.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	var manifest map[string]any
	require.NoError(t, json.Unmarshal(body, &manifest))
	assert.Equal(t, "webhook-app", manifest["app_id"])
	assert.Equal(t, "0.1.0", manifest["version"])
	assert.Equal(t, "Webhook App", manifest["display_name"])
	assert.NotEmpty(t, manifest["description"])
	assert.True(t, strings.HasPrefix(manifest["homepage_url"].(string), "https://"))
	assert.Equal(t, []any{"act_as_bot", "act_as_user", "remote_webhooks"}, manifest["requested_permissions"])
	assert.Equal(t, "secret", manifest["remote_webhook_auth_type"])
	assert.Equal(t, map[string]any{"root_url": "http://127.0.0.1:8081"}, manifest["http"])
	assert.Equal(t, map[string]any{
		"path":   "/install",
		"expand": map[string]any{"app": "all", "acting_user_access_token": "all"},
	}, manifest["on_install"])
	assert.NotContains(t, manifest, "on_remote_webhook")
}

func TestPing(t *testing.T) {
	appServer := newTestApp(t)

	resp, err := http.Post(appServer.URL+"/ping", "application/json", strings.NewReader(`{"path":"/ping"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{}`, string(body))
}

func TestInstall(t *testing.T) {
	mattermost := newFakeMattermost(t)
	appServer := newTestApp(t)

	response := postCall(t, appServer.URL, "/install", installCall(mattermost.URL))

	assert.Equal(t, "ok", response.Type)
	assert.Equal(t, "Webhook App is installed. Webhooks will be posted in this channel.", response.Text)

	requests := mattermost.recorded()
	require.Len(t, requests, 3)

	assert.Equal(t, http.MethodPost, requests[0].Method)
	assert.Equal(t, "/api/v4/teams/teamid/members", requests[0].Path)
	assert.Equal(t, "Bearer "+testAdminToken, requests[0].Authorization)
	assert.JSONEq(t, `{"team_id":"teamid","user_id":"botuserid"}`, requests[0].Body)

	assert.Equal(t, http.MethodPost, requests[1].Method)
	assert.Equal(t, "/api/v4/channels/channelid/members", requests[1].Path)
	assert.Equal(t, "Bearer "+testAdminToken, requests[1].Authorization)
	assert.JSONEq(t, `{"user_id":"botuserid"}`, requests[1].Body)

	assert.Equal(t, http.MethodPut, requests[2].Method)
	assert.Equal(t, testKVPath, requests[2].Path)
	assert.Equal(t, "Bearer "+testBotToken, requests[2].Authorization)
	assert.JSONEq(t, `{"webhook_secret":"`+testSecret+`","channel_id":"channelid"}`, requests[2].Body)
}

func TestInstallErrors(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(context map[string]any)
		failPath     string
		wantText     string
		wantRequests int
	}{
		{
			name:     "no channel",
			edit:     func(c map[string]any) { delete(c, "channel_id"); delete(c, "team_id") },
			wantText: "must be installed from a channel",
		},
		{
			name:     "no webhook secret",
			edit:     func(c map[string]any) { delete(c["app"].(map[string]any), "webhook_secret") },
			wantText: "missing webhook secret",
		},
		{
			name:     "no acting user token",
			edit:     func(c map[string]any) { delete(c, "acting_user_access_token") },
			wantText: "missing acting user access token",
		},
		{
			name:     "no bot token",
			edit:     func(c map[string]any) { delete(c, "bot_access_token") },
			wantText: "missing bot user or bot access token",
		},
		{
			name:         "team join rejected",
			failPath:     "/api/v4/teams/teamid/members",
			wantText:     "failed to add the bot to the team: POST /api/v4/teams/teamid/members returned 403: You do not have the appropriate permissions.",
			wantRequests: 1,
		},
		{
			name:         "channel join rejected",
			failPath:     "/api/v4/channels/channelid/members",
			wantText:     "failed to add the bot to the channel",
			wantRequests: 2,
		},
		{
			name:         "KV store rejected",
			failPath:     testKVPath,
			wantText:     "failed to store the config in the App KV store",
			wantRequests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mattermost := newFakeMattermost(t)
			mattermost.failPath = tt.failPath
			appServer := newTestApp(t)
			call := installCall(mattermost.URL)
			if tt.edit != nil {
				tt.edit(call["context"].(map[string]any))
			}

			response := postCall(t, appServer.URL, "/install", call)

			assert.Equal(t, "error", response.Type)
			assert.Contains(t, response.Text, tt.wantText)
			assert.NotContains(t, response.Text, testSecret)
			assert.NotContains(t, response.Text, testAdminToken)
			assert.NotContains(t, response.Text, testBotToken)
			assert.Len(t, mattermost.recorded(), tt.wantRequests)
		})
	}
}

func TestWebhookPostsSummary(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		headers     map[string]string
		body        string
		wantMessage string
	}{
		{
			name:        "GitHub push as JSON",
			path:        "/webhook/github",
			headers:     map[string]string{"Content-Type": "application/json", "X-Github-Event": "push"},
			body:        githubPushBody,
			wantMessage: "**octocat** pushed 2 commits to `main` of `octo/repo`: Fix the build",
		},
		{
			name: "GitHub push as form",
			path: "/webhook/github",
			headers: map[string]string{
				"Content-Type":   "application/x-www-form-urlencoded",
				"X-Github-Event": "push",
			},
			body:        "payload=" + url.QueryEscape(githubPushBody),
			wantMessage: "**octocat** pushed 2 commits to `main` of `octo/repo`: Fix the build",
		},
		{
			name:        "GitHub ping",
			path:        "/webhook/github",
			headers:     map[string]string{"Content-Type": "application/json", "X-Github-Event": "ping"},
			body:        `{"zen":"Keep it simple"}`,
			wantMessage: "Received a webhook at `/github`: POST, event `ping`, content type `application/json`, 24 bytes.",
		},
		{
			name:        "other sender without sub path",
			path:        "/webhook",
			headers:     map[string]string{"Content-Type": "text/plain"},
			body:        "disk full",
			wantMessage: "Received a webhook at `/`: POST, content type `text/plain`, 9 bytes.",
		},
		{
			name:        "no content type and empty body",
			path:        "/webhook/alerts/disk",
			headers:     map[string]string{},
			body:        "",
			wantMessage: "Received a webhook at `/alerts/disk`: POST, content type `none`, 0 bytes.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mattermost := newFakeMattermost(t)
			mattermost.storeConfig(t, testSecret, testChannelID)
			appServer := newTestApp(t)
			call := webhookCall(mattermost.URL, tt.path, "secret="+testSecret, tt.headers, tt.body)

			response := postCall(t, appServer.URL, tt.path, call)

			assert.Equal(t, "ok", response.Type)
			assert.Empty(t, response.Text)
			posts := mattermost.requestsTo(http.MethodPost, "/api/v4/posts")
			require.Len(t, posts, 1)
			assert.Equal(t, "Bearer "+testBotToken, posts[0].Authorization)
			assert.JSONEq(t, jsonString(t, map[string]string{"channel_id": testChannelID, "message": tt.wantMessage}), posts[0].Body)
		})
	}
}

func TestWebhookInvalidSecret(t *testing.T) {
	tests := []struct {
		name     string
		rawQuery string
	}{
		{"wrong secret", "secret=" + testSecret + "x"},
		{"empty secret", "secret="},
		{"no secret", "source=ci"},
		{"empty query", ""},
		{"secret only in second parameter", "secret=wrong&secret=" + testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mattermost := newFakeMattermost(t)
			mattermost.storeConfig(t, testSecret, testChannelID)
			appServer := newTestApp(t)
			call := webhookCall(mattermost.URL, "/webhook", tt.rawQuery, map[string]string{}, `{"text":"hi"}`)

			response := postCall(t, appServer.URL, "/webhook", call)

			assert.Equal(t, "error", response.Type)
			assert.Equal(t, "invalid secret", response.Text)
			assert.Empty(t, mattermost.requestsTo(http.MethodPost, "/api/v4/posts"))
		})
	}
}

func TestWebhookSecretAmongOtherParameters(t *testing.T) {
	mattermost := newFakeMattermost(t)
	mattermost.storeConfig(t, testSecret, testChannelID)
	appServer := newTestApp(t)
	rawQuery := "To=%2B15550001111&secret=" + testSecret + "&Body=Hi%20there"
	call := webhookCall(mattermost.URL, "/webhook/twilio", rawQuery, map[string]string{}, "")

	response := postCall(t, appServer.URL, "/webhook/twilio", call)

	assert.Equal(t, "ok", response.Type)
	assert.Len(t, mattermost.requestsTo(http.MethodPost, "/api/v4/posts"), 1)
}

func TestWebhookSlackURLVerification(t *testing.T) {
	mattermost := newFakeMattermost(t)
	mattermost.storeConfig(t, testSecret, testChannelID)
	appServer := newTestApp(t)
	body := `{"token":"legacy","challenge":"c-123","type":"url_verification"}`
	call := webhookCall(mattermost.URL, "/webhook/slack", "secret="+testSecret, map[string]string{"Content-Type": "application/json"}, body)

	response := postCall(t, appServer.URL, "/webhook/slack", call)

	assert.Equal(t, "ok", response.Type)
	assert.Equal(t, map[string]any{"challenge": "c-123"}, response.Data)
	assert.Empty(t, mattermost.requestsTo(http.MethodPost, "/api/v4/posts"))
}

func TestWebhookCachesConfig(t *testing.T) {
	mattermost := newFakeMattermost(t)
	mattermost.storeConfig(t, testSecret, testChannelID)
	appServer := newTestApp(t)

	for range 2 {
		call := webhookCall(mattermost.URL, "/webhook", "secret="+testSecret, map[string]string{}, `{"n":1}`)
		response := postCall(t, appServer.URL, "/webhook", call)
		require.Equal(t, "ok", response.Type)
	}

	reads := mattermost.requestsTo(http.MethodGet, testKVPath)
	require.Len(t, reads, 1)
	assert.Equal(t, "Bearer "+testBotToken, reads[0].Authorization)
	assert.Len(t, mattermost.requestsTo(http.MethodPost, "/api/v4/posts"), 2)
}

func TestWebhookAfterInstallSkipsKVRead(t *testing.T) {
	mattermost := newFakeMattermost(t)
	appServer := newTestApp(t)
	// The trailing slash checks that install and webhook calls share one cache entry.
	require.Equal(t, "ok", postCall(t, appServer.URL, "/install", installCall(mattermost.URL+"/")).Type)

	call := webhookCall(mattermost.URL, "/webhook", "secret="+testSecret, map[string]string{}, "")
	response := postCall(t, appServer.URL, "/webhook", call)

	assert.Equal(t, "ok", response.Type)
	assert.Empty(t, mattermost.requestsTo(http.MethodGet, testKVPath))
	assert.Len(t, mattermost.requestsTo(http.MethodPost, "/api/v4/posts"), 1)
}

func TestWebhookWithoutConfig(t *testing.T) {
	mattermost := newFakeMattermost(t)
	appServer := newTestApp(t)

	for range 2 {
		call := webhookCall(mattermost.URL, "/webhook", "secret="+testSecret, map[string]string{}, "")
		response := postCall(t, appServer.URL, "/webhook", call)
		assert.Equal(t, "error", response.Type)
		assert.Contains(t, response.Text, "install it again from a channel")
	}

	// A missing config is not cached, so an install done later is picked up.
	assert.Len(t, mattermost.requestsTo(http.MethodGet, testKVPath), 2)
	assert.Empty(t, mattermost.requestsTo(http.MethodPost, "/api/v4/posts"))
}

func TestWebhookPostRejected(t *testing.T) {
	mattermost := newFakeMattermost(t)
	mattermost.storeConfig(t, testSecret, testChannelID)
	mattermost.failPath = "/api/v4/posts"
	appServer := newTestApp(t)
	call := webhookCall(mattermost.URL, "/webhook", "secret="+testSecret, map[string]string{}, "")

	response := postCall(t, appServer.URL, "/webhook", call)

	assert.Equal(t, "error", response.Type)
	assert.Contains(t, response.Text, "failed to post the webhook summary")
	assert.NotContains(t, response.Text, testBotToken)
}

func TestInvalidCallRequest(t *testing.T) {
	appServer := newTestApp(t)

	resp, err := http.Post(appServer.URL+"/webhook", "application/json", strings.NewReader("not json"))
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func jsonString(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
