//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// withToken returns a client that sends requests with another user's token.
func (c *adminClient) withToken(token string) *adminClient {
	return &adminClient{siteURL: c.siteURL, token: token, httpClient: c.httpClient}
}

// executeCommand runs a slash command in a channel through POST /api/v4/commands/execute and
// returns the HTTP status and the text of the command's response.
func (c *adminClient) executeCommand(t testing.TB, channelID, command string) (int, string) {
	t.Helper()
	var response struct {
		Text string `json:"text"`
	}
	request := map[string]string{"channel_id": channelID, "command": command}
	status, raw := c.doJSON(t, http.MethodPost, "/api/v4/commands/execute", request, &response)
	if status != http.StatusOK {
		return status, string(raw)
	}
	return status, response.Text
}

// requireCommand runs a slash command and requires 200.
func (c *adminClient) requireCommand(t testing.TB, channelID, command string) string {
	t.Helper()
	status, text := c.executeCommand(t, channelID, command)
	require.Equal(t, http.StatusOK, status, "%s: %s", command, text)
	return text
}

// addToChannel adds a user to a team and then to one of its channels.
func (c *adminClient) addToChannel(t testing.TB, teamID, channelID, userID string) {
	t.Helper()
	status, raw := c.doJSON(t, http.MethodPost, "/api/v4/teams/"+teamID+"/members",
		map[string]string{"team_id": teamID, "user_id": userID}, nil)
	require.Equal(t, http.StatusCreated, status, "adding user %s to team %s: %s", userID, teamID, raw)
	status, raw = c.doJSON(t, http.MethodPost, "/api/v4/channels/"+channelID+"/members",
		map[string]string{"user_id": userID}, nil)
	require.Equal(t, http.StatusCreated, status, "adding user %s to channel %s: %s", userID, channelID, raw)
}

// userRecord is the part of a Mattermost user that the tests read.
type userRecord struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	DeleteAt int64  `json:"delete_at"`
	IsBot    bool   `json:"is_bot"`
}

// getUser returns a user, deactivated users included.
func (c *adminClient) getUser(t testing.TB, userID string) userRecord {
	t.Helper()
	var user userRecord
	status, raw := c.doJSON(t, http.MethodGet, "/api/v4/users/"+userID, nil, &user)
	require.Equal(t, http.StatusOK, status, "GET user %s: %s", userID, raw)
	return user
}

// createUser creates a user who is not a system admin, adds them to the test team and channel,
// logs them in and returns their id and session token.
func (c *adminClient) createUser(t testing.TB, env testEnv, name string) (string, string) {
	t.Helper()
	username := uniqueName(t, name)
	password := "E2e-Passw0rd!" + username
	var user userRecord
	status, raw := c.doJSON(t, http.MethodPost, "/api/v4/users", map[string]string{
		"username": username,
		"email":    username + "@example.com",
		"password": password,
	}, &user)
	require.Equal(t, http.StatusCreated, status, "creating user %s: %s", username, raw)
	c.addToChannel(t, env.TeamID, env.ChannelID, user.ID)

	body, err := json.Marshal(map[string]string{"login_id": username, "password": password})
	require.NoError(t, err)
	response, err := c.httpClient.Post(c.siteURL+"/api/v4/users/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err, "logging in as %s", username)
	defer response.Body.Close()
	raw, _ = io.ReadAll(response.Body)
	require.Equal(t, http.StatusOK, response.StatusCode, "logging in as %s: %s", username, raw)
	token := response.Header.Get("Token")
	require.NotEmpty(t, token, "the login response of %s has no Token header", username)
	return user.ID, token
}

// postRecord is the part of a Mattermost post that the tests read.
type postRecord struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	Message  string `json:"message"`
	CreateAt int64  `json:"create_at"`
}

// channelPostsSince returns the posts of a channel created or changed after since (milliseconds
// since the Unix epoch).
func (c *adminClient) channelPostsSince(t testing.TB, channelID string, since int64) []postRecord {
	t.Helper()
	var list struct {
		Order []string              `json:"order"`
		Posts map[string]postRecord `json:"posts"`
	}
	path := fmt.Sprintf("/api/v4/channels/%s/posts?since=%d", channelID, since)
	status, raw := c.doJSON(t, http.MethodGet, path, nil, &list)
	require.Equal(t, http.StatusOK, status, "GET %s: %s", path, raw)
	posts := make([]postRecord, 0, len(list.Posts))
	for _, id := range list.Order {
		posts = append(posts, list.Posts[id])
	}
	return posts
}

// waitForPost polls a channel until a post by userID created after since contains text, and
// returns it. It fails the test after timeout.
func (c *adminClient) waitForPost(t testing.TB, channelID, userID string, since int64, text string, timeout time.Duration) postRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var seen []postRecord
	for time.Now().Before(deadline) {
		seen = c.channelPostsSince(t, channelID, since)
		for _, post := range seen {
			if post.UserID == userID && strings.Contains(post.Message, text) {
				return post
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.FailNow(t, "post not found", "no post by user %s containing %q in channel %s within %s; posts seen: %+v",
		userID, text, channelID, timeout, seen)
	return postRecord{}
}

// nowMillis returns the current time in milliseconds since the Unix epoch, as Mattermost stores it.
func nowMillis() int64 {
	return time.Now().UnixMilli()
}

// setPluginEnabled enables or disables the plugin through the plugin management API and waits
// until the server reports the new state and, when enabled, the plugin serves requests.
func (c *adminClient) setPluginEnabled(t testing.TB, enabled bool) {
	t.Helper()
	action := "disable"
	if enabled {
		action = "enable"
	}
	status, raw := c.doJSON(t, http.MethodPost, "/api/v4/plugins/"+pluginID+"/"+action, nil, nil)
	require.Equal(t, http.StatusOK, status, "%s plugin: %s", action, raw)
	c.waitForPluginState(t, enabled, 60*time.Second)
}

// waitForPluginState waits until the server lists the plugin as active (or not), and an active
// plugin returns 200 to POST /api/v1/ping.
func (c *adminClient) waitForPluginState(t testing.TB, active bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if slices.Contains(c.activePluginIDs(t), pluginID) == active && (!active || c.pluginAnswersPing(t)) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.FailNow(t, "plugin state", "the plugin did not become active=%t within %s", active, timeout)
}

func (c *adminClient) pluginAnswersPing(t testing.TB) bool {
	t.Helper()
	status, _ := c.doJSON(t, http.MethodPost, appsAPIPath+"/ping", nil, nil)
	return status == http.StatusOK
}

// waitForServer waits until GET /api/v4/system/ping returns 200.
func (c *adminClient) waitForServer(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		response, err := c.httpClient.Get(c.siteURL + "/api/v4/system/ping")
		if err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.FailNow(t, "server ping", "the server at %s did not answer ping within %s", c.siteURL, timeout)
}
