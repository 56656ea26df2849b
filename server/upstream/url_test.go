package upstream

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJoinURL(t *testing.T) {
	tests := []struct {
		name     string
		rootURL  string
		callPath string
		expected string
	}{
		{"host only", "http://127.0.0.1:4000", "/webhook", "http://127.0.0.1:4000/webhook"},
		{"host with slash", "http://127.0.0.1:4000/", "/webhook", "http://127.0.0.1:4000/webhook"},
		{"root path", "https://apps.example.com/hello", "/webhook", "https://apps.example.com/hello/webhook"},
		{"root path with slash", "https://apps.example.com/hello/", "/webhook", "https://apps.example.com/hello/webhook"},
		{"double slashes", "https://apps.example.com//hello//", "//webhook//sub//", "https://apps.example.com/hello/webhook/sub"},
		{"trailing slash of the call", "http://127.0.0.1:4000/app", "/webhook/", "http://127.0.0.1:4000/app/webhook"},
		{"call without leading slash", "http://127.0.0.1:4000/app", "webhook", "http://127.0.0.1:4000/app/webhook"},
		{"dot segments stay below the root path", "http://127.0.0.1:4000/app", "/../../x/./y", "http://127.0.0.1:4000/app/x/y"},
		{"empty call path", "http://127.0.0.1:4000/app/", "", "http://127.0.0.1:4000/app"},
		{"empty call path on host", "http://127.0.0.1:4000", "/", "http://127.0.0.1:4000"},
		{"root query kept, fragment dropped", "http://127.0.0.1:4000/app?tenant=1#top", "/ping", "http://127.0.0.1:4000/app/ping?tenant=1"},
		{"path is escaped", "http://127.0.0.1:4000", "/webhook/a b/%", "http://127.0.0.1:4000/webhook/a%20b/%25"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			joined, err := JoinURL(test.rootURL, test.callPath)
			require.NoError(t, err)
			assert.Equal(t, test.expected, joined)
		})
	}
}

func TestJoinURLInvalidRoot(t *testing.T) {
	for _, rootURL := range []string{"", "127.0.0.1:4000", "/relative", "ftp://127.0.0.1/", "http://", "http://[::1"} {
		t.Run(rootURL, func(t *testing.T) {
			_, err := JoinURL(rootURL, "/webhook")
			assert.Error(t, err)
		})
	}
}
