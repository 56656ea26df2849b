//go:build e2e

package e2e

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretPattern is a URL-safe secret of at least 128 bits: 22 or more base64url characters.
var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22,}$`)

// kvPath returns the App KV API path of a key, relative to the site URL.
func kvPath(prefix, key string) string {
	return appsAPIPath + "/kv/" + prefix + "/" + key
}

// kvRequest sends a request to the App KV API with a bearer token ("" for none) and returns the
// status and body.
func kvRequest(t testing.TB, env testEnv, method, path, token string, body []byte) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	request, err := http.NewRequest(method, env.SiteURL+path, reader)
	require.NoError(t, err)
	if token != "" {
		request.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := (&http.Client{Timeout: 30 * time.Second}).Do(request)
	require.NoError(t, err, "%s %s", method, path)
	defer response.Body.Close()
	raw, err := io.ReadAll(response.Body)
	require.NoError(t, err)
	return response.StatusCode, raw
}

// botToken returns context.bot_access_token of a recorded call.
func botToken(t testing.TB, call recordedCall) string {
	t.Helper()
	context := call.context()
	require.NotNil(t, context, "the call has no context: %s", describeCall(call))
	return requireJSONString(t, context, "bot_access_token")
}

// TestAppLifecycle installs one App over REST and takes it through reinstall, disable, enable,
// uninstall and a second install, checking what the App, its bot, its token and its webhook
// secret do at each step. The steps build on each other.
func TestAppLifecycle(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	appID := uniqueAppID(t, "life")
	options := []manifestOption{withField("on_uninstall", "/uninstall")}

	client.updateListing(t, app.manifest(appID, options...))
	status, raw := client.installListed(t, env, appID)
	require.Equal(t, http.StatusOK, status, "install-app: %s", raw)
	t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })
	record := client.getApp(t, appID)
	secret := record.WebhookSecret
	webhook := func(t *testing.T, rawQuery string) senderResponse {
		return postWebhook(t, env, appID, "", rawQuery, `{"step":true}`)
	}

	var token string // the bot's App token from the latest call
	t.Run("install", func(t *testing.T) {
		assert.Equal(t, appID, record.AppID)
		assert.Equal(t, "http", record.DeployType)
		assert.False(t, record.Disabled)
		assert.ElementsMatch(t, []string{permissionActAsBot, permissionRemoteWebhooks}, record.GrantedPermissions)
		assert.Regexp(t, secretPattern, secret, "webhook secret format")
		require.NotEmpty(t, record.BotUserID, "no bot user")
		bot := client.getUser(t, record.BotUserID)
		assert.True(t, bot.IsBot, "the App's user is not a bot")
		assert.Equal(t, appID, bot.Username, "bot username")
		assert.Zero(t, bot.DeleteAt, "the bot is deactivated")

		calls := app.callsTo(installPath)
		requireCallCount(t, calls, 1, "on_install calls")
		context := calls[0].context()
		assert.Equal(t, env.AdminUserID, context["acting_user_id"])
		assert.Equal(t, env.ChannelID, context["channel_id"])
		assert.Equal(t, env.TeamID, context["team_id"])
		assert.Equal(t, record.BotUserID, context["bot_user_id"])
		expanded, ok := context["app"].(map[string]any)
		require.True(t, ok, "on_install has no context.app: %s", calls[0].Body)
		assert.Equal(t, secret, expanded["webhook_secret"], "secret in on_install")
		assert.Equal(t, appID, expanded["app_id"])
		assert.Equal(t, "1.0.0", expanded["version"])
		assert.Equal(t, "http", expanded["deploy_type"], "deploy_type at level all")
		token = botToken(t, calls[0])
		requireCallCount(t, app.callsTo("/ping"), 1, "pings at install")
	})

	t.Run("non-admin sees no secret", func(t *testing.T) {
		_, userToken := client.createUser(t, env, "viewer")
		var sanitized map[string]any
		status, raw := client.withToken(userToken).doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+appID, nil, &sanitized)
		require.Equal(t, http.StatusOK, status, "GET apps as a user: %s", raw)
		assert.Empty(t, sanitized["webhook_secret"], "a user who is not an admin sees the webhook secret")
		assert.NotContains(t, string(raw), secret)
	})

	t.Run("bot token creates a post", func(t *testing.T) {
		client.addToChannel(t, env.TeamID, env.ChannelID, record.BotUserID)
		var post postRecord
		message := "e2e bot post " + appID
		status, raw := client.withToken(token).doJSON(t, http.MethodPost, "/api/v4/posts",
			map[string]string{"channel_id": env.ChannelID, "message": message}, &post)
		require.Equal(t, http.StatusCreated, status, "POST /api/v4/posts with the bot token: %s", raw)
		assert.Equal(t, record.BotUserID, post.UserID, "author of the post")
		assert.Equal(t, message, post.Message)
	})

	t.Run("bot token uses the KV store", func(t *testing.T) {
		path := kvPath("e2e", "config")
		status, raw := kvRequest(t, env, http.MethodPut, path, token, []byte(`{"channel":"c1","n":616581622363398142}`))
		require.Equal(t, http.StatusOK, status, "KV PUT: %s", raw)
		status, raw = kvRequest(t, env, http.MethodGet, path, token, nil)
		require.Equal(t, http.StatusOK, status, "KV GET: %s", raw)
		assert.JSONEq(t, `{"channel":"c1","n":616581622363398142}`, string(raw))

		status, raw = kvRequest(t, env, http.MethodGet, kvPath("other", "config"), token, nil)
		require.Equal(t, http.StatusOK, status, "KV GET other prefix: %s", raw)
		assert.JSONEq(t, `{}`, string(raw), "prefixes are not separate")

		status, raw = kvRequest(t, env, http.MethodPut, path, token, []byte(`not json`))
		assert.Equal(t, http.StatusBadRequest, status, "KV PUT of a value that is not JSON: %s", raw)

		status, raw = kvRequest(t, env, http.MethodGet, path, env.AdminToken, nil)
		assert.Equal(t, http.StatusUnauthorized, status, "KV GET with the admin's token: %s", raw)
		status, raw = kvRequest(t, env, http.MethodGet, path, "", nil)
		assert.Equal(t, http.StatusUnauthorized, status, "KV GET without a token: %s", raw)

		status, raw = kvRequest(t, env, http.MethodPut, kvPath("e2e", "temp"), token, []byte(`"x"`))
		require.Equal(t, http.StatusOK, status, "KV PUT temp: %s", raw)
		status, raw = kvRequest(t, env, http.MethodDelete, kvPath("e2e", "temp"), token, nil)
		require.Equal(t, http.StatusOK, status, "KV DELETE: %s", raw)
		status, raw = kvRequest(t, env, http.MethodGet, kvPath("e2e", "temp"), token, nil)
		require.Equal(t, http.StatusOK, status, "KV GET after DELETE: %s", raw)
		assert.JSONEq(t, `{}`, string(raw), "value after DELETE")
	})

	t.Run("reinstall keeps the secret", func(t *testing.T) {
		client.updateListing(t, app.manifest(appID, append(options, withField("version", "1.1.0"))...))
		status, raw := client.installListed(t, env, appID)
		require.Equal(t, http.StatusOK, status, "install-app again: %s", raw)

		again := client.getApp(t, appID)
		assert.Equal(t, "1.1.0", again.Version)
		assert.Equal(t, secret, again.WebhookSecret, "the reinstall changed the webhook secret")
		assert.Equal(t, record.BotUserID, again.BotUserID, "the reinstall changed the bot")
		calls := app.callsTo(installPath)
		requireCallCount(t, calls, 2, "on_install calls")
		expanded, _ := calls[1].context()["app"].(map[string]any)
		assert.Equal(t, secret, expanded["webhook_secret"], "secret in the second on_install")

		response := webhook(t, "secret="+secret)
		assert.Equal(t, http.StatusOK, response.Status, "webhook with the old secret: %s", response.Body)
	})

	t.Run("disable refuses webhooks", func(t *testing.T) {
		client.requireAppOperation(t, "disable-app", appID)
		assert.True(t, client.getApp(t, appID).Disabled)
		before := app.count()

		response := webhook(t, "secret="+secret)
		assert.Equal(t, http.StatusNotFound, response.Status, "webhook to a disabled App: %s", response.Body)
		assertNotCalled(t, app, before, "a webhook to a disabled App")
		status, raw := kvRequest(t, env, http.MethodGet, kvPath("e2e", "config"), token, nil)
		assert.Equal(t, http.StatusUnauthorized, status, "KV GET with a token of a disabled App: %s", raw)
	})

	t.Run("enable restores webhooks", func(t *testing.T) {
		client.requireAppOperation(t, "enable-app", appID)
		enabled := client.getApp(t, appID)
		assert.False(t, enabled.Disabled)
		assert.Equal(t, secret, enabled.WebhookSecret, "enable changed the webhook secret")

		response := webhook(t, "secret="+secret)
		require.Equal(t, http.StatusOK, response.Status, "webhook after enable: %s", response.Body)
		token = botToken(t, app.last(t))
		status, raw := kvRequest(t, env, http.MethodGet, kvPath("e2e", "config"), token, nil)
		require.Equal(t, http.StatusOK, status, "KV GET with the new token: %s", raw)
		assert.JSONEq(t, `{"channel":"c1","n":616581622363398142}`, string(raw), "KV data after disable and enable")
	})

	t.Run("uninstall", func(t *testing.T) {
		client.requireAppOperation(t, "uninstall-app", appID)

		uninstallCalls := app.callsTo("/uninstall")
		requireCallCount(t, uninstallCalls, 1, "on_uninstall calls")
		assert.Equal(t, env.AdminUserID, uninstallCalls[0].context()["acting_user_id"])

		response := webhook(t, "secret="+secret)
		assert.Equal(t, http.StatusNotFound, response.Status, "webhook after uninstall: %s", response.Body)
		status, raw := client.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+appID, nil, nil)
		assert.Equal(t, http.StatusNotFound, status, "GET apps after uninstall: %s", raw)
		assert.NotZero(t, client.getUser(t, record.BotUserID).DeleteAt, "the bot is still active")
		status, raw = kvRequest(t, env, http.MethodGet, kvPath("e2e", "config"), token, nil)
		assert.Equal(t, http.StatusUnauthorized, status, "KV GET with the token of an uninstalled App: %s", raw)
	})

	t.Run("install after uninstall", func(t *testing.T) {
		status, raw := client.installListed(t, env, appID)
		require.Equal(t, http.StatusOK, status, "install-app after uninstall: %s", raw)
		fresh := client.getApp(t, appID)
		assert.Regexp(t, secretPattern, fresh.WebhookSecret)
		assert.NotEqual(t, secret, fresh.WebhookSecret, "uninstall kept the old webhook secret")
		assert.Equal(t, record.BotUserID, fresh.BotUserID, "the bot was not reused")
		assert.Zero(t, client.getUser(t, record.BotUserID).DeleteAt, "the bot was not reactivated")

		old := webhook(t, "secret="+secret)
		assert.Equal(t, http.StatusUnauthorized, old.Status, "webhook with the secret of the uninstalled App: %s", old.Body)
		calls := app.callsTo(installPath)
		freshToken := botToken(t, calls[len(calls)-1])
		status, raw = kvRequest(t, env, http.MethodGet, kvPath("e2e", "config"), freshToken, nil)
		require.Equal(t, http.StatusOK, status, "KV GET after reinstall: %s", raw)
		assert.JSONEq(t, `{}`, string(raw), "KV data survived uninstall")
	})
}

// TestBindingsEmpty checks that GET /api/v1/bindings, which Mattermost clients with the Apps
// feature flag poll, returns an empty list to a logged-in user.
func TestBindingsEmpty(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	admin := newAdminClient(env)
	_, userToken := admin.createUser(t, env, "bindings")

	status, raw := admin.withToken(userToken).doJSON(t, http.MethodGet, appsAPIPath+"/bindings", nil, nil)
	require.Equal(t, http.StatusOK, status, "GET bindings: %s", raw)
	assert.JSONEq(t, `[]`, string(raw))
}

// TestInstallRequiresSystemAdmin checks that a user who is not a system admin can neither
// install nor manage an App, over REST or with the slash command, and that the plugin does not
// contact the App for them.
func TestInstallRequiresSystemAdmin(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	admin := newAdminClient(env)
	_, userToken := admin.createUser(t, env, "nonadmin")
	user := admin.withToken(userToken)

	app := newTestApp(t)
	listedID := uniqueAppID(t, "listed")
	admin.updateListing(t, app.manifest(listedID))
	installed := installTestApp(t, env, app, uniqueAppID(t, "managed"))
	before := app.count()

	t.Run("REST", func(t *testing.T) {
		status, raw := user.doJSON(t, http.MethodPost, appsAPIPath+"/update-app-listing", app.manifest(uniqueAppID(t, "userlist")), nil)
		assert.Equal(t, http.StatusForbidden, status, "update-app-listing: %s", raw)
		status, raw = user.installListed(t, env, listedID)
		assert.Equal(t, http.StatusForbidden, status, "install-app: %s", raw)
		for _, operation := range []string{"disable-app", "enable-app", "uninstall-app"} {
			status, raw := user.appOperation(t, operation, installed.ID)
			assert.Equal(t, http.StatusForbidden, status, "%s: %s", operation, raw)
		}
		status, raw = admin.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+listedID, nil, nil)
		assert.Equal(t, http.StatusNotFound, status, "the listed App got installed: %s", raw)
		assert.False(t, admin.getApp(t, installed.ID).Disabled, "a user who is not an admin disabled the App")
	})

	t.Run("slash command", func(t *testing.T) {
		text := user.requireCommand(t, env.ChannelID, "/apps install http "+app.URL()+"/manifest.json")
		assert.Contains(t, text, "system admin", "refusal of /apps install")
		assert.NotContains(t, text, "/apps install confirm", "the user was asked to confirm")
		text = user.requireCommand(t, env.ChannelID, "/apps install confirm "+listedID)
		assert.Contains(t, text, "system admin", "refusal of /apps install confirm")
		text = user.requireCommand(t, env.ChannelID, "/apps uninstall "+installed.ID)
		assert.Contains(t, text, "system admin", "refusal of /apps uninstall")
		text = user.requireCommand(t, env.ChannelID, "/apps info "+installed.ID)
		assert.NotContains(t, text, installed.Secret(), "/apps info shows the secret to a user who is not an admin")

		status, raw := admin.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+listedID, nil, nil)
		assert.Equal(t, http.StatusNotFound, status, "the listed App got installed: %s", raw)
		assert.Equal(t, installed.Secret(), admin.getApp(t, installed.ID).WebhookSecret, "the managed App's secret changed")
	})

	assertNotCalled(t, app, before, "requests of a user who is not an admin")
}

// TestInstallFailures checks installs that must fail and leave nothing behind.
func TestInstallFailures(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	client := newAdminClient(env)

	t.Run("on_install error rolls back", func(t *testing.T) {
		app := newTestApp(t)
		app.respond(installPath, appResponse{Body: `{"type":"error","text":"e2e-install-refused"}`})
		appID := uniqueAppID(t, "refuse")
		client.updateListing(t, app.manifest(appID))
		status, raw := client.installListed(t, env, appID)
		t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })

		assert.NotEqual(t, http.StatusOK, status, "install-app succeeded although on_install failed")
		assert.Contains(t, string(raw), "e2e-install-refused", "the admin does not see the App's error text")
		status, raw = client.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+appID, nil, nil)
		assert.Equal(t, http.StatusNotFound, status, "the App stayed installed: %s", raw)
		response := postWebhook(t, env, appID, "", "", `{}`)
		assert.Equal(t, http.StatusNotFound, response.Status, "webhook to the rolled back App")
	})

	t.Run("App down at install", func(t *testing.T) {
		app := newTestApp(t)
		appID := uniqueAppID(t, "noping")
		client.updateListing(t, app.manifest(appID))
		app.stop()
		status, raw := client.installListed(t, env, appID)
		t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })

		assert.NotEqual(t, http.StatusOK, status, "install-app succeeded although the App is down")
		assert.Contains(t, string(raw), app.URL(), "the message does not name the App's URL")
		status, raw = client.doJSON(t, http.MethodGet, appsAPIPath+"/apps/"+appID, nil, nil)
		assert.Equal(t, http.StatusNotFound, status, "the App got installed: %s", raw)
	})

	t.Run("unknown auth type", func(t *testing.T) {
		app := newTestApp(t)
		appID := uniqueAppID(t, "jwtauth")
		status, raw := client.doJSON(t, http.MethodPost, appsAPIPath+"/update-app-listing",
			app.manifest(appID, withField("remote_webhook_auth_type", "jwt")), nil)
		if status == http.StatusOK {
			status, raw = client.installListed(t, env, appID)
			t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })
		}
		assert.Equal(t, http.StatusBadRequest, status, "an App with remote_webhook_auth_type jwt: %s", raw)
		assert.Contains(t, string(raw), "remote_webhook_auth_type")
	})
}

// TestWebhookJWT checks the JWT that an App with http.use_jwt gets with a webhook call.
func TestWebhookJWT(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	appID := uniqueAppID(t, "jwt")
	const jwtSecret = "e2e-jwt-secret-0123456789abcdef"

	manifest := app.manifest(appID)
	manifest["http"] = map[string]any{"root_url": app.URL(), "use_jwt": true}
	client.updateListing(t, manifest)
	request := map[string]any{"app_id": appID, "deploy_type": "http", "secret": jwtSecret, "channel_id": env.ChannelID, "team_id": env.TeamID}
	status, raw := client.doJSON(t, http.MethodPost, appsAPIPath+"/install-app", request, nil)
	require.Equal(t, http.StatusOK, status, "install-app: %s", raw)
	t.Cleanup(func() { uninstallIfInstalled(t, client, appID) })
	record := client.getApp(t, appID)

	response := postWebhook(t, env, appID, "", "secret="+record.WebhookSecret, `{}`)
	require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	call := app.last(t)

	header := call.Header.Get("Mattermost-App-Authorization")
	require.Regexp(t, `^Bearer .+`, header, "Mattermost-App-Authorization")
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(header[len("Bearer "):], claims, func(*jwt.Token) (any, error) {
		return []byte(jwtSecret), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	require.NoError(t, err, "the JWT does not verify with the App's secret")
	expires, err := claims.GetExpirationTime()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), expires.Time, 2*time.Minute, "exp claim")
	assert.Equal(t, record.BotUserID, claims["acting_user_id"], "acting_user_id of a webhook call")
}
