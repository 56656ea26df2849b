//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appsAPIPath is the plugin's REST API, relative to the site URL.
const appsAPIPath = "/plugins/" + pluginID + "/api/v1"

// Permissions an App requests in its manifest.
const (
	permissionActAsBot       = "act_as_bot"
	permissionActAsUser      = "act_as_user"
	permissionRemoteWebhooks = "remote_webhooks"
)

// installPath is where test Apps receive their on_install call.
const installPath = "/install"

// uniqueAppID returns an App id that no other test and no earlier run uses. It is made of "e2e-",
// a short name of the test and random hex digits, at most 25 bytes for names of up to 12 bytes.
func uniqueAppID(t testing.TB, name string) string {
	t.Helper()
	return uniqueName(t, name)
}

// uniqueName returns "e2e-<name>-<8 random hex digits>".
func uniqueName(t testing.TB, name string) string {
	t.Helper()
	require.LessOrEqual(t, len(name), 12, "name part %q is too long", name)
	random := make([]byte, 4)
	_, err := rand.Read(random)
	require.NoError(t, err)
	return "e2e-" + name + "-" + hex.EncodeToString(random)
}

// manifestOption changes a manifest that testApp.manifest builds.
type manifestOption func(manifest map[string]any)

// withPermissions replaces the requested permissions.
func withPermissions(permissions ...string) manifestOption {
	return func(manifest map[string]any) { manifest["requested_permissions"] = permissions }
}

// withField sets a manifest field, for example remote_webhook_auth_type or on_remote_webhook.
func withField(key string, value any) manifestOption {
	return func(manifest map[string]any) { manifest[key] = value }
}

// withoutField removes a manifest field.
func withoutField(key string) manifestOption {
	return func(manifest map[string]any) { delete(manifest, key) }
}

// manifest returns a valid manifest of the App that a serves. It requests act_as_bot and
// remote_webhooks and uses the secret auth type. Its on_install call goes to installPath and
// expands the App at level all, so that the call carries the webhook secret.
func (a *testApp) manifest(appID string, options ...manifestOption) map[string]any {
	manifest := map[string]any{
		"app_id":                   appID,
		"version":                  "1.0.0",
		"display_name":             "E2E " + appID,
		"description":              "App of the end-to-end tests",
		"homepage_url":             a.URL() + "/home",
		"requested_permissions":    []string{permissionActAsBot, permissionRemoteWebhooks},
		"remote_webhook_auth_type": "secret",
		"http":                     map[string]any{"root_url": a.URL()},
		"on_install": map[string]any{
			"path":   installPath,
			"expand": map[string]any{"app": "all"},
		},
	}
	for _, option := range options {
		option(manifest)
	}
	return manifest
}

// appRecord is the App record that GET /api/v1/apps/<app_id> returns.
type appRecord struct {
	AppID              string   `json:"app_id"`
	Version            string   `json:"version"`
	DeployType         string   `json:"deploy_type"`
	Disabled           bool     `json:"disabled"`
	GrantedPermissions []string `json:"granted_permissions"`
	BotUserID          string   `json:"bot_user_id"`
	BotUsername        string   `json:"bot_username"`
	WebhookSecret      string   `json:"webhook_secret"`
}

// installedApp is an App that a test installed over REST.
type installedApp struct {
	ID     string
	App    *testApp
	Record appRecord
}

// Secret returns the App's webhook secret.
func (i installedApp) Secret() string {
	return i.Record.WebhookSecret
}

// updateListing stores a manifest with POST /api/v1/update-app-listing.
func (c *adminClient) updateListing(t testing.TB, manifest map[string]any) {
	t.Helper()
	status, raw := c.doJSON(t, http.MethodPost, appsAPIPath+"/update-app-listing", manifest, nil)
	require.Equal(t, http.StatusOK, status, "update-app-listing of %v: %s", manifest["app_id"], raw)
}

// installListed installs a listed App with POST /api/v1/install-app in the test channel and
// returns the status and body.
func (c *adminClient) installListed(t testing.TB, env testEnv, appID string) (int, []byte) {
	t.Helper()
	request := map[string]any{
		"app_id":      appID,
		"deploy_type": "http",
		"channel_id":  env.ChannelID,
		"team_id":     env.TeamID,
	}
	return c.doJSON(t, http.MethodPost, appsAPIPath+"/install-app", request, nil)
}

