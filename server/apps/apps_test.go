package apps

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppPath(t *testing.T) {
	assert.Equal(t, "/plugins/com.mattermost.apps/apps/hello-world", AppPath("hello-world"))
}

func TestWebhookURL(t *testing.T) {
	tests := map[string]string{
		"http://127.0.0.1:8065":          "http://127.0.0.1:8065/plugins/com.mattermost.apps/apps/hello-world/webhook",
		"http://127.0.0.1:8065/":         "http://127.0.0.1:8065/plugins/com.mattermost.apps/apps/hello-world/webhook",
		"https://chat.example.com/mm//":  "https://chat.example.com/mm/plugins/com.mattermost.apps/apps/hello-world/webhook",
		"https://chat.example.com/mm":    "https://chat.example.com/mm/plugins/com.mattermost.apps/apps/hello-world/webhook",
		"https://chat.example.com:8443/": "https://chat.example.com:8443/plugins/com.mattermost.apps/apps/hello-world/webhook",
	}
	for siteURL, expected := range tests {
		t.Run(siteURL, func(t *testing.T) {
			assert.Equal(t, expected, WebhookURL(siteURL, "hello-world"))
		})
	}
}

func TestNewErrorMatchesSentinelAndCause(t *testing.T) {
	cause := errors.New("connection refused")

	err := NewError(ErrInvalidInput, cause, "failed to fetch %s; check the URL", "http://x")

	assert.Equal(t, "failed to fetch http://x; check the URL", err.Error())
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, ErrNotFound)
}
