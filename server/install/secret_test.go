package install

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewWebhookSecret(t *testing.T) {
	t.Run("comes from the entropy source", func(t *testing.T) {
		source := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 6)

		secret, err := newWebhookSecret(bytes.NewReader(source))

		require.NoError(t, err)
		assert.Equal(t, base64.RawURLEncoding.EncodeToString(source), secret)
		assert.Equal(t, "-_8B-_8B-_8B-_8B-_8B-_8B", secret, "base64url uses - and _ instead of + and /")
	})

	t.Run("short entropy source fails", func(t *testing.T) {
		_, err := newWebhookSecret(bytes.NewReader(make([]byte, webhookSecretBytes-1)))

		require.Error(t, err)
		assert.Contains(t, err.Error(), "failed to generate a webhook secret")
	})

	t.Run("at least 128 bits in a URL-safe alphabet", func(t *testing.T) {
		seen := map[string]bool{}
		for range 1000 {
			secret, err := newWebhookSecret(rand.Reader)
			require.NoError(t, err)
			require.Len(t, secret, 24)
			require.Regexp(t, `^[A-Za-z0-9_-]+$`, secret)
			decoded, err := base64.RawURLEncoding.DecodeString(secret)
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(decoded)*8, 128)
			require.False(t, seen[secret], "secrets must not repeat")
			seen[secret] = true
		}
	})
}

func TestServiceUsesCryptoRand(t *testing.T) {
	env := newTestEnv(t)
	service := NewWithMattermost(env.mm, env.store, nil, nil, env.log)

	assert.Equal(t, rand.Reader, service.random)
}