// getApp returns the App record as GET /api/v1/apps/<app_id> returns it to the client's user.
func (c *adminClient) getApp(t testing.TB, appID string) appRecord {
	t.Helper()
	var record appRecord
	status, raw := c.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+appID, nil, &record)
	require.Equal(t, http.StatusOK, status, "GET apps/%s: %s", appID, raw)
	return record
}

// appOperation runs POST /api/v1/<operation> {"app_id"} where operation is uninstall-app,
// enable-app or disable-app, and returns the status and body.
func (c *adminClient) appOperation(t testing.TB, operation, appID string) (int, []byte) {
	t.Helper()
	return c.doJSON(t, http.MethodPost, appsAPIPath+"/"+operation, map[string]any{"app_id": appID}, nil)
}

// requireAppOperation runs appOperation and requires 200.
func (c *adminClient) requireAppOperation(t testing.TB, operation, appID string) {
	t.Helper()
	status, raw := c.appOperation(t, operation, appID)
	require.Equal(t, http.StatusOK, status, "%s %s: %s", operation, appID, raw)
}

// installTestApp lists and installs the App that app serves under appID, and uninstalls it when
// the test ends. It requires a successful install.
func installTestApp(t testing.TB, env testEnv, app *testApp, appID string, options ...manifestOption) installedApp {
	t.Helper()
	client := newAdminClient(env)
	client.updateListing(t, app.manifest(appID, options...))
	status, raw := client.installListed(t, env, appID)
	require.Equal(t, http.StatusOK, status, "install-app %s: %s", appID, raw)
	t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })

	return installedApp{ID: appID, App: app, Record: client.getApp(t, appID)}
}

// uninstallIfInstalled uninstalls an App and accepts that a test already did.
func uninstallIfInstalled(t testing.TB, client *adminClient, appID string) {
	status, raw := client.appOperation(t, "uninstall-app", appID)
	if status != http.StatusOK && status != http.StatusNotFound {
		t.Errorf("cleanup: uninstall-app %s: status %d: %s", appID, status, raw)
	}
}

// webhookPath returns the path of an App's webhook route, relative to the site URL.
func webhookPath(appID string) string {
	return "/plugins/" + pluginID + "/apps/" + appID + "/webhook"
}

// webhookURL returns the URL of an App's webhook route with suffix (a sub path such as
// "/github/push", or "") and rawQuery (sent exactly as given, or nothing when empty).
func (e testEnv) webhookURL(appID, suffix, rawQuery string) string {
	url := e.SiteURL + webhookPath(appID) + suffix
	if rawQuery != "" {
		url += "?" + rawQuery
	}
	return url
}

// senderResponse is what a webhook sender got back.
type senderResponse struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
}

// newSenderClient returns a client like a third-party webhook sender's: no Mattermost token or
// cookie, no automatic Accept-Encoding, and no redirects followed.
func newSenderClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// senderUserAgent is the default User-Agent of the webhook requests the tests send, so that each
// test controls every header on the wire.
const senderUserAgent = "e2e-webhook-sender/1.0"

// sendWebhook sends a request like a webhook sender. body may be nil; a body that is not a
// *bytes.Reader, *bytes.Buffer or *strings.Reader is sent chunked. header may be nil.
func sendWebhook(t testing.TB, method, url string, header http.Header, body io.Reader) senderResponse {
	t.Helper()
	request, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for name, values := range header {
		request.Header[name] = values
	}
	if request.Header.Get("User-Agent") == "" {
		request.Header.Set("User-Agent", senderUserAgent)
	}

	start := time.Now()
	response, err := newSenderClient().Do(request)
	require.NoError(t, err, "%s %s", method, redactSecret(url))
	defer response.Body.Close()
	raw, err := io.ReadAll(response.Body)
	require.NoError(t, err, "reading the response to %s %s", method, redactSecret(url))
	return senderResponse{Status: response.StatusCode, Header: response.Header, Body: raw, Elapsed: time.Since(start)}
}

// postWebhook sends a POST with a body of text to an App's webhook route.
func postWebhook(t testing.TB, env testEnv, appID, suffix, rawQuery, text string) senderResponse {
	t.Helper()
	return sendWebhook(t, http.MethodPost, env.webhookURL(appID, suffix, rawQuery), nil, strings.NewReader(text))
}

// redactSecret hides the value of a secret query parameter in a URL for test messages.
func redactSecret(url string) string {
	before, after, found := strings.Cut(url, "secret=")
	if !found {
		return url
	}
	_, rest, _ := strings.Cut(after, "&")
	if rest != "" {
		rest = "&" + rest
	}
	return before + "secret=REDACTED" + rest
}

