package main

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/command"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/httpin"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/webhook"
)

// clusterEventAppChanged notifies the other nodes of a Mattermost cluster that an App record changed,
// so they drop their cached copy. The event data is the App id.
const clusterEventAppChanged = "app_changed"

// Plugin wires the packages together and implements the Mattermost plugin hooks.
type Plugin struct {
	plugin.MattermostPlugin

	currentSettings atomic.Pointer[config.Settings]

	client    *pluginapi.Client
	store     *store.Store
	installer *install.Service
	commands  *command.Handler
	router    http.Handler
}

// OnActivate builds the services, registers the /apps command and starts serving.
func (p *Plugin) OnActivate() error {
	if p.settings().SiteURL == "" {
		return errors.New("ServiceSettings.SiteURL is not set: set System Console > Environment > Web Server > Site URL, then enable the plugin again")
	}

	p.client = pluginapi.NewClient(p.API, p.Driver)
	logger := &p.client.Log

	p.store = store.New(&p.client.KV)
	p.store.OnAppChanged = p.publishAppChanged

	caller := upstream.New(logger)
	p.installer = install.New(p.client, p.API, p.store, caller, p.settings, logger)
	webhooks := webhook.New(p.store, p.installer, caller, p.settings, logger)
	p.commands = command.New(p.installer, p.store, caller, p.settings, logger)
	p.router = httpin.NewRouter(httpin.Deps{
		Installer: p.installer,
		Store:     p.store,
		Webhooks:  webhooks,
		Log:       logger,
		Version:   manifest.Version,
	})

	if err := p.API.RegisterCommand(p.commands.Command()); err != nil {
		return errors.Wrap(err, "failed to register the /apps command")
	}
	logger.Info("Apps plugin activated", "version", manifest.Version)
	return nil
}

// ServeHTTP serves webhooks and the REST API under /plugins/com.mattermost.apps.
func (p *Plugin) ServeHTTP(c *plugin.Context, w http.ResponseWriter, r *http.Request) {
	if c != nil && c.SessionId != "" {
		r = r.WithContext(httpin.WithSessionID(r.Context(), c.SessionId))
	}
	p.router.ServeHTTP(w, r)
}

// ExecuteCommand runs the /apps slash command.
func (p *Plugin) ExecuteCommand(_ *plugin.Context, args *model.CommandArgs) (*model.CommandResponse, *model.AppError) {
	return p.commands.Execute(context.Background(), args), nil
}

// OnPluginClusterEvent drops the cached copy of an App, and of its tokens, that another node
// changed: a disable or uninstall there revoked the tokens this node may still hold.
func (p *Plugin) OnPluginClusterEvent(_ *plugin.Context, event model.PluginClusterEvent) {
	if event.Id != clusterEventAppChanged || p.store == nil {
		return
	}
	id := apps.AppID(event.Data)
	p.store.InvalidateApp(id)
	p.installer.InvalidateTokens(id)
}

func (p *Plugin) publishAppChanged(id apps.AppID) {
	event := model.PluginClusterEvent{Id: clusterEventAppChanged, Data: []byte(id)}
	options := model.PluginClusterEventSendOptions{SendType: model.PluginClusterEventSendTypeReliable}
	if err := p.API.PublishPluginClusterEvent(event, options); err != nil {
		p.client.Log.Warn("Failed to tell other cluster nodes that an app changed", "app_id", id, "error", err.Error())
	}
}
