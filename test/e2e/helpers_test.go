//go:build e2e

// Package e2e contains end-to-end tests that run against a real Mattermost server with the
// plugin installed. Run them with build/e2e.sh (make e2e): it starts the server, installs the
// plugin bundle and exports the environment variables that loadEnv reads.
package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pluginID is the id of the plugin under test, as in plugin.json.
const pluginID = "com.mattermost.apps"

// testEnv describes the server that build/e2e.sh started for the tests.
type testEnv struct {
	SiteURL      string // MM_URL, for example http://127.0.0.1:8065
	AdminToken   string // MM_ADMIN_TOKEN, a session token of a system admin
	AdminUserID  string // MM_ADMIN_USER_ID
	TeamID       string // MM_TEAM_ID, the team "e2e"
	ChannelID    string // MM_CHANNEL_ID, town-square in that team; the admin is a member
	MMSHome      string // MMS_HOME, the directory that contains the server's state and logs
	PluginBundle string // MM_PLUGIN_BUNDLE, absolute path of the installed bundle
	RestartCmd   string // E2E_RESTART_CMD, a shell command that restarts the server
}

// loadEnv reads the test environment and fails the test when a variable is missing.
func loadEnv(t testing.TB) testEnv {
	t.Helper()
	var missing []string
	get := func(name string) string {
		value := os.Getenv(name)
		if value == "" {
			missing = append(missing, name)
		}
		return value
	}
	env := testEnv{
		SiteURL:      strings.TrimSuffix(get("MM_URL"), "/"),
		AdminToken:   get("MM_ADMIN_TOKEN"),
		AdminUserID:  get("MM_ADMIN_USER_ID"),
		TeamID:       get("MM_TEAM_ID"),
		ChannelID:    get("MM_CHANNEL_ID"),
		MMSHome:      get("MMS_HOME"),
		PluginBundle: get("MM_PLUGIN_BUNDLE"),
		RestartCmd:   get("E2E_RESTART_CMD"),
	}
	require.Empty(t, missing, "environment variables not set; run these tests through build/e2e.sh (make e2e)")
	return env
}

// serverLogPath returns the path of the Mattermost server's log file, which also contains the
// plugin's log lines.
func (e testEnv) serverLogPath() string {
	return filepath.Join(e.MMSHome, "run", "logs", "mattermost.log")
}

// restartServer stops and starts the Mattermost server and its database with E2E_RESTART_CMD.
// The data is kept, and the command returns once the plugins that were enabled are active again
// (or after start.sh's 30-second wait for them).
func (e testEnv) restartServer(t testing.TB) {
	t.Helper()
	cmd := exec.Command("sh", "-c", e.RestartCmd)
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "server restart failed; output:\n%s", output)
}

// adminClient sends requests to the Mattermost server with the admin's bearer token.
type adminClient struct {
	siteURL    string
	token      string
	httpClient *http.Client
}

func newAdminClient(env testEnv) *adminClient {
	return &adminClient{
		siteURL:    env.SiteURL,
		token:      env.AdminToken,
		httpClient: &http.Client{Timeout: 30 * time.Second},
	}
}

// doJSON sends a request to path (relative to the site URL, for example "/api/v4/plugins")
// with body encoded as JSON, or with no body when body is nil. When out is not nil and the
// status is 2xx, it decodes the JSON response into out. It returns the status and the raw
// response body.
func (c *adminClient) doJSON(t testing.TB, method, path string, body, out any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		require.NoError(t, err, "encoding the request body for %s %s", method, path)
		reader = bytes.NewReader(encoded)
	}
	request, err := http.NewRequest(method, c.siteURL+path, reader)
	require.NoError(t, err)
	request.Header.Set("Authorization", "Bearer "+c.token)
	request.Header.Set("Accept", "application/json")
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}

	response, err := c.httpClient.Do(request)
	require.NoError(t, err, "%s %s failed", method, path)
	defer response.Body.Close()
	raw, err := io.ReadAll(response.Body)
	require.NoError(t, err, "reading the response to %s %s", method, path)

	if out != nil && response.StatusCode >= 200 && response.StatusCode < 300 {
		require.NoError(t, json.Unmarshal(raw, out), "decoding the response to %s %s: %s", method, path, raw)
	}
	return response.StatusCode, raw
}

// pluginList is the response of GET /api/v4/plugins.
type pluginList struct {
	Active   []pluginManifest `json:"active"`
	Inactive []pluginManifest `json:"inactive"`
}

type pluginManifest struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// activePluginIDs returns the ids of the plugins that the server lists as active.
func (c *adminClient) activePluginIDs(t testing.TB) []string {
	t.Helper()
	var plugins pluginList
	status, raw := c.doJSON(t, http.MethodGet, "/api/v4/plugins", nil, &plugins)
	require.Equal(t, http.StatusOK, status, "GET /api/v4/plugins: %s", raw)
	ids := make([]string, 0, len(plugins.Active))
	for _, plugin := range plugins.Active {
		ids = append(ids, plugin.ID)
	}
	return ids
}
