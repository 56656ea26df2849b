package main

import (
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
)

// settings returns the current settings. They are replaced as a whole on every change and never
// modified in place, so readers need no lock.
func (p *Plugin) settings() config.Settings {
	if current := p.currentSettings.Load(); current != nil {
		return *current
	}
	return config.Default()
}

// OnConfigurationChange reads the plugin's System Console settings and the server's SiteURL. It runs
// before OnActivate and after every configuration change. Invalid settings are rejected and the
// previous ones stay in force.
func (p *Plugin) OnConfigurationChange() error {
	var raw config.Raw
	if err := p.API.LoadPluginConfiguration(&raw); err != nil {
		return errors.Wrap(err, "failed to load the plugin configuration")
	}

	siteURL := ""
	if serverConfig := p.API.GetConfig(); serverConfig != nil && serverConfig.ServiceSettings.SiteURL != nil {
		siteURL = *serverConfig.ServiceSettings.SiteURL
	}

	settings, err := config.Parse(raw, siteURL)
	if err != nil {
		return err
	}
	p.currentSettings.Store(&settings)
	return nil
}
