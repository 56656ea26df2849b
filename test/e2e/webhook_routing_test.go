//go:build e2e

package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebhookAuthentication checks which requests reach the App, by method, secret and path, and
// what the sender gets when they do not.
func TestWebhookAuthentication(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "auth"))
	secret := installed.Secret()
	require.NotEmpty(t, secret, "the App has no webhook secret")
	id := installed.ID

	t.Run("HEAD with secret", func(t *testing.T) {
		before := app.count()
		response := sendWebhook(t, http.MethodHead, env.webhookURL(id, "", "secret="+secret), nil, nil)
		assert.Equal(t, http.StatusOK, response.Status)
		assert.Empty(t, response.Body)
		assertNotCalled(t, app, before, "HEAD")
	})

	t.Run("HEAD without valid secret", func(t *testing.T) {
		for name, rawQuery := range map[string]string{
			"wrong secret":   "secret=" + secret + "nope",
			"empty secret":   "secret=",
			"missing secret": "",
		} {
			t.Run(name, func(t *testing.T) {
				before := app.count()
				response := sendWebhook(t, http.MethodHead, env.webhookURL(id, "", rawQuery), nil, nil)
				assert.Equal(t, http.StatusUnauthorized, response.Status)
				assertNotCalled(t, app, before, "HEAD "+name)
			})
		}
	})

	t.Run("POST with empty body", func(t *testing.T) {
		before := app.count()
		response := sendWebhook(t, http.MethodPost, env.webhookURL(id, "", "secret="+secret), nil, http.NoBody)
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		calls := app.recorded()[before:]
		requireCallCount(t, calls, 1, "calls")
		call := calls[0]
		assert.Equal(t, http.MethodPost, call.Method)
		assert.Equal(t, "/webhook", call.Path)
		assert.Equal(t, "/webhook", call.JSON["path"], "CallRequest path")
		values := call.values()
		require.NotNil(t, values, "the call has no values: %s", call.Body)
		assert.Equal(t, "", values["data"], "data of an empty body")
		assert.Equal(t, "", values["rawBody"], "rawBody of an empty body")
		assert.Equal(t, "POST", values["httpMethod"])
	})

	t.Run("POST without valid secret", func(t *testing.T) {
		bodies := map[string]string{}
		for name, rawQuery := range map[string]string{
			"wrong secret":                "secret=wrong",
			"missing secret":              "",
			"empty secret":                "secret=",
			"secret as prefix":            "secret=" + secret[:len(secret)-1],
			"parameter name in caps":      "Secret=" + secret,
			"valid secret second":         "secret=wrong&secret=" + secret,
			"secret in another parameter": "token=" + secret,
		} {
			t.Run(name, func(t *testing.T) {
				before := app.count()
				response := postWebhook(t, env, id, "", rawQuery, `{"a":1}`)
				assert.Equal(t, http.StatusUnauthorized, response.Status, "body: %s", response.Body)
				assert.NotContains(t, string(response.Body), secret, "the 401 body contains the secret")
				assertNotCalled(t, app, before, "POST with "+name)
				bodies[name] = string(response.Body)
			})
		}
		assert.Equal(t, bodies["wrong secret"], bodies["missing secret"], "a wrong and a missing secret get different bodies")
	})

	t.Run("first secret parameter counts", func(t *testing.T) {
		before := app.count()
		response := postWebhook(t, env, id, "", "secret="+secret+"&secret=wrong", `{}`)
		assert.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		assertCallCount(t, app.recorded()[before:], 1, "calls for one webhook")
	})

	t.Run("sub path", func(t *testing.T) {
		response := postWebhook(t, env, id, "/github/push", "secret="+secret, `{}`)
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		call := app.last(t)
		assert.Equal(t, "/webhook/github/push", call.Path)
		assert.Equal(t, "/webhook/github/push", call.JSON["path"], "CallRequest path")
	})

	t.Run("trailing slash ignored", func(t *testing.T) {
		for suffix, expectedPath := range map[string]string{
			"/":    "/webhook",
			"/gh/": "/webhook/gh",
		} {
			t.Run(suffix, func(t *testing.T) {
				before := app.count()
				response := postWebhook(t, env, id, suffix, "secret="+secret, `{}`)
				require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
				calls := app.recorded()[before:]
				requireCallCount(t, calls, 1, "calls")
				assert.Equal(t, expectedPath, calls[0].Path)
			})
		}
	})

	t.Run("other methods rejected", func(t *testing.T) {
		for _, method := range []string{http.MethodOptions, http.MethodTrace, "PROPFIND"} {
			t.Run(method, func(t *testing.T) {
				before := app.count()
				response := sendWebhook(t, method, env.webhookURL(id, "", "secret="+secret), nil, nil)
				assert.Equal(t, http.StatusMethodNotAllowed, response.Status, "body: %s", response.Body)
				allow := response.Header.Get("Allow")
				assert.NotEmpty(t, allow, "405 without Allow header")
				for _, allowed := range []string{"POST", "PUT", "PATCH", "DELETE", "GET", "HEAD"} {
					assert.Contains(t, allow, allowed, "Allow header")
				}
				assertNotCalled(t, app, before, method)
			})
		}
	})

	t.Run("delivered methods", func(t *testing.T) {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodGet} {
			t.Run(method, func(t *testing.T) {
				before := app.count()
				response := sendWebhook(t, method, env.webhookURL(id, "/m", "secret="+secret), nil, strings.NewReader(`{"m":1}`))
				require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
				calls := app.recorded()[before:]
				requireCallCount(t, calls, 1, "calls")
				assert.Equal(t, http.MethodPost, calls[0].Method, "the plugin calls Apps with POST")
				assert.Equal(t, "/webhook/m", calls[0].Path)
				assert.Equal(t, method, calls[0].values()["httpMethod"])
			})
		}
	})

	t.Run("not a webhook route", func(t *testing.T) {
		for _, path := range []string{"/apps/" + id + "/webhooks", "/apps/" + id, "/apps/" + id + "/other"} {
			t.Run(path, func(t *testing.T) {
				before := app.count()
				response := sendWebhook(t, http.MethodPost, env.SiteURL+"/plugins/"+pluginID+path+"?secret="+secret, nil, strings.NewReader(`{}`))
				assert.Equal(t, http.StatusNotFound, response.Status, "body: %s", response.Body)
				assertNotCalled(t, app, before, path)
			})
		}
	})
}

