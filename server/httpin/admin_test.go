package httpin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

const validManifest = `{
	"app_id": "hello.world_1",
	"version": "0.1.0",
	"display_name": "Hello, world!",
	"homepage_url": "https://example.com/hello",
	"requested_permissions": ["act_as_bot", "remote_webhooks"],
	"http": {"root_url": "http://127.0.0.1:4000"},
	"on_install": {"path": "/installed", "expand": {"app": "all"}}
}`

func TestUpdateAppListing(t *testing.T) {
	tests := []struct {
		name      string
		userID    string
		body      string
		status    int
		errorPart string
	}{
		{name: "manifest as body", userID: adminID, body: validManifest, status: http.StatusOK},
		{
			name:   "original listing options ignored",
			userID: adminID,
			body:   strings.Replace(validManifest, `"version"`, `"replace": true, "add_deploys": ["http"], "version"`, 1),
			status: http.StatusOK,
		},
		{name: "wrapped manifest", userID: adminID, body: `{"manifest": ` + validManifest + `}`, status: http.StatusOK},
		{name: "anonymous", body: validManifest, status: http.StatusUnauthorized, errorPart: "authentication required"},
		{name: "not an admin", userID: userID, body: validManifest, status: http.StatusForbidden, errorPart: "only system admins can update app listings"},
		{name: "not JSON", userID: adminID, body: `{"app_id":`, status: http.StatusBadRequest, errorPart: "invalid JSON"},
		{
			name:      "invalid manifest",
			userID:    adminID,
			body:      strings.Replace(validManifest, `"display_name": "Hello, world!",`, "", 1),
			status:    http.StatusBadRequest,
			errorPart: "display_name is missing",
		},
		{
			name:      "unknown webhook auth type",
			userID:    adminID,
			body:      strings.Replace(validManifest, `"version"`, `"remote_webhook_auth_type": "jwt", "version"`, 1),
			status:    http.StatusBadRequest,
			errorPart: "remote_webhook_auth_type",
		},
		{
			name:      "too large",
			userID:    adminID,
			body:      `{"app_id": "` + strings.Repeat("x", apps.MaxManifestBytes) + `"}`,
			status:    http.StatusRequestEntityTooLarge,
			errorPart: "over the limit",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()

			w := env.serve(request{method: http.MethodPost, path: "/api/v1/update-app-listing", userID: tc.userID, body: body(tc.body)})

			require.Equal(t, tc.status, w.Code, "body: %s", w.Body.String())
			if tc.status != http.StatusOK {
				assert.Contains(t, errorOf(t, w), tc.errorPart)
				assert.Empty(t, env.store.listings)
				return
			}
			stored, ok := env.store.listings["hello.world_1"]
			require.True(t, ok)
			assert.Equal(t, "Hello, world!", stored.DisplayName)
			assert.Equal(t, "/installed", stored.OnInstall.Path)
			var answered apps.Manifest
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answered))
			assert.Equal(t, *stored, answered)
		})
	}
}

func TestUpdateAppListingStoreFailure(t *testing.T) {
	env := newTestEnv()
	env.store.err = errors.New("kv set failed: database password=hunter2 rejected")

	w := env.serve(request{method: http.MethodPost, path: "/api/v1/update-app-listing", userID: adminID, body: body(validManifest)})

	assert.Equal(t, http.StatusInternalServerError, w.Code)
	message := errorOf(t, w)
	assert.Equal(t, internalErrorMessage, message)
	assert.NotContains(t, w.Body.String(), "hunter2")
	logged := env.log.byLevel("error")
	require.Len(t, logged, 1)
	assert.Equal(t, "/api/v1/update-app-listing", logged[0].fields["path"])
	assert.Equal(t, adminID, logged[0].fields["user_id"])
	assert.Contains(t, logged[0].fields["error"], "hunter2")
}

func TestInstallApp(t *testing.T) {
	listed := &apps.Manifest{AppID: "hello", DisplayName: "Hello"}
	installed := &apps.App{Manifest: *listed, WebhookSecret: "webhook-secret", JWTSecret: "jwt-secret", BotUsername: "hello"}

	tests := []struct {
		name       string
		userID     string
		body       string
		installErr error
		status     int
		errorPart  string
	}{
		{name: "anonymous", body: `{"app_id":"hello"}`, status: http.StatusUnauthorized, errorPart: "authentication required"},
		{name: "not an admin", userID: userID, body: `{"app_id":"hello"}`, status: http.StatusForbidden, errorPart: "only system admins can install apps"},
		{name: "not JSON", userID: adminID, body: `app_id=hello`, status: http.StatusBadRequest, errorPart: "invalid JSON"},
		{name: "missing app id", userID: adminID, body: `{"deploy_type":"http"}`, status: http.StatusBadRequest, errorPart: "app_id is missing"},
		{name: "other deploy type", userID: adminID, body: `{"app_id":"hello","deploy_type":"aws_lambda"}`, status: http.StatusBadRequest, errorPart: `invalid deploy_type "aws_lambda"`},
		{name: "no listing", userID: adminID, body: `{"app_id":"other"}`, status: http.StatusNotFound, errorPart: "app other has no listing: POST its manifest to /api/v1/update-app-listing first"},
		{
			name:       "install conflict",
			userID:     adminID,
			body:       `{"app_id":"hello"}`,
			installErr: errors.Wrap(apps.ErrConflict, "username hello belongs to a person"),
			status:     http.StatusConflict,
			errorPart:  "failed to install app hello: username hello belongs to a person",
		},
		{
			name:       "install rejected by app",
			userID:     adminID,
			body:       `{"app_id":"hello"}`,
			installErr: errors.Wrap(apps.ErrInvalidInput, "app hello answered an error to on_install: no database"),
			status:     http.StatusBadRequest,
			errorPart:  "no database",
		},
		{
			name:       "install internal failure",
			userID:     adminID,
			body:       `{"app_id":"hello"}`,
			installErr: errors.New("failed to create bot: sql error"),
			status:     http.StatusInternalServerError,
			errorPart:  internalErrorMessage,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.store.listings["hello"] = listed
			env.installer.installApp = installed
			env.installer.installErr = tc.installErr

			w := env.serve(request{method: http.MethodPost, path: "/api/v1/install-app", userID: tc.userID, body: body(tc.body)})

			assert.Equal(t, tc.status, w.Code, "body: %s", w.Body.String())
			assert.Contains(t, errorOf(t, w), tc.errorPart)
			if tc.installErr == nil {
				assert.Empty(t, env.installer.installReqs, "install must not be called")
			}
		})
	}
}

