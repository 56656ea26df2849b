package main

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxSummaryRunes caps sender text, such as a commit message, quoted in a post.
const maxSummaryRunes = 200

var (
	errInvalidSecret = errors.New("invalid secret")
	errNotConfigured = errors.New("the Webhook App has no config in its KV store: install it again from a channel")
)

// webhookValues are the values of a webhook call: the sender's request as the plugin received it.
type webhookValues struct {
	HTTPMethod string            `json:"httpMethod"`
	Headers    map[string]string `json:"headers"`
	RawBody    string            `json:"rawBody"`
	RawQuery   string            `json:"rawQuery"`
}

func (a *app) handleWebhook(w http.ResponseWriter, r *http.Request) {
	var call callRequest
	if !a.decodeCall(w, r, &call) {
		return
	}
	subPath := strings.TrimPrefix(call.Path, "/webhook")

	response, err := a.webhook(r.Context(), call, subPath)
	if err != nil {
		a.log.Warn("webhook failed", "sub_path", subPath, "error", err)
		writeJSON(w, callResponse{Type: "error", Text: err.Error()})
		return
	}
	a.log.Debug("webhook handled", "sub_path", subPath)
	writeJSON(w, response)
}

// webhook checks the secret, returns the challenge of a Slack url_verification request, and posts
// a summary of any other webhook.
func (a *app) webhook(ctx context.Context, call callRequest, subPath string) (callResponse, error) {
	bot := a.mattermost(call.Context.MattermostSiteURL, call.Context.BotAccessToken)
	cfg, err := a.loadConfig(ctx, bot)
	if err != nil {
		return callResponse{}, err
	}

	// The plugin has already checked the secret. Checking it again guards against calls that did
	// not come through the plugin.
	if !secretMatches(call.Values.RawQuery, cfg.WebhookSecret) {
		return callResponse{}, errInvalidSecret
	}

	body, err := base64.StdEncoding.DecodeString(call.Values.RawBody)
	if err != nil {
		return callResponse{}, fmt.Errorf("invalid rawBody: %w", err)
	}
	payload := jsonPayload(body, call.Values.Headers["Content-Type"])

	if challenge := slackChallenge(payload); challenge != "" {
		return callResponse{Type: "ok", Data: map[string]string{"challenge": challenge}}, nil
	}

	message := summarize(subPath, call.Values, payload, len(body))
	if err := bot.createPost(ctx, cfg.ChannelID, message); err != nil {
		return callResponse{}, fmt.Errorf("failed to post the webhook summary: %w", err)
	}
	return callResponse{Type: "ok"}, nil
}

// loadConfig returns the config of the bot's Mattermost server, from memory after the first read.
func (a *app) loadConfig(ctx context.Context, bot *mattermost) (config, error) {
	if cfg, ok := a.cachedConfig(bot.siteURL); ok {
		return cfg, nil
	}

	var cfg config
	if err := bot.kvGet(ctx, configKey, &cfg); err != nil {
		return config{}, fmt.Errorf("failed to read the config from the App KV store: %w", err)
	}
	if cfg.WebhookSecret == "" || cfg.ChannelID == "" {
		return config{}, errNotConfigured
	}

	a.setConfig(bot.siteURL, cfg)
	return cfg, nil
}

// secretMatches compares the first secret parameter of rawQuery with want in constant time.
func secretMatches(rawQuery, want string) bool {
	query, err := url.ParseQuery(rawQuery)
	if err != nil || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(query.Get("secret")), []byte(want)) == 1
}

// jsonPayload returns the JSON document in a webhook body. GitHub's default content type is a form
// with the JSON in its payload field.
func jsonPayload(body []byte, contentType string) []byte {
	if !strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		return body
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	return []byte(form.Get("payload"))
}

func slackChallenge(payload []byte) string {
	var event struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(payload, &event) != nil || event.Type != "url_verification" {
		return ""
	}
	return event.Challenge
}

// summarize writes the post for a webhook: a sentence for a GitHub push, the request's outline
// for anything else.
func summarize(subPath string, values webhookValues, payload []byte, bodyBytes int) string {
	if values.Headers["X-Github-Event"] == "push" {
		if message, ok := summarizePush(payload); ok {
			return message
		}
	}

	if subPath == "" {
		subPath = "/"
	}
	parts := []string{fmt.Sprintf("Received a webhook at `%s`: %s", truncate(subPath), values.HTTPMethod)}
	for _, header := range []string{"X-Github-Event", "X-Gitlab-Event", "X-Event-Key"} {
		if event := values.Headers[header]; event != "" {
			parts = append(parts, fmt.Sprintf("event `%s`", truncate(event)))
			break
		}
	}
	contentType := values.Headers["Content-Type"]
	if contentType == "" {
		contentType = "none"
	}
	parts = append(parts, fmt.Sprintf("content type `%s`", truncate(contentType)))
	parts = append(parts, fmt.Sprintf("%d bytes", bodyBytes))
	return strings.Join(parts, ", ") + "."
}

// summarizePush describes a GitHub push event, or returns false when the payload is not one.
func summarizePush(payload []byte) (string, bool) {
	var push struct {
		Ref    string `json:"ref"`
		Pusher struct {
			Name string `json:"name"`
		} `json:"pusher"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		Commits []struct {
			Message string `json:"message"`
		} `json:"commits"`
	}
	if json.Unmarshal(payload, &push) != nil || push.Repository.FullName == "" {
		return "", false
	}

	branch := strings.TrimPrefix(strings.TrimPrefix(push.Ref, "refs/heads/"), "refs/tags/")
	commits := "commits"
	if len(push.Commits) == 1 {
		commits = "commit"
	}
	message := fmt.Sprintf("**%s** pushed %d %s to `%s` of `%s`",
		truncate(push.Pusher.Name), len(push.Commits), commits, truncate(branch), truncate(push.Repository.FullName))
	if len(push.Commits) > 0 {
		firstLine, _, _ := strings.Cut(push.Commits[0].Message, "\n")
		message += ": " + truncate(firstLine)
	}
	return message, true
}

func truncate(text string) string {
	runes := []rune(text)
	if len(runes) <= maxSummaryRunes {
		return text
	}
	return string(runes[:maxSummaryRunes]) + "…"
}