// TestWebhookUnknownAndDisabledApp checks that an App id that is not installed and a disabled App
// get the same 404.
func TestWebhookUnknownAndDisabledApp(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "disabled"))
	client.requireAppOperation(t, "disable-app", installed.ID)
	before := app.count()

	unknown := postWebhook(t, env, uniqueAppID(t, "unknown"), "", "secret="+installed.Secret(), `{}`)
	disabled := postWebhook(t, env, installed.ID, "", "secret="+installed.Secret(), `{}`)
	disabledHead := sendWebhook(t, http.MethodHead, env.webhookURL(installed.ID, "", "secret="+installed.Secret()), nil, nil)

	assert.Equal(t, http.StatusNotFound, unknown.Status, "unknown App: %s", unknown.Body)
	assert.Equal(t, http.StatusNotFound, disabled.Status, "disabled App: %s", disabled.Body)
	assert.Equal(t, http.StatusNotFound, disabledHead.Status, "HEAD to a disabled App")
	assert.Equal(t, string(unknown.Body), string(disabled.Body), "unknown and disabled Apps get different bodies")
	assertNotCalled(t, app, before, "a disabled App")
}

// TestWebhookAuthTypeNone checks that an App with remote_webhook_auth_type none gets webhooks
// without a secret, and has no secret.
func TestWebhookAuthTypeNone(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "none"), withField("remote_webhook_auth_type", "none"))
	assert.Empty(t, installed.Secret(), "an App with auth type none got a webhook secret")

	for name, rawQuery := range map[string]string{
		"no query":     "",
		"any secret":   "secret=anything",
		"other params": "x=1&y=2",
	} {
		t.Run(name, func(t *testing.T) {
			before := app.count()
			response := postWebhook(t, env, installed.ID, "", rawQuery, `{"none":true}`)
			require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
			calls := app.recorded()[before:]
			requireCallCount(t, calls, 1, "calls")
			assert.Equal(t, "/webhook", calls[0].Path)
			assert.Equal(t, rawQuery, calls[0].values()["rawQuery"])
		})
	}
}

// TestWebhookAuthTypeDefault checks that an empty or missing remote_webhook_auth_type means
// secret, as in the original Apps plugin.
func TestWebhookAuthTypeDefault(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)

	for name, option := range map[string]manifestOption{
		"empty":   withField("remote_webhook_auth_type", ""),
		"missing": withoutField("remote_webhook_auth_type"),
	} {
		t.Run(name, func(t *testing.T) {
			app := newTestApp(t)
			installed := installTestApp(t, env, app, uniqueAppID(t, "deftype"), option)
			require.NotEmpty(t, installed.Secret(), "no webhook secret")

			without := postWebhook(t, env, installed.ID, "", "", `{}`)
			assert.Equal(t, http.StatusUnauthorized, without.Status, "without secret: %s", without.Body)
			with := postWebhook(t, env, installed.ID, "", "secret="+installed.Secret(), `{}`)
			assert.Equal(t, http.StatusOK, with.Status, "with secret: %s", with.Body)
		})
	}
}

