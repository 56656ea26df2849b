package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

const (
	// kvPath is the App KV store of the Apps plugin. Data there is kept per App and per user, so
	// the App always reads and writes it with the bot's token.
	kvPath = "/plugins/com.mattermost.apps/api/v1/kv/"
	// configKey is the KV key of the App's config: prefix "config", key "settings".
	configKey = "config/settings"

	maxResponseBytes = 1 << 20
)

// mattermost calls the Mattermost REST API as one user, with that user's token.
type mattermost struct {
	client  *http.Client
	siteURL string
	token   string
}

// mattermost returns a REST client for the site named in a call, acting with token.
// NOTE: the App trusts the site URL and tokens in a call without checking who sent it. Keep it
// reachable only from Mattermost, or set http.use_jwt in the manifest and verify the JWT.
func (a *app) mattermost(siteURL, token string) *mattermost {
	return &mattermost{client: a.client, siteURL: strings.TrimSuffix(siteURL, "/"), token: token}
}

func (m *mattermost) addTeamMember(ctx context.Context, teamID, userID string) error {
	member := map[string]string{"team_id": teamID, "user_id": userID}
	return m.do(ctx, http.MethodPost, "/api/v4/teams/"+teamID+"/members", member, nil)
}

func (m *mattermost) addChannelMember(ctx context.Context, channelID, userID string) error {
	member := map[string]string{"user_id": userID}
	return m.do(ctx, http.MethodPost, "/api/v4/channels/"+channelID+"/members", member, nil)
}

func (m *mattermost) createPost(ctx context.Context, channelID, message string) error {
	post := map[string]string{"channel_id": channelID, "message": message}
	return m.do(ctx, http.MethodPost, "/api/v4/posts", post, nil)
}

// kvGet reads a JSON value from the App KV store. A missing key leaves out unchanged, because the
// plugin returns {} for it.
func (m *mattermost) kvGet(ctx context.Context, key string, out any) error {
	return m.do(ctx, http.MethodGet, kvPath+key, nil, out)
}

func (m *mattermost) kvSet(ctx context.Context, key string, value any) error {
	return m.do(ctx, http.MethodPut, kvPath+key, value, nil)
}

// do sends in as JSON and decodes a 2xx response into out when out is not nil. An error names the
// request and Mattermost's message, never the token.
func (m *mattermost) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}

	req, err := http.NewRequestWithContext(ctx, method, m.siteURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := m.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	limited := io.LimitReader(resp.Body, maxResponseBytes)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s returned %d%s", method, path, resp.StatusCode, errorMessage(limited))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(limited).Decode(out); err != nil {
		return fmt.Errorf("invalid JSON from %s %s: %w", method, path, err)
	}
	return nil
}

// errorMessage returns ": <message>" from a Mattermost error body, or "" when it has none.
func errorMessage(body io.Reader) string {
	var appError struct {
		Message string `json:"message"`
	}
	if json.NewDecoder(body).Decode(&appError) != nil || appError.Message == "" {
		return ""
	}
	return ": " + appError.Message
}
