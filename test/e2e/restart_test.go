//go:build e2e

package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file stop the plugin or the whole server, so none of them runs in parallel.
// Parallel tests wait until every sequential test has finished, so they never see the outage.

// assertDelivered sends a webhook with the App's secret and checks that the App got it.
func assertDelivered(t *testing.T, env testEnv, installed installedApp, secret string) {
	t.Helper()
	before := installed.App.count()
	response := postWebhook(t, env, installed.ID, "/after", "secret="+secret, `{"after":"restart"}`)
	assert.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	calls := installed.App.recorded()[before:]
	if assertCallCount(t, calls, 1, "deliveries") {
		assert.Equal(t, "/webhook/after", calls[0].Path)
	}
}

// TestPluginDisableEnableKeepsApps disables and enables the plugin: the App and its webhook
// secret must survive.
func TestPluginDisableEnableKeepsApps(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "plugin"))
	secret := installed.Secret()
	require.NotEmpty(t, secret)

	client.setPluginEnabled(t, false)
	// Enable the plugin again even when a check below fails, so that later tests can run.
	t.Cleanup(func() { client.setPluginEnabled(t, true) })
	response := postWebhook(t, env, installed.ID, "", "secret="+secret, `{}`)
	assert.Equal(t, http.StatusNotFound, response.Status, "webhook while the plugin is disabled: %s", response.Body)

	client.setPluginEnabled(t, true)
	assert.Equal(t, secret, client.getApp(t, installed.ID).WebhookSecret, "the webhook secret changed")
	assertDelivered(t, env, installed, secret)
}

// TestServerRestartKeepsApps restarts Mattermost and its database: the App and its webhook secret
// must survive, and the admin's token stays valid.
func TestServerRestartKeepsApps(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "restart"))
	secret := installed.Secret()
	require.NotEmpty(t, secret)

	start := time.Now()
	env.restartServer(t)
	client.waitForServer(t, 60*time.Second)
	client.waitForPluginState(t, true, 60*time.Second)
	t.Logf("server restarted and plugin active after %s", time.Since(start).Round(100*time.Millisecond))

	assert.Equal(t, secret, client.getApp(t, installed.ID).WebhookSecret, "the webhook secret changed")
	assertDelivered(t, env, installed, secret)
}
