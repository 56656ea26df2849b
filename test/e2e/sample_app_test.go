//go:build e2e

package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleAppID is the App id in the sample App's manifest.
const sampleAppID = "webhook-app"

// startSampleApp builds examples/webhook-app, starts it on a free port of 127.0.0.1 and returns
// its root URL. The process is stopped by its pid when the test ends.
func startSampleApp(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	binary := filepath.Join(t.TempDir(), "webhook-app")
	build := exec.Command("go", "build", "-o", binary, "./examples/webhook-app")
	build.Dir = root
	output, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/webhook-app:\n%s", output)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := listener.Addr().String()
	require.NoError(t, listener.Close())

	app := exec.Command(binary, "-addr", addr)
	app.Stdout = os.Stderr
	app.Stderr = os.Stderr
	require.NoError(t, app.Start(), "starting the sample App")
	t.Cleanup(func() {
		_ = app.Process.Kill()
		_ = app.Wait()
	})

	rootURL := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		response, err := http.Get(rootURL + "/manifest.json")
		if err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return rootURL
			}
		}
		require.True(t, time.Now().Before(deadline), "the sample App does not serve %s/manifest.json after 10 s: %v", rootURL, err)
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSampleApp installs examples/webhook-app with the slash command, as an admin would, reads
// its webhook URL from /apps info and checks that a GitHub push webhook becomes a post of its bot.
func TestSampleApp(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	client := newAdminClient(env)
	rootURL := startSampleApp(t)

	text := client.requireCommand(t, env.ChannelID, "/apps install http "+rootURL+"/manifest.json")
	assert.Contains(t, text, sampleAppID, "/apps install http output")
	assert.Contains(t, text, "/apps install confirm "+sampleAppID, "/apps install http output")
	assert.Contains(t, text, rootURL, "/apps install http shows the root URL")

	text = client.requireCommand(t, env.ChannelID, "/apps install confirm "+sampleAppID)
	t.Cleanup(func() { uninstallIfInstalled(t, client, sampleAppID) })
	require.Contains(t, text, "Webhook App is installed", "/apps install confirm output")
	record := client.getApp(t, sampleAppID)

	text = client.requireCommand(t, env.ChannelID, "/apps info "+sampleAppID)
	pattern := regexp.MustCompile(regexp.QuoteMeta(env.SiteURL+webhookPath(sampleAppID)) + "[^\\s)`]*")
	webhookURL := pattern.FindString(text)
	require.NotEmpty(t, webhookURL, "no webhook URL in the output of /apps info: %s", text)
	assert.Equal(t, env.webhookURL(sampleAppID, "", "secret="+record.WebhookSecret), webhookURL, "webhook URL of /apps info")

	t.Run("GitHub push becomes a post", func(t *testing.T) {
		base, query, _ := strings.Cut(webhookURL, "?")
		since := nowMillis()
		header := http.Header{
			"Content-Type":      {"application/json"},
			"X-GitHub-Event":    {"push"},
			"X-GitHub-Delivery": {"e2e-" + record.BotUserID},
		}
		push := `{"ref":"refs/heads/main","pusher":{"name":"octocat"},"repository":{"full_name":"octo/repo"},` +
			`"commits":[{"message":"Fix the build\n\nDetails"},{"message":"Add tests"}]}`
		response := sendWebhook(t, http.MethodPost, base+"/github?"+query, header, strings.NewReader(push))
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)

		post := client.waitForPost(t, env.ChannelID, record.BotUserID, since,
			"**octocat** pushed 2 commits to `main` of `octo/repo`: Fix the build", 10*time.Second)
		assert.Equal(t, "**octocat** pushed 2 commits to `main` of `octo/repo`: Fix the build", post.Message)
	})

	t.Run("Slack challenge", func(t *testing.T) {
		response := sendWebhook(t, http.MethodPost, webhookURL, http.Header{"Content-Type": {"application/json"}},
			strings.NewReader(`{"type":"url_verification","challenge":"c-e2e-123"}`))
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		assert.JSONEq(t, `{"challenge":"c-e2e-123"}`, string(response.Body))
	})
}
