// Command webhook-app is a sample Mattermost App. It receives third-party webhooks through the Apps
// plugin (com.mattermost.apps) and posts a short summary of each one, as its bot, into the channel
// it was installed from. It uses only the Go standard library, so it can be copied as a starting
// point.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"
)

const (
	appID      = "webhook-app"
	appVersion = "0.1.0"

	// maxCallBytes caps the CallRequest the App reads. The plugin accepts webhook bodies of up to
	// 32 MiB by default, and a call carries the body twice (as data and as base64 rawBody).
	maxCallBytes = 128 << 20

	// mattermostTimeout bounds each request to the Mattermost REST API. A webhook call makes at most
	// two of them and should finish within the plugin's delivery timeout, 10 seconds by default.
	mattermostTimeout = 4 * time.Second

	installedText = "Webhook App is installed. Webhooks will be posted in this channel."
)

func main() {
	addr, rootURL, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2) // The flag package has already printed the error and the usage.
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	server := &http.Server{
		Addr:              addr,
		Handler:           newApp(rootURL, &http.Client{Timeout: mattermostTimeout}, logger).routes(),
		ReadHeaderTimeout: 10 * time.Second,
	}

	logger.Info("webhook app listening", "addr", addr, "root_url", rootURL)
	if err := server.ListenAndServe(); err != nil {
		logger.Error("webhook app stopped", "error", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (addr, rootURL string, err error) {
	flags := flag.NewFlagSet(appID, flag.ContinueOnError)
	flags.StringVar(&addr, "addr", "127.0.0.1:8081", "host:port the App listens on")
	flags.StringVar(&rootURL, "root-url", "", "URL at which Mattermost reaches the App, written to the manifest's http.root_url (default http://<addr>)")
	if err := flags.Parse(args); err != nil {
		return "", "", err
	}
	if rootURL == "" {
		rootURL = "http://" + addr
	}
	return addr, rootURL, nil
}

// app serves the manifest and the calls that the Apps plugin sends.
type app struct {
	rootURL string
	client  *http.Client
	log     *slog.Logger

	mu sync.Mutex
	// configs caches each Mattermost server's config by site URL, because one App process can be
	// installed on several servers.
	configs map[string]config
}

// config is the App's setup on one Mattermost server, stored in the App KV store at install.
type config struct {
	WebhookSecret string `json:"webhook_secret"`
	ChannelID     string `json:"channel_id"`
}

func newApp(rootURL string, client *http.Client, logger *slog.Logger) *app {
	return &app{rootURL: rootURL, client: client, log: logger, configs: map[string]config{}}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /manifest.json", a.handleManifest)
	mux.HandleFunc("POST /ping", handlePing)
	mux.HandleFunc("POST /install", a.handleInstall)
	// The plugin calls /webhook, or /webhook/<sub_path> when the sender's URL has a sub path.
	mux.HandleFunc("POST /webhook", a.handleWebhook)
	mux.HandleFunc("POST /webhook/", a.handleWebhook)
	return mux
}

func (a *app) handleManifest(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"app_id":       appID,
		"version":      appVersion,
		"display_name": "Webhook App",
		"description":  "Posts a summary of every webhook it receives into the channel it was installed from.",
		"homepage_url": "https://github.com/mattermost/mattermost-plugin-apps-webhooks/tree/main/examples/webhook-app",
		"requested_permissions": []string{
			"act_as_bot",
			"act_as_user",
			"remote_webhooks",
		},
		"remote_webhook_auth_type": "secret",
		"http":                     map[string]string{"root_url": a.rootURL},
		// At install the App needs the webhook secret (part of "app") and the installing admin's
		// token, so that it can add its bot to the channel.
		"on_install": map[string]any{
			"path": "/install",
			"expand": map[string]string{
				"app":                      "all",
				"acting_user_access_token": "all",
			},
		},
	})
}

func handlePing(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, struct{}{})
}

// callRequest is the part of the plugin's CallRequest that this App reads.
type callRequest struct {
	Path    string        `json:"path"`
	Values  webhookValues `json:"values"`
	Context callContext   `json:"context"`
}

