package httpin

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestGetApp(t *testing.T) {
	tests := []struct {
		name          string
		userID        string
		appID         string
		status        int
		webhookSecret string
		jwtSecret     string
	}{
		{name: "admin gets secrets", userID: adminID, appID: "my.app_1", status: http.StatusOK, webhookSecret: "webhook-secret", jwtSecret: "jwt-secret"},
		{name: "user gets no secrets", userID: userID, appID: "my.app_1", status: http.StatusOK},
		{name: "anonymous", appID: "my.app_1", status: http.StatusUnauthorized},
		{name: "not installed", userID: userID, appID: "other", status: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.store.apps["my.app_1"] = &apps.App{
				Manifest:      apps.Manifest{AppID: "my.app_1", DisplayName: "My App"},
				BotUsername:   "my.app_1",
				WebhookSecret: "webhook-secret",
				JWTSecret:     "jwt-secret",
			}

			w := env.serve(request{path: "/api/v1/apps/" + tc.appID, userID: tc.userID})

			require.Equal(t, tc.status, w.Code, "body: %s", w.Body.String())
			if tc.status != http.StatusOK {
				assert.NotEmpty(t, errorOf(t, w))
				assert.NotContains(t, w.Body.String(), "secret\"")
				return
			}
			var app apps.App
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &app))
			assert.Equal(t, apps.AppID("my.app_1"), app.AppID)
			assert.Equal(t, "my.app_1", app.BotUsername)
			assert.Equal(t, tc.webhookSecret, app.WebhookSecret)
			assert.Equal(t, tc.jwtSecret, app.JWTSecret)
		})
	}
}

func TestGetAppKeepsStoredCopy(t *testing.T) {
	env := newTestEnv()
	stored := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, WebhookSecret: "webhook-secret"}
	env.store.apps["hello"] = stored

	w := env.serve(request{path: "/api/v1/apps/hello", userID: userID})

	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "webhook-secret", stored.WebhookSecret, "sanitizing must not change the stored App")
}

func TestGetBindings(t *testing.T) {
	tests := []struct {
		name   string
		userID string
		status int
	}{
		{name: "user", userID: userID, status: http.StatusOK},
		{name: "admin", userID: adminID, status: http.StatusOK},
		{name: "anonymous", status: http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()

			w := env.serve(request{path: "/api/v1/bindings?channel_id=c&location=/command", userID: tc.userID})

			require.Equal(t, tc.status, w.Code)
			if tc.status == http.StatusOK {
				assert.Equal(t, "[]", w.Body.String())
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				return
			}
			assert.Contains(t, errorOf(t, w), "authentication required")
		})
	}
}