// assertNotCalled checks that the App received no request after it had received before.
func assertNotCalled(t testing.TB, app *testApp, before int, request string) {
	t.Helper()
	assertCallCount(t, app.recorded()[before:], 0, "the App was called for "+request)
}

// assertCallCount checks the number of calls. A failure lists the calls by method and path, which
// reads better than whole bodies full of tokens.
func assertCallCount(t testing.TB, calls []recordedCall, expected int, message string) bool {
	t.Helper()
	summaries := make([]string, 0, len(calls))
	for _, call := range calls {
		summaries = append(summaries, describeCall(call))
	}
	return assert.Equal(t, expected, len(calls), "%s; calls: %v", message, summaries)
}

// requireCallCount is assertCallCount that stops the test on failure.
func requireCallCount(t testing.TB, calls []recordedCall, expected int, message string) {
	t.Helper()
	if !assertCallCount(t, calls, expected, message) {
		t.FailNow()
	}
}

// assertShortFixedBody checks that an error body sent to a webhook sender is a short sentence
// that leaks neither the secret, nor the App's URL, nor the App's own error text.
func assertShortFixedBody(t testing.TB, response senderResponse, installed installedApp) {
	t.Helper()
	body := string(response.Body)
	assert.NotEmpty(t, strings.TrimSpace(body), "error body")
	assert.LessOrEqual(t, len(body), 200, "error body is not short: %q", body)
	if installed.Secret() != "" {
		assert.NotContains(t, body, installed.Secret(), "error body contains the secret")
	}
	assert.NotContains(t, body, strings.TrimPrefix(installed.App.URL(), "http://"), "error body contains the App's address")
	assert.NotContains(t, body, "app-internal-detail", "error body echoes the App's text")
}

// pluginConfig returns the plugin settings map of the server config, PluginSettings.Plugins.
func (c *adminClient) pluginConfig(t testing.TB) map[string]map[string]any {
	t.Helper()
	var config struct {
		PluginSettings struct {
			Plugins map[string]map[string]any `json:"Plugins"`
		} `json:"PluginSettings"`
	}
	status, raw := c.doJSON(t, http.MethodGet, "/api/v4/config", nil, &config)
	require.Equal(t, http.StatusOK, status, "GET /api/v4/config: %s", raw)
	if config.PluginSettings.Plugins == nil {
		return map[string]map[string]any{}
	}
	return config.PluginSettings.Plugins
}

// patchPluginConfig replaces PluginSettings.Plugins with plugins through PUT /api/v4/config/patch.
// Mattermost replaces a map in a config patch as a whole, so plugins must contain every plugin's
// settings.
// NOTE: GET /api/v4/config leaves out the settings of plugins that are not installed, so a patch
// built from it deletes them from config.json. The test server has no such settings.
func (c *adminClient) patchPluginConfig(t testing.TB, plugins map[string]map[string]any) {
	t.Helper()
	patch := map[string]any{"PluginSettings": map[string]any{"Plugins": plugins}}
	status, raw := c.doJSON(t, http.MethodPut, "/api/v4/config/patch", patch, nil)
	require.Equal(t, http.StatusOK, status, "PUT /api/v4/config/patch: %s", raw)
}

// setPluginSetting sets one of the plugin's System Console settings and restores the previous
// settings when the test ends. Mattermost stores plugin setting keys in lower case, as the System
// Console saves them, and the plugin reads them case-insensitively. Tests that call it must not
// run in parallel with webhook tests that depend on the setting.
func (c *adminClient) setPluginSetting(t testing.TB, key string, value any) {
	t.Helper()
	original := c.pluginConfig(t)

	updated := map[string]map[string]any{}
	for id, settings := range original {
		updated[id] = settings
	}
	settings := map[string]any{}
	for name, previous := range original[pluginID] {
		settings[name] = previous
	}
	settings[strings.ToLower(key)] = value
	updated[pluginID] = settings
	c.patchPluginConfig(t, updated)

	t.Cleanup(func() { c.patchPluginConfig(t, original) })
}

// requireJSONString returns the string at key of object, and fails the test when it is not a
// string.
func requireJSONString(t testing.TB, object map[string]any, key string) string {
	t.Helper()
	value, ok := object[key].(string)
	require.True(t, ok, "%s is %T (%v), expected a string; object: %v", key, object[key], object[key], object)
	return value
}

// describeCall formats a recorded call for test messages as its method and path.
func describeCall(call recordedCall) string {
	return fmt.Sprintf("%s %s", call.Method, call.Path)
}
