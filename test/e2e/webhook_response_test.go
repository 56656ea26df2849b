//go:build e2e

package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebhookResponses checks what the sender gets back for each kind of App response.
func TestWebhookResponses(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "responses"))
	query := "secret=" + installed.Secret()

	t.Run("Slack url_verification", func(t *testing.T) {
		app.respond("/webhook/slack", respondOKWithData(`{"challenge":"c-123"}`))
		response := postWebhook(t, env, installed.ID, "/slack", query, `{"type":"url_verification","challenge":"c-123"}`)
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		assert.Less(t, response.Elapsed, 3*time.Second, "Slack waits 3 seconds")
		assert.True(t, strings.HasPrefix(response.Header.Get("Content-Type"), "application/json"), "Content-Type %q", response.Header.Get("Content-Type"))
		assert.JSONEq(t, `{"challenge":"c-123"}`, string(response.Body))
	})

	t.Run("data keeps every digit", func(t *testing.T) {
		app.respond("/webhook/digits", respondOKWithData(`{"id":616581622363398142,"f":1.10}`))
		response := postWebhook(t, env, installed.ID, "/digits", query, `{}`)
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		assert.Contains(t, string(response.Body), "616581622363398142")
		assert.Contains(t, string(response.Body), "1.10")
	})

	t.Run("text response", func(t *testing.T) {
		app.respond("/webhook/text", respondOKText)
		response := postWebhook(t, env, installed.ID, "/text", query, `{}`)
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		assert.True(t, strings.HasPrefix(response.Header.Get("Content-Type"), "text/plain"), "Content-Type %q", response.Header.Get("Content-Type"))
		assert.Equal(t, "OK", string(response.Body))
	})

	t.Run("ok without data or text", func(t *testing.T) {
		for name, body := range map[string]string{"type ok": `{"type":"ok"}`, "type empty": `{"type":""}`, "no type": `{}`} {
			t.Run(name, func(t *testing.T) {
				app.respond("/webhook/plain", appResponse{Body: body})
				response := postWebhook(t, env, installed.ID, "/plain", query, `{}`)
				assert.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
				assert.Empty(t, response.Body)
			})
		}
	})

	t.Run("App failures", func(t *testing.T) {
		tests := []struct {
			name     string
			response appResponse
		}{
			{"type error", respondAppError},
			{"HTTP 500", respondHTTP500},
			{"HTTP 404", respondHTTP404},
			{"not a call response", respondNotJSON},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				app.respond("/webhook/fail", test.response)
				before := app.count()
				response := postWebhook(t, env, installed.ID, "/fail", query, `{}`)
				assert.Equal(t, http.StatusBadGateway, response.Status, "body: %s", response.Body)
				assertShortFixedBody(t, response, installed)
				assertCallCount(t, app.recorded()[before:], 1, "calls for one webhook")
			})
		}
	})

	t.Run("same delivery twice", func(t *testing.T) {
		header := http.Header{"X-GitHub-Delivery": {"3f2c1e0a-e2e0-11ee-8c90-0242ac120002"}, "X-GitHub-Event": {"push"}}
		before := app.count()
		for attempt := 1; attempt <= 2; attempt++ {
			response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "/dup", query), header, strings.NewReader(`{"n":1}`))
			require.Equal(t, http.StatusOK, response.Status, "attempt %d: %s", attempt, response.Body)
		}
		calls := app.recorded()[before:]
		requireCallCount(t, calls, 2, "the App did not get both deliveries")
		for _, call := range calls {
			headers, _ := call.values()["headers"].(map[string]any)
			assert.Equal(t, "3f2c1e0a-e2e0-11ee-8c90-0242ac120002", headers["X-Github-Delivery"])
		}
	})
}

// TestWebhookAppDown checks that the sender gets 502 with a short fixed body when the App cannot
// be reached.
func TestWebhookAppDown(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "down"))
	app.stop()

	response := postWebhook(t, env, installed.ID, "", "secret="+installed.Secret(), `{"a":1}`)
	assert.Equal(t, http.StatusBadGateway, response.Status, "body: %s", response.Body)
	assertShortFixedBody(t, response, installed)
	assert.Less(t, response.Elapsed, 5*time.Second, "a refused connection should fail fast")
}

// TestWebhookTimeout sets the delivery timeout to 1 second and checks that the sender gets 504 at
// the timeout, not when the App responds. It changes a plugin setting, so it does not run in
// parallel.
func TestWebhookTimeout(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "timeout"))
	client.setPluginSetting(t, "WebhookDeliveryTimeoutSeconds", 1)
	app.respond("/webhook/slow", appResponse{Body: `{"type":"ok"}`, Delay: 6 * time.Second})

	response := postWebhook(t, env, installed.ID, "/slow", "secret="+installed.Secret(), `{}`)
	assert.Equal(t, http.StatusGatewayTimeout, response.Status, "body: %s", response.Body)
	assert.GreaterOrEqual(t, response.Elapsed, 900*time.Millisecond, "504 before the timeout")
	assert.LessOrEqual(t, response.Elapsed, 2500*time.Millisecond, "504 long after the timeout")
	assertShortFixedBody(t, response, installed)
	assertCallCount(t, app.callsTo("/webhook/slow"), 1, "calls to the slow path")

	t.Run("fast App within the timeout", func(t *testing.T) {
		response := postWebhook(t, env, installed.ID, "/fast", "secret="+installed.Secret(), `{}`)
		assert.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	})
}

// TestDeveloperModeSetting checks that the developer mode setting adds developer_mode to the
// context of webhook calls. It changes a plugin setting, so it does not run in parallel.
func TestDeveloperModeSetting(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "devmode"))
	query := "secret=" + installed.Secret()

	response := postWebhook(t, env, installed.ID, "", query, `{}`)
	require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	assert.NotContains(t, app.last(t).context(), "developer_mode", "developer_mode while the setting is off")

	client.setPluginSetting(t, "DeveloperMode", true)
	response = postWebhook(t, env, installed.ID, "", query, `{}`)
	require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	assert.Equal(t, true, app.last(t).context()["developer_mode"], "developer_mode while the setting is on")
}