// TestWebhookPermissionsMissing checks that an App installed without remote_webhooks gets 403
// and is not called.
func TestWebhookPermissionsMissing(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "noperm"), withPermissions(permissionActAsBot))
	assert.Empty(t, installed.Secret(), "an App without remote_webhooks got a webhook secret")
	before := app.count()

	for name, rawQuery := range map[string]string{"no secret": "", "some secret": "secret=x"} {
		t.Run(name, func(t *testing.T) {
			response := postWebhook(t, env, installed.ID, "", rawQuery, `{}`)
			assert.Equal(t, http.StatusForbidden, response.Status, "body: %s", response.Body)
		})
	}
	assertNotCalled(t, app, before, "an App without remote_webhooks")
}

// TestWebhookPathMapping checks that the App is called at the on_remote_webhook path joined with
// the request's sub path, and that requests always use /webhook.
func TestWebhookPathMapping(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)

	// One App for each on_remote_webhook path; "" means the manifest has none.
	installs := map[string]installedApp{}
	for _, onRemoteWebhook := range []string{"", "/my-webhook", "/my-webhook/manifest-suffix"} {
		app := newTestApp(t)
		var options []manifestOption
		if onRemoteWebhook != "" {
			options = append(options, withField("on_remote_webhook", onRemoteWebhook))
		}
		installs[onRemoteWebhook] = installTestApp(t, env, app, uniqueAppID(t, "map"), options...)
	}

	tests := []struct {
		name            string
		onRemoteWebhook string
		requestPath     string // after /apps/<app_id>
		expectedPath    string // "" when the App must not be called
	}{
		{"default", "", "/webhook", "/webhook"},
		{"default with suffix", "", "/webhook/request-suffix", "/webhook/request-suffix"},
		{"mapped", "/my-webhook", "/webhook", "/my-webhook"},
		{"mapped with suffix", "/my-webhook", "/webhook/request-suffix", "/my-webhook/request-suffix"},
		{"mapped path with suffix", "/my-webhook/manifest-suffix", "/webhook/request-suffix", "/my-webhook/manifest-suffix/request-suffix"},
		{"request to mapped path", "/my-webhook", "/my-webhook", ""},
		{"request below mapped path", "/my-webhook", "/my-webhook/x", ""},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			installed := installs[test.onRemoteWebhook]
			before := installed.App.count()
			url := env.SiteURL + "/plugins/" + pluginID + "/apps/" + installed.ID + test.requestPath + "?secret=" + installed.Secret()
			response := sendWebhook(t, http.MethodPost, url, nil, strings.NewReader(`{"k":"v"}`))

			if test.expectedPath == "" {
				assert.Equal(t, http.StatusNotFound, response.Status, "body: %s", response.Body)
				assertNotCalled(t, installed.App, before, test.requestPath)
				return
			}
			require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
			calls := installed.App.recorded()[before:]
			requireCallCount(t, calls, 1, "calls")
			assert.Equal(t, test.expectedPath, calls[0].Path, "URL path of the call")
			assert.Equal(t, test.expectedPath, calls[0].JSON["path"], "CallRequest path")
		})
	}
}

// TestWebhookCallExpandAndState checks that on_remote_webhook's expand and state reach the App,
// and that the webhook secret is never expanded into a webhook call, because no admin acts in it.
func TestWebhookCallExpandAndState(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "expand"), withField("on_remote_webhook", map[string]any{
		"path":   "/hook",
		"expand": map[string]any{"app": "all"},
		"state":  map[string]any{"kind": "e2e", "n": 616581622363398142},
	}))

	response := postWebhook(t, env, installed.ID, "/x", "secret="+installed.Secret(), `{}`)
	require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	call := app.last(t)
	assert.Equal(t, "/hook/x", call.Path)

	state, ok := call.JSON["state"].(map[string]any)
	require.True(t, ok, "no state in the call: %s", call.Body)
	assert.Equal(t, "e2e", state["kind"])
	assert.Contains(t, string(call.Body), "616581622363398142", "state number lost digits")

	expanded, ok := call.context()["app"].(map[string]any)
	require.True(t, ok, "context.app is missing although expand app=all: %s", call.Body)
	assert.Equal(t, installed.ID, expanded["app_id"])
	assert.Equal(t, installed.Record.BotUserID, expanded["bot_user_id"])
	assert.Empty(t, expanded["webhook_secret"], "a webhook call carries the webhook secret")
	assert.NotContains(t, string(call.Body), `"webhook_secret"`, "a webhook call carries the webhook secret")
}