func TestInstallAppSuccess(t *testing.T) {
	env := newTestEnv()
	listed := &apps.Manifest{AppID: "hello", DisplayName: "Hello"}
	env.store.listings["hello"] = listed
	env.installer.installApp = &apps.App{Manifest: *listed, DeployType: apps.DeployHTTP, WebhookSecret: "webhook-secret", JWTSecret: "jwt-secret"}
	env.installer.installText = "Hello is ready"

	w := env.serve(request{
		method: http.MethodPost,
		path:   "/api/v1/install-app",
		userID: adminID,
		body:   body(`{"app_id":"hello","deploy_type":"http","secret":"jwt-secret","channel_id":"channel-1","team_id":"team-1"}`),
	})

	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	require.Len(t, env.installer.installReqs, 1)
	req := env.installer.installReqs[0]
	assert.Same(t, listed, req.Manifest)
	assert.Equal(t, "jwt-secret", req.JWTSecret)
	assert.Equal(t, adminID, req.ActingUserID)
	assert.Equal(t, "channel-1", req.ChannelID)
	assert.Equal(t, "team-1", req.TeamID)

	var answered struct {
		App  apps.App `json:"app"`
		Text string   `json:"text"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answered))
	assert.Equal(t, apps.AppID("hello"), answered.App.AppID)
	assert.Equal(t, "webhook-secret", answered.App.WebhookSecret, "the installing admin gets the secret")
	assert.Equal(t, "Hello is ready", answered.Text)
}

func TestInstallAppWithoutDeployType(t *testing.T) {
	env := newTestEnv()
	env.store.listings["hello"] = &apps.Manifest{AppID: "hello"}
	env.installer.installApp = &apps.App{Manifest: apps.Manifest{AppID: "hello"}}

	w := env.serve(request{method: http.MethodPost, path: "/api/v1/install-app", userID: adminID, body: body(`{"app_id":"hello"}`)})

	assert.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	assert.Len(t, env.installer.installReqs, 1)
}

func TestLifecycleRoutes(t *testing.T) {
	for _, verb := range []string{"uninstall", "enable", "disable"} {
		path := "/api/v1/" + verb + "-app"
		t.Run(verb, func(t *testing.T) {
			tests := []struct {
				name      string
				userID    string
				body      string
				opErr     error
				status    int
				errorPart string
				called    bool
			}{
				{name: "success", userID: adminID, body: `{"app_id":"hello"}`, status: http.StatusOK, called: true},
				{name: "anonymous", body: `{"app_id":"hello"}`, status: http.StatusUnauthorized, errorPart: "authentication required"},
				{name: "not an admin", userID: userID, body: `{"app_id":"hello"}`, status: http.StatusForbidden, errorPart: "only system admins can " + verb + " apps"},
				{name: "missing app id", userID: adminID, body: `{}`, status: http.StatusBadRequest, errorPart: "app_id is missing"},
				{name: "not JSON", userID: adminID, body: `hello`, status: http.StatusBadRequest, errorPart: "invalid JSON"},
				{name: "body too large", userID: adminID, body: `{"app_id":"` + strings.Repeat("x", maxRequestBytes) + `"}`, status: http.StatusRequestEntityTooLarge, errorPart: "over the limit"},
				{
					name:      "not installed",
					userID:    adminID,
					body:      `{"app_id":"hello"}`,
					opErr:     errors.Wrapf(apps.ErrNotFound, "app %s", "hello"),
					status:    http.StatusNotFound,
					errorPart: "failed to " + verb + " app hello: app hello: not found",
					called:    true,
				},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					env := newTestEnv()
					env.installer.lifecycleText = "done by the app"
					env.installer.lifecycleErr = tc.opErr

					w := env.serve(request{method: http.MethodPost, path: path, userID: tc.userID, body: body(tc.body)})

					require.Equal(t, tc.status, w.Code, "body: %s", w.Body.String())
					if tc.called {
						assert.Equal(t, []string{verb + " " + adminID + " hello"}, env.installer.lifecycleCalls)
					} else {
						assert.Empty(t, env.installer.lifecycleCalls)
					}
					if tc.status == http.StatusOK {
						assert.JSONEq(t, `{"text":"done by the app"}`, w.Body.String())
						return
					}
					assert.Contains(t, errorOf(t, w), tc.errorPart)
				})
			}
		})
	}
}