type callContext struct {
	MattermostSiteURL     string       `json:"mattermost_site_url"`
	BotUserID             string       `json:"bot_user_id"`
	BotAccessToken        string       `json:"bot_access_token"`
	ActingUserAccessToken string       `json:"acting_user_access_token"`
	ChannelID             string       `json:"channel_id"`
	TeamID                string       `json:"team_id"`
	App                   *expandedApp `json:"app"`
}

type expandedApp struct {
	WebhookSecret string `json:"webhook_secret"`
}

// callResponse is the App's response to a call. The plugin treats type "error" as a failed call.
type callResponse struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	Data any    `json:"data,omitempty"`
}

func (a *app) handleInstall(w http.ResponseWriter, r *http.Request) {
	var call callRequest
	if !a.decodeCall(w, r, &call) {
		return
	}

	if err := a.install(r.Context(), call.Context); err != nil {
		a.log.Warn("install failed", "error", err)
		writeJSON(w, callResponse{Type: "error", Text: err.Error()})
		return
	}

	a.log.Info("installed", "site_url", call.Context.MattermostSiteURL, "channel_id", call.Context.ChannelID)
	writeJSON(w, callResponse{Type: "ok", Text: installedText})
}

// install adds the bot to the install channel, with the admin's token, and stores the webhook
// secret and the channel in the KV store, with the bot's token. Error texts are shown to the admin,
// so they never contain a token or the secret.
func (a *app) install(ctx context.Context, c callContext) error {
	if err := validateInstall(c); err != nil {
		return err
	}
	admin := a.mattermost(c.MattermostSiteURL, c.ActingUserAccessToken)
	bot := a.mattermost(c.MattermostSiteURL, c.BotAccessToken)
	cfg := config{WebhookSecret: c.App.WebhookSecret, ChannelID: c.ChannelID}

	if err := admin.addTeamMember(ctx, c.TeamID, c.BotUserID); err != nil {
		return fmt.Errorf("failed to add the bot to the team: %w", err)
	}
	if err := admin.addChannelMember(ctx, c.ChannelID, c.BotUserID); err != nil {
		return fmt.Errorf("failed to add the bot to the channel: %w", err)
	}
	if err := bot.kvSet(ctx, configKey, cfg); err != nil {
		return fmt.Errorf("failed to store the config in the App KV store: %w", err)
	}

	// A reinstall from another channel replaces the cached config.
	a.setConfig(bot.siteURL, cfg)
	return nil
}

func validateInstall(c callContext) error {
	switch {
	case c.ChannelID == "" || c.TeamID == "":
		return errors.New("the Webhook App must be installed from a channel in a team: run /apps install in the channel where webhooks should be posted")
	case c.MattermostSiteURL == "":
		return errors.New("missing mattermost_site_url in the install call")
	case c.App == nil || c.App.WebhookSecret == "":
		return errors.New("missing webhook secret in the install call: check that the App was granted remote_webhooks and that on_install expands app")
	case c.ActingUserAccessToken == "":
		return errors.New("missing acting user access token in the install call: check that the App was granted act_as_user")
	case c.BotAccessToken == "" || c.BotUserID == "":
		return errors.New("missing bot user or bot access token in the install call: check that the App was granted act_as_bot")
	}
	return nil
}

func (a *app) cachedConfig(siteURL string) (config, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cfg, ok := a.configs[siteURL]
	return cfg, ok
}

func (a *app) setConfig(siteURL string, cfg config) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.configs[siteURL] = cfg
}

// decodeCall reads a CallRequest. On failure it writes a 400 and returns false.
func (a *app) decodeCall(w http.ResponseWriter, r *http.Request, call *callRequest) bool {
	body := http.MaxBytesReader(w, r.Body, maxCallBytes)
	if err := json.NewDecoder(body).Decode(call); err != nil {
		a.log.Warn("invalid call request", "path", r.URL.Path, "error", err)
		http.Error(w, "invalid call request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
