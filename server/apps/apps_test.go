package apps

import (
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
