package install

import (
	"encoding/base64"
	"io"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// webhookSecretBytes is the number of random bytes in a webhook secret: 144 bits, more than the
// 128 bits that make guessing hopeless. Base64url turns 18 bytes into exactly 24 characters with
// no padding, and its alphabet (A-Z, a-z, 0-9, '-', '_') never needs escaping in a URL.
const webhookSecretBytes = 18

// newWebhookSecret reads a webhook secret from random, which is crypto/rand.Reader outside tests.
func newWebhookSecret(random io.Reader) (string, error) {
	buf := make([]byte, webhookSecretBytes)
	if _, err := io.ReadFull(random, buf); err != nil {
		return "", errors.Wrap(err, "failed to generate a webhook secret")
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// needsWebhookSecret reports whether webhooks to the App must carry a secret: the App was granted
// remote_webhooks and its auth type is "secret" or empty.
func needsWebhookSecret(app *apps.App) bool {
	return app.GrantedPermissions.Contains(apps.PermissionRemoteWebhooks) && app.RemoteWebhookAuthType.RequiresSecret()
}

// webhookSecretFor returns the secret of the App being installed: the previous install's secret when
// there is one, so that the webhook URLs senders already use keep working, or a new one.
func (s *Service) webhookSecretFor(app, previous *apps.App) (string, error) {
	if !needsWebhookSecret(app) {
		return "", nil
	}
	if previous != nil && previous.WebhookSecret != "" {
		return previous.WebhookSecret, nil
	}
	return newWebhookSecret(s.random)
}