// TestWebhookCallContext checks the context that every webhook call carries.
func TestWebhookCallContext(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "context"))

	response := postWebhook(t, env, installed.ID, "", "secret="+installed.Secret(), `{}`)
	require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	call := app.last(t)
	context := call.context()
	require.NotNil(t, context, "the call has no context: %s", call.Body)

	assert.Equal(t, installed.ID, context["app_id"])
	assert.Equal(t, env.SiteURL, context["mattermost_site_url"])
	assert.Equal(t, "/plugins/"+pluginID+"/apps/"+installed.ID, context["app_path"])
	require.NotEmpty(t, installed.Record.BotUserID, "the App record has no bot user id")
	assert.Equal(t, installed.Record.BotUserID, context["bot_user_id"])
	assert.NotEmpty(t, context["bot_access_token"], "bot_access_token")
	assert.Equal(t, "application/json", call.Header.Get("Content-Type"), "Content-Type of the call")
	assert.Empty(t, call.Header.Get("Mattermost-App-Authorization"), "a JWT header for an App without use_jwt")
}

// TestWebhookQueryExact checks that rawQuery is the query exactly as the sender wrote it, because
// senders such as Twilio sign those bytes. Mattermost re-encodes the parsed query before the plugin
// gets the request.
func TestWebhookQueryExact(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "query"))
	secret := installed.Secret()

	for name, rawQuery := range map[string]string{
		"Twilio signed query":    "secret=" + secret + "&To=%2B15550001111&Body=Hi%20there&From=%2B15550002222",
		"unsorted and repeated":  "secret=" + secret + "&z=1&a=2&z=0",
		"plus and odd escapes":   "secret=" + secret + "&q=a+b%2bc%7e~&empty=&flag",
		"access_token parameter": "secret=" + secret + "&access_token=not-a-session",
	} {
		t.Run(name, func(t *testing.T) {
			response := postWebhook(t, env, installed.ID, "/twilio", rawQuery, "")
			require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
			call := app.last(t)
			assert.Equal(t, rawQuery, call.values()["rawQuery"])
		})
	}
}

// TestWebhookHeaders checks that the App gets exactly the headers the sender sent: canonical
// names, repeated values joined with ", " in order, and nothing that Mattermost or the plugin
// added.
func TestWebhookHeaders(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "headers"))

	body := `{"ref":"refs/heads/main"}`
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", "GitHub-Hookshot/e2e")
	header.Set("X-GitHub-Event", "push")
	header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	header.Add("X-Multi", "one")
	header.Add("X-Multi", "two, three")
	header.Add("X-Multi", "four")
	header["x-lower-case"] = []string{"lower"}
	header.Set("Authorization", "Basic dXNlcjpwYXNz")
	header.Set("Accept-Language", "de-CH")

	response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "", "secret="+installed.Secret()), header, strings.NewReader(body))
	require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
	call := app.last(t)
	received, ok := call.values()["headers"].(map[string]any)
	require.True(t, ok, "values.headers is not an object: %s", call.Body)

	expected := map[string]any{
		"Content-Type":      "application/json",
		"User-Agent":        "GitHub-Hookshot/e2e",
		"X-Github-Event":    "push",
		"X-Github-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
		"X-Multi":           "one, two, three, four",
		"X-Lower-Case":      "lower",
		"Authorization":     "Basic dXNlcjpwYXNz",
		"Accept-Language":   "de-CH",
		// Go's client sends the body length.
		"Content-Length": strconv.Itoa(len(body)),
	}
	site, err := url.Parse(env.SiteURL)
	require.NoError(t, err)
	if host, found := received["Host"]; found {
		// NOTE: the plugin passes on the Host header that the sender sent, which the README does
		// not mention among the headers an App gets.
		assert.Equal(t, site.Host, host, "Host header")
		delete(received, "Host")
	}
	assert.Equal(t, expected, received, "headers the App got")

	t.Run("Mattermost session data removed", func(t *testing.T) {
		header := http.Header{}
		header.Set("Cookie", "theme=dark; MMAUTHTOKEN=not-a-session; lang=en")
		header.Set("Mattermost-User-Id", "spoofed-user-id")
		header.Set("X-Forwarded-For", "192.0.2.10")
		response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "", "secret="+installed.Secret()), header, strings.NewReader(`{}`))
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		received, ok := app.last(t).values()["headers"].(map[string]any)
		require.True(t, ok, "values.headers is not an object")

		assert.Equal(t, "theme=dark; lang=en", received["Cookie"], "cookies other than Mattermost's session cookie")
		assert.NotContains(t, received, "Mattermost-User-Id", "a spoofed Mattermost-User-Id reached the App")
		assert.Equal(t, "192.0.2.10", received["X-Forwarded-For"])
	})
}
