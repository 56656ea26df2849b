package webhook

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// secretParameter is the query parameter that carries an App's webhook secret.
const secretParameter = "secret"

// originalRawQuery returns the query string as the sender wrote it. Mattermost parses the query of
// a plugin request, removes access_token and encodes it again, sorted and re-escaped, into
// r.URL.RawQuery. It leaves the request line in r.RequestURI untouched, so the query is taken from
// there. The fallback to r.URL.RawQuery serves requests built in tests, which have no RequestURI.
func originalRawQuery(r *http.Request) string {
	if r.RequestURI == "" {
		return r.URL.RawQuery
	}
	_, query, _ := strings.Cut(r.RequestURI, "?")
	return query
}

// isAuthenticated reports whether the request may reach the App. With auth type "none" every
// request may. Otherwise the first "secret" parameter of the raw query must equal the App's
// secret, compared in constant time. A missing or empty secret never matches, and no secret
// matches when the App has none.
func isAuthenticated(app *apps.App, rawQuery string) bool {
	if !app.RemoteWebhookAuthType.RequiresSecret() {
		return true
	}
	if app.WebhookSecret == "" {
		return false
	}
	secret, found := firstQueryValue(rawQuery, secretParameter)
	if !found || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(app.WebhookSecret)) == 1
}

// firstQueryValue returns the unescaped value of the first parameter called name in a raw query.
// A parameter without "=" has the empty value. A first match whose value is not validly escaped
// is reported as not found, so a later parameter of the same name cannot stand in for it.
func firstQueryValue(rawQuery, name string) (string, bool) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		key, value, _ := strings.Cut(pair, "=")
		if !queryKeyEquals(key, name) {
			continue
		}
		unescaped, err := url.QueryUnescape(value)
		if err != nil {
			return "", false
		}
		return unescaped, true
	}
	return "", false
}

// queryKeyEquals compares a raw query key with a name, unescaping the key only when it has
// escapes, such as "s%65cret".
func queryKeyEquals(rawKey, name string) bool {
	if rawKey == name {
		return true
	}
	if !strings.ContainsAny(rawKey, "%+") {
		return false
	}
	key, err := url.QueryUnescape(rawKey)
	return err == nil && key == name
}
