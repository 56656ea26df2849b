package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
)

// newPluginWithConfig returns a plugin whose API serves the given plugin settings and SiteURL.
func newPluginWithConfig(t *testing.T, raw config.Raw, siteURL string) *Plugin {
	api := &plugintest.API{}
	t.Cleanup(func() { api.AssertExpectations(t) })

	api.On("LoadPluginConfiguration", mock.AnythingOfType("*config.Raw")).Run(func(args mock.Arguments) {
		*args.Get(0).(*config.Raw) = raw
	}).Return(nil)
	serverConfig := &model.Config{}
	serverConfig.SetDefaults()
	serverConfig.ServiceSettings.SiteURL = model.NewPointer(siteURL)
	api.On("GetConfig").Return(serverConfig)

	p := &Plugin{}
	p.SetAPI(api)
	return p
}

func TestConfigurationChangeAppliesSettings(t *testing.T) {
	p := newPluginWithConfig(t, config.Raw{MaxWebhookBodyMB: "2", WebhookDeliveryTimeoutSeconds: "3", DeveloperMode: true}, "http://chat.example.com/")

	require.NoError(t, p.OnConfigurationChange())

	settings := p.settings()
	assert.Equal(t, int64(2<<20), settings.MaxBodyBytes)
	assert.Equal(t, 3*time.Second, settings.DeliveryTimeout)
	assert.True(t, settings.DeveloperMode)
	assert.Equal(t, "http://chat.example.com", settings.SiteURL)
}

func TestConfigurationChangeKeepsPreviousOnError(t *testing.T) {
	p := newPluginWithConfig(t, config.Raw{MaxWebhookBodyMB: "4"}, "http://chat.example.com")
	require.NoError(t, p.OnConfigurationChange())

	invalid := newPluginWithConfig(t, config.Raw{MaxWebhookBodyMB: "0"}, "http://chat.example.com")
	p.SetAPI(invalid.API)
	err := p.OnConfigurationChange()

	require.Error(t, err)
	assert.Contains(t, err.Error(), "Maximum webhook body size")
	assert.Equal(t, int64(4<<20), p.settings().MaxBodyBytes)
}

func TestActivateRequiresSiteURL(t *testing.T) {
	p := newPluginWithConfig(t, config.Raw{}, "")

	configErr := p.OnConfigurationChange()
	activateErr := p.OnActivate()

	require.Error(t, configErr)
	require.Error(t, activateErr)
	assert.Contains(t, activateErr.Error(), "SiteURL is not set")
}
