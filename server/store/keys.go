package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Prefixes of the plugin KV keys. Every key is "<prefix><id>[/<id>...]" with "/" between the parts.
// App ids and Mattermost ids cannot contain "/", so listing "kv/<app_id>/" never returns keys of
// another App whose id starts with the same characters. Mattermost reserves keys that start with
// "mmi_".
const (
	appKeyPrefix            = "app/"
	listingKeyPrefix        = "listing/"
	pendingInstallKeyPrefix = "pending/"
	sessionKeyPrefix        = "session/"
	appKVKeyPrefix          = "kv/"
)

func appKey(id apps.AppID) string {
	return appKeyPrefix + string(id)
}

func listingKey(id apps.AppID) string {
	return listingKeyPrefix + string(id)
}

func pendingInstallKey(userID string, id apps.AppID) string {
	return pendingInstallKeyPrefix + userID + "/" + string(id)
}

func sessionKey(appID apps.AppID, userID string) string {
	return sessionKeysOfApp(appID) + userID
}

func sessionKeysOfApp(appID apps.AppID) string {
	return sessionKeyPrefix + string(appID) + "/"
}

// appKVKey returns the plugin KV key of one App KV entry. Plugin KV keys are at most 150
// characters, so the user id, prefix and key are hashed. Each part is length-prefixed before
// hashing, so no choice of prefix and key can produce the input of another (user, prefix, key).
func appKVKey(appID apps.AppID, userID, prefix, key string) string {
	hash := sha256.New()
	for _, part := range []string{userID, prefix, key} {
		hash.Write(binary.AppendUvarint(nil, uint64(len(part))))
		hash.Write([]byte(part))
	}
	return appKVKeysOfApp(appID) + base64.RawURLEncoding.EncodeToString(hash.Sum(nil))
}

func appKVKeysOfApp(appID apps.AppID) string {
	return appKVKeyPrefix + string(appID) + "/"
}
