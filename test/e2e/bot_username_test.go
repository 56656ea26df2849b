//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fallbackBotSuffix is appended to an App's bot username when a person already uses the
// lower-case App id as a username.
const fallbackBotSuffix = "-app"

// mixedCaseAppID returns a unique App id that starts with "E2E-", so that its lower-case form,
// the bot's first-choice username, differs from the id itself.
func mixedCaseAppID(t testing.TB, name string) string {
	t.Helper()
	return "E2E" + strings.TrimPrefix(uniqueAppID(t, name), "e2e")
}

// createUserNamed creates a user who is not a system admin with exactly username, adds them to
// no team, and deactivates them when the test ends. It returns the user's id.
func (c *adminClient) createUserNamed(t testing.TB, username string) string {
	t.Helper()
	var user userRecord
	status, raw := c.doJSON(t, http.MethodPost, "/api/v4/users", map[string]string{
		"username": username,
		"email":    username + "@example.com",
		"password": "E2e-Passw0rd!" + username,
	}, &user)
	require.Equal(t, http.StatusCreated, status, "creating user %s: %s", username, raw)
	require.Equal(t, username, user.Username, "username of the new user")

	t.Cleanup(func() {
		status, raw := c.doJSON(t, http.MethodDelete, "/api/v4/users/"+user.ID, nil, nil)
		if status != http.StatusOK {
			t.Errorf("cleanup: deactivating user %s: status %d: %s", username, status, raw)
		}
	})
	return user.ID
}

// getUserByUsername returns the user who has username.
func (c *adminClient) getUserByUsername(t testing.TB, username string) userRecord {
	t.Helper()
	var user userRecord
	status, raw := c.doJSON(t, http.MethodGet, "/api/v4/users/username/"+username, nil, &user)
	require.Equal(t, http.StatusOK, status, "GET user @%s: %s", username, raw)
	return user
}

// TestBotUsernameClash checks the bot of an App whose lower-case id a person already uses as a
// username, and the install of an App whose first and fallback bot usernames both belong to people.
func TestBotUsernameClash(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	client := newAdminClient(env)

	t.Run("fallback username", func(t *testing.T) {
		app := newTestApp(t)
		appID := mixedCaseAppID(t, "clash")
		username := strings.ToLower(appID)
		personID := client.createUserNamed(t, username)

		installed := installTestApp(t, env, app, appID)

		record := installed.Record
		assert.Equal(t, username+fallbackBotSuffix, record.BotUsername, "bot_username")
		require.NotEmpty(t, record.BotUserID, "the App has no bot")
		assert.NotEqual(t, personID, record.BotUserID, "the App uses the person's account as its bot")
		bot := client.getUser(t, record.BotUserID)
		assert.True(t, bot.IsBot, "the App's user is not a bot")
		assert.Equal(t, username+fallbackBotSuffix, bot.Username, "username of the bot user")
		person := client.getUserByUsername(t, username)
		assert.Equal(t, personID, person.ID, "owner of the first-choice username")
		assert.False(t, person.IsBot, "the person's account became a bot")

		before := app.count()
		response := postWebhook(t, env, appID, "", "secret="+installed.Secret(), `{"clash":true}`)
		require.Equal(t, http.StatusOK, response.Status, "webhook: %s", response.Body)
		calls := app.recorded()[before:]
		requireCallCount(t, calls, 1, "webhook calls")
		assert.Equal(t, "/webhook", calls[0].Path)
		assert.Equal(t, map[string]any{"clash": true}, calls[0].values()["data"], "webhook data")
		assert.Equal(t, record.BotUserID, calls[0].context()["bot_user_id"], "bot_user_id of the webhook call")
	})

	t.Run("both usernames taken", func(t *testing.T) {
		app := newTestApp(t)
		// A mixed-case id keeps the App id in the message from matching the lower-case usernames.
		appID := mixedCaseAppID(t, "clash")
		username := strings.ToLower(appID)
		fallback := username + fallbackBotSuffix
		client.createUserNamed(t, username)
		client.createUserNamed(t, fallback)

		client.updateListing(t, app.manifest(appID))
		status, raw := client.installListed(t, env, appID)
		t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })

		assert.Equal(t, http.StatusConflict, status, "install-app: %s", raw)
		var body struct {
			Error string `json:"error"`
		}
		require.NoError(t, json.Unmarshal(raw, &body), "install-app error body: %s", raw)
		assert.Contains(t, body.Error, fallback, "the message does not name the fallback username")
		assert.Contains(t, strings.ReplaceAll(body.Error, fallback, ""), username,
			"the message does not name the first-choice username: %s", body.Error)

		status, raw = client.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+appID, nil, nil)
		assert.Equal(t, http.StatusNotFound, status, "the App got installed: %s", raw)
		assertCallCount(t, app.callsTo(installPath), 0, "on_install calls of an App that failed to install")
		response := postWebhook(t, env, appID, "", "", `{}`)
		assert.Equal(t, http.StatusNotFound, response.Status, "webhook to the App that failed to install: %s", response.Body)
		for _, name := range []string{username, fallback} {
			assert.False(t, client.getUserByUsername(t, name).IsBot, "the account @%s became a bot", name)
		}
	})
}
