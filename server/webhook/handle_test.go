package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
)

func TestHeadAuthenticatesOnly(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		resp := send(webhookRequest{method: http.MethodHead, target: secretQuery()})

		assert.Equal(t, http.StatusOK, resp.status)
		assert.Empty(t, resp.body)
		e.app.assertNotCalled(t)
		assert.Zero(t, e.tokens.calls.Load(), "HEAD must not create a token")
	})
}

func TestHeadWithBadSecret(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		for _, target := range []string{"?secret=" + testSecret + "nope", "?secret=", "", "?secret"} {
			resp := send(webhookRequest{method: http.MethodHead, target: target})

			assert.Equal(t, http.StatusUnauthorized, resp.status, "target %q", target)
		}
		e.app.assertNotCalled(t)
	})
}

func TestPostEmptyBody(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		resp := send(webhookRequest{target: secretQuery()})

		assert.Equal(t, http.StatusOK, resp.status)
		got := e.app.receive(t)
		assert.Equal(t, "/webhook", got.path)
		assert.Equal(t, "/webhook", got.call.Path)
		assert.Equal(t, `""`, string(got.call.Values.Data))
		assert.Empty(t, got.call.Values.RawBody)
		assert.Equal(t, http.MethodPost, got.call.Values.HTTPMethod)
	})
}

func TestWrongSecretRejected(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		targets := []string{
			"?secret=wrong",
			"",
			"?secret=",
			"?secret",
			"?Secret=" + testSecret,
			"?secret=" + testSecret[:len(testSecret)-1],
			"?secret=" + testSecret + "x",
			"?secret=wrong&secret=" + testSecret,
			"?secret=%zz&secret=" + testSecret,
			"?x=" + testSecret,
		}
		var bodies []string
		for _, target := range targets {
			resp := send(webhookRequest{target: target, body: []byte(`{"a":1}`)})

			assert.Equal(t, http.StatusUnauthorized, resp.status, "target %q", target)
			assert.NotContains(t, resp.body, testSecret)
			bodies = append(bodies, resp.body)
		}
		for _, body := range bodies {
			assert.Equal(t, bodies[0], body, "every 401 must have the same body")
		}
		assert.Equal(t, msgUnauthorized+"\n", bodies[0])
		e.app.assertNotCalled(t)
	})
}

func TestSecretForms(t *testing.T) {
	escapedSecret := ""
	for _, c := range []byte(testSecret) {
		escapedSecret += "%" + strings.ToUpper(hex.EncodeToString([]byte{c}))
	}
	targets := map[string]string{
		"first of two wins":        "?secret=" + testSecret + "&secret=wrong",
		"percent-encoded value":    "?secret=" + escapedSecret,
		"percent-encoded name":     "?s%65cret=" + testSecret,
		"after other parameters":   "?a=1&b&secret=" + testSecret + "&c=3",
		"empty pairs around":       "?&&secret=" + testSecret + "&",
		"after a parameter prefix": "?secretx=1&xsecret=2&secret=" + testSecret,
	}
	for name, target := range targets {
		t.Run(name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				resp := send(webhookRequest{target: target})

				assert.Equal(t, http.StatusOK, resp.status)
				assert.Equal(t, strings.TrimPrefix(target, "?"), e.app.receive(t).call.Values.RawQuery)
			})
		})
	}
}

func TestUnknownAndDisabledApp(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		unknown := send(webhookRequest{appPrefix: "/plugins/com.mattermost.apps/apps/not-installed/webhook", target: secretQuery()})
		e.updateApp(t, func(app *apps.App) { app.Disabled = true })
		disabled := send(webhookRequest{target: secretQuery()})
		disabledHead := send(webhookRequest{method: http.MethodHead, target: secretQuery()})

		assert.Equal(t, http.StatusNotFound, unknown.status)
		assert.Equal(t, http.StatusNotFound, disabled.status)
		assert.Equal(t, http.StatusNotFound, disabledHead.status)
		assert.Equal(t, unknown.body, disabled.body)
		assert.Equal(t, msgNotFound+"\n", unknown.body)
		e.app.assertNotCalled(t)
	})
}

func TestMissingPermissions(t *testing.T) {
	for name, granted := range map[string]apps.Permissions{
		"none":                    nil,
		"without remote_webhooks": {apps.PermissionActAsBot},
		"without act_as_bot":      {apps.PermissionRemoteWebhooks},
	} {
		t.Run(name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				e.updateApp(t, func(app *apps.App) { app.GrantedPermissions = granted })

				resp := send(webhookRequest{target: secretQuery()})

				assert.Equal(t, http.StatusForbidden, resp.status)
				assert.Equal(t, msgForbidden+"\n", resp.body)
				e.app.assertNotCalled(t)
			})
		})
	}
}

func TestAuthTypeNone(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		e.updateApp(t, func(app *apps.App) {
			app.RemoteWebhookAuthType = apps.WebhookAuthNone
			app.WebhookSecret = ""
		})

		for _, target := range []string{"", "?secret=anything", "?x=1"} {
			resp := send(webhookRequest{target: target, body: []byte(`{"ok":true}`)})

			assert.Equal(t, http.StatusOK, resp.status, "target %q", target)
			assert.Equal(t, strings.TrimPrefix(target, "?"), e.app.receive(t).call.Values.RawQuery)
		}
	})
}

func TestSecretAuthWithoutStoredSecret(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		e.updateApp(t, func(app *apps.App) {
			app.RemoteWebhookAuthType = apps.WebhookAuthDefault
			app.WebhookSecret = ""
		})

		for _, target := range []string{"", "?secret=", "?secret"} {
			resp := send(webhookRequest{target: target})

			assert.Equal(t, http.StatusUnauthorized, resp.status, "target %q", target)
		}
		e.app.assertNotCalled(t)
	})
}

func TestSubPathMapping(t *testing.T) {
	tests := []struct {
		name        string
		webhookPath string
		target      string
		expected    string
	}{
		{"default path", "", "", "/webhook"},
		{"default path with sub path", "", "/request-suffix", "/webhook/request-suffix"},
		{"mapped path", "/my-webhook", "", "/my-webhook"},
		{"mapped path with sub path", "/my-webhook", "/request-suffix", "/my-webhook/request-suffix"},
		{"mapped path with suffix", "/my-webhook/manifest-suffix", "/request-suffix", "/my-webhook/manifest-suffix/request-suffix"},
		{"several segments", "", "/github/push", "/webhook/github/push"},
		{"trailing slash only", "", "/", "/webhook"},
		{"trailing slash", "", "/gh/", "/webhook/gh"},
		{"mapped path with trailing slash", "/my-webhook/", "/gh", "/my-webhook/gh"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				if test.webhookPath != "" {
					e.updateApp(t, func(app *apps.App) { app.OnRemoteWebhook = &apps.Call{Path: test.webhookPath} })
				}

				resp := send(webhookRequest{target: test.target + secretQuery()})

				assert.Equal(t, http.StatusOK, resp.status)
				got := e.app.receive(t)
				assert.Equal(t, test.expected, got.path)
				assert.Equal(t, test.expected, got.call.Path)
			})
		})
	}
}

// TestMappedPathIsNotARoute checks the last row of the path mapping: the App's own path is not a
// webhook route. The router in front of Handle rejects it, so this test covers routeToService and
// shows the expectation that the plugin's router must meet.
func TestMappedPathIsNotARoute(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		e.updateApp(t, func(app *apps.App) { app.OnRemoteWebhook = &apps.Call{Path: "/my-webhook"} })

		for _, prefix := range []string{"/plugins/com.mattermost.apps/apps/hello-webhooks/my-webhook", "/plugins/com.mattermost.apps/apps/hello-webhooks/my-webhook/x"} {
			resp := send(webhookRequest{appPrefix: prefix, target: secretQuery()})

			assert.Equal(t, http.StatusNotFound, resp.status)
		}
		e.app.assertNotCalled(t)
	})
}

func TestCleanSubPath(t *testing.T) {
	tests := map[string]string{
		"":               "/",
		"/":              "/",
		"//":             "/",
		"/a":             "/a",
		"a":              "/a",
		"/a/":            "/a",
		"/a//b/":         "/a/b",
		"/./a/.":         "/a",
		"/../x":          "/x",
		"/a/../../../x":  "/x",
		"/a/b/../c":      "/a/c",
		"/..":            "/",
		"/a b/%2F":       "/a b/%2F",
		"/github/push/":  "/github/push",
		"/..%2f..%2fetc": "/..%2f..%2fetc",
	}
	for subPath, expected := range tests {
		t.Run(subPath, func(t *testing.T) {
			cleaned := cleanSubPath(subPath)

			assert.Equal(t, expected, cleaned)
			assert.Equal(t, "/webhook"+strings.TrimSuffix(expected, "/"), joinCallPath("/webhook", cleaned))
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		for _, method := range []string{http.MethodOptions, http.MethodTrace, "PROPFIND", "post"} {
			resp := send(webhookRequest{method: method, target: secretQuery()})

			assert.Equal(t, http.StatusMethodNotAllowed, resp.status, "method %s", method)
			assert.Equal(t, "DELETE, GET, HEAD, PATCH, POST, PUT", resp.header.Get("Allow"))
		}

		unknownApp := send(webhookRequest{method: http.MethodOptions, appPrefix: "/plugins/com.mattermost.apps/apps/not-installed/webhook"})
		assert.Equal(t, http.StatusMethodNotAllowed, unknownApp.status, "the method is checked before the app")
		e.app.assertNotCalled(t)
	})
}

func TestDeliveredMethods(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodGet} {
			resp := send(webhookRequest{method: method, target: "/m" + secretQuery(), body: []byte(`{"m":"` + method + `"}`)})

			assert.Equal(t, http.StatusOK, resp.status, "method %s", method)
			got := e.app.receive(t)
			assert.Equal(t, method, got.call.Values.HTTPMethod)
			assert.Equal(t, `{"m":"`+method+`"}`, string(got.call.Values.Data))
			assert.Equal(t, http.MethodPost, got.method, "the app is always called with POST")
		}
	})
}

func TestFormBodyKeptAsString(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		body := "payload=%7B%22action%22%3A%22opened%22%7D"
		header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

		resp := send(webhookRequest{target: "/gh" + secretQuery(), header: header, body: []byte(body)})

		assert.Equal(t, http.StatusOK, resp.status)
		got := e.app.receive(t)
		assert.Equal(t, body, got.call.dataString(t))
		assert.Equal(t, []byte(body), got.call.Values.RawBody)
		assert.Equal(t, "application/x-www-form-urlencoded", got.call.Values.Headers["Content-Type"])
	})
}

func TestContentTypePlaysNoPart(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		for _, contentType := range []string{"", "text/plain", "application/octet-stream"} {
			header := http.Header{}
			if contentType != "" {
				header.Set("Content-Type", contentType)
			}

			resp := send(webhookRequest{target: secretQuery(), header: header, body: []byte(`{"text":"build 12 ok"}`)})

			assert.Equal(t, http.StatusOK, resp.status)
			got := e.app.receive(t)
			values := got.generic["values"].(map[string]any)
			assert.Equal(t, map[string]any{"text": "build 12 ok"}, values["data"], "content type %q", contentType)
		}
	})
}

func TestJSONNumbersKept(t *testing.T) {
	bodies := []string{
		`{"id":616581622363398142,"amount":1.10}`,
		`[1e400, -0.0, 12345678901234567890123456789, 1.5E-10, 0.1000000000000000055511151231257827]`,
		`9007199254740993`,
		"  {\"nested\": {\"big\": 18446744073709551617}}\n",
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				resp := send(webhookRequest{target: secretQuery(), body: []byte(body)})

				assert.Equal(t, http.StatusOK, resp.status)
				got := e.app.receive(t)
				assert.Equal(t, strings.TrimSpace(body), string(got.call.Values.Data))
				assert.Contains(t, string(got.body), `"data":`+body+`,"rawBody"`)
			})
		})
	}

	t.Run("decoded with UseNumber", func(t *testing.T) {
		e := newEnv(t)
		sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: []byte(`{"id":616581622363398142,"amount":1.10}`)})

		data := e.app.receive(t).generic["values"].(map[string]any)["data"].(map[string]any)
		assert.Equal(t, json.Number("616581622363398142"), data["id"])
		assert.Equal(t, json.Number("1.10"), data["amount"])
	})
}

func TestRawBodyVerifiesHMAC(t *testing.T) {
	const signingKey = "github-hook-key"
	body := []byte(`{"zen": "Keep it simple", "hook_id": 1, "note": "<b>&"}`)
	require.Len(t, body, 55)
	mac := hmac.New(sha256.New, []byte(signingKey))
	mac.Write(body)
	signature := "sha256=" + hex.EncodeToString(mac.Sum(nil))

	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		e.app.setRespond(verifyHMAC(signingKey))

		resp := send(webhookRequest{
			target: "/gh" + secretQuery(),
			header: http.Header{"X-Hub-Signature-256": {signature}},
			body:   body,
		})

		assert.Equal(t, http.StatusOK, resp.status, "the app's HMAC check must pass")
		assert.Equal(t, `{"verified":true}`, resp.body)
		got := e.app.receive(t)
		assert.Equal(t, body, got.call.Values.RawBody)
		assert.Equal(t, signature, got.call.Values.Headers["X-Hub-Signature-256"])
		rawBody := got.generic["values"].(map[string]any)["rawBody"].(string)
		assert.Equal(t, base64.StdEncoding.EncodeToString(body), rawBody, "rawBody must be standard padded base64")
	})
}

// verifyHMAC responds like an App that checks X-Hub-Signature-256 over the decoded rawBody: ok
// with data {"verified":true} when the signature matches, an error response otherwise.
func verifyHMAC(key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var call receivedCall
		if err := json.NewDecoder(r.Body).Decode(&call); err != nil {
			http.Error(w, "invalid call", http.StatusBadRequest)
			return
		}
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(call.Values.RawBody)
		expected := "sha256=" + hex.EncodeToString(mac.Sum(nil))

		w.Header().Set("Content-Type", "application/json")
		if !hmac.Equal([]byte(expected), []byte(call.Values.Headers["X-Hub-Signature-256"])) {
			_, _ = io.WriteString(w, `{"type":"error","text":"signature mismatch"}`)
			return
		}
		_, _ = io.WriteString(w, `{"type":"ok","data":{"verified":true}}`)
	}
}

func TestBodyCap(t *testing.T) {
	const limit = 1024
	exact := []byte(strings.Repeat("a", limit))
	over := []byte(strings.Repeat("a", limit+1))

	tests := []struct {
		name     string
		request  webhookRequest
		expected int
	}{
		{"exactly the cap", webhookRequest{body: exact}, http.StatusOK},
		{"exactly the cap chunked", webhookRequest{chunks: [][]byte{exact[:500], exact[500:]}}, http.StatusOK},
		{"one byte over with length", webhookRequest{body: over}, http.StatusRequestEntityTooLarge},
		{"one byte over chunked", webhookRequest{chunks: [][]byte{over[:1000], over[1000:]}}, http.StatusRequestEntityTooLarge},
		{"far over chunked", webhookRequest{chunks: [][]byte{over, over, over}}, http.StatusRequestEntityTooLarge},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				e.updateSettings(func(settings *config.Settings) { settings.MaxBodyBytes = limit })
				test.request.target = secretQuery()

				resp := send(test.request)

				assert.Equal(t, test.expected, resp.status)
				if test.expected == http.StatusOK {
					assert.Equal(t, exact, e.app.receive(t).call.Values.RawBody)
				} else {
					assert.Equal(t, msgTooLarge+"\n", resp.body)
					e.app.assertNotCalled(t)
				}
			})
		})
	}
}

// unreadableBody fails the test when read.
type unreadableBody struct {
	t *testing.T
}

func (b unreadableBody) Read([]byte) (int, error) {
	b.t.Error("a body declared over the cap must not be read")
	return 0, io.EOF
}

func TestDeclaredLengthOverCapNotRead(t *testing.T) {
	for name, declare := range map[string]func(*http.Request){
		"ContentLength field": func(r *http.Request) { r.ContentLength = 2048 },
		"Content-Length header only, as Mattermost passes it": func(r *http.Request) {
			r.ContentLength = 0
			r.Header.Set("Content-Length", "2048")
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.updateSettings(func(settings *config.Settings) { settings.MaxBodyBytes = 1024 })
			req, err := http.NewRequest(http.MethodPost, testSiteURL+webhookPrefix+secretQuery(), unreadableBody{t})
			require.NoError(t, err)
			declare(req)

			recorder := httptest.NewRecorder()
			e.service.Handle(recorder, req, testAppID, "")

			assert.Equal(t, http.StatusRequestEntityTooLarge, recorder.Code)
			e.app.assertNotCalled(t)
		})
	}
}

func TestChunkedBody(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		resp := send(webhookRequest{target: secretQuery(), chunks: [][]byte{[]byte(`{"msg":`), []byte(`"hello"}`)}})

		assert.Equal(t, http.StatusOK, resp.status)
		got := e.app.receive(t)
		assert.Equal(t, `{"msg":"hello"}`, string(got.call.Values.Data))
		_, hasTransferEncoding := got.call.Values.Headers["Transfer-Encoding"]
		assert.False(t, hasTransferEncoding, "Transfer-Encoding is consumed by the HTTP server")
	})
}

func TestRawQueryAsWritten(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		query := "secret=" + testSecret + "&To=%2B15550001111&Body=Hi%20there&From=%2B15550002222"

		resp := send(webhookRequest{target: "/twilio?" + query})

		assert.Equal(t, http.StatusOK, resp.status)
		got := e.app.receive(t)
		assert.Equal(t, query, got.call.Values.RawQuery)
		assert.Equal(t, "/webhook/twilio", got.path)
	})
}

func TestRawQueryOddForms(t *testing.T) {
	queries := []string{
		"secret=" + testSecret + "&a=1&a=2&z&b=x+y&c=%41%2f&d=<>&e=%E2%82%AC",
		"b=2&secret=" + testSecret + "&a=1&access_token=kept-in-the-request-line",
	}
	for _, query := range queries {
		t.Run(query, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				resp := send(webhookRequest{target: "?" + query})

				assert.Equal(t, http.StatusOK, resp.status)
				assert.Equal(t, query, e.app.receive(t).call.Values.RawQuery)
			})
		})
	}
}

func TestHeadersPassedOn(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		header := http.Header{
			"X-Multi":            {"a", "b, c", "d"},
			"X-Github-Delivery":  {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
			"X-Empty":            {""},
			"Mattermost-User-Id": {"spoofed-user"},
			"User-Agent":         {"GitHub-Hookshot/abc"},
		}

		resp := send(webhookRequest{target: secretQuery(), header: header, host: "hooks.example.com", body: []byte("x")})

		assert.Equal(t, http.StatusOK, resp.status)
		headers := e.app.receive(t).call.Values.Headers
		assert.Equal(t, "a, b, c, d", headers["X-Multi"])
		assert.Equal(t, "72d3162e-cc78-11e3-81ab-4c9367dc0958", headers["X-Github-Delivery"])
		assert.Equal(t, "GitHub-Hookshot/abc", headers["User-Agent"])
		assert.Equal(t, "hooks.example.com", headers["Host"])
		emptyValue, found := headers["X-Empty"]
		assert.True(t, found)
		assert.Empty(t, emptyValue)
		assert.NotContains(t, headers, "Mattermost-User-Id")
	})
}

func TestHeadersExactlyAsSent(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequest(http.MethodPost, testSiteURL+webhookPrefix+secretQuery(), strings.NewReader("x"))
	require.NoError(t, err)
	req.Header = http.Header{"X-One": {"1"}, "Content-Type": {"text/plain"}}
	req.Host = "mm.example.com"

	recorder := httptest.NewRecorder()
	e.service.Handle(recorder, req, testAppID, "")

	require.Equal(t, http.StatusOK, recorder.Code)
	got := e.app.receive(t)
	assert.Equal(t, map[string]string{"X-One": "1", "Content-Type": "text/plain", "Host": "mm.example.com"}, got.call.Values.Headers)
	assert.Contains(t, string(got.body), `"headers":{"Content-Type":"text/plain","Host":"mm.example.com","X-One":"1"}`, "keys are sorted")
}

func TestNonUTF8Bodies(t *testing.T) {
	tests := []struct {
		name         string
		body         []byte
		expectedData any
	}{
		{"binary", []byte{0xff, 'a', 0xc3, 0x00, '"', '\\', 0x1f}, "\ufffda\ufffd\x00\"\\\x1f"},
		{"truncated rune", []byte("caf\xc3"), "caf\ufffd"},
		{"surrogate bytes", []byte("\xed\xa0\x80"), "\ufffd\ufffd\ufffd"},
		{"line separators", []byte("a\u2028b\u2029c\n"), "a\u2028b\u2029c\n"},
		{"JSON with invalid UTF-8 in a string", []byte("{\"name\":\"caf\xe9\",\"n\":1}"), map[string]any{"name": "caf\ufffd", "n": json.Number("1")}},
		{"valid UTF-8 text", []byte("héllo wörld ✓ 😀"), "héllo wörld ✓ 😀"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				resp := send(webhookRequest{target: secretQuery(), body: test.body})

				assert.Equal(t, http.StatusOK, resp.status)
				got := e.app.receive(t)
				assert.Equal(t, test.expectedData, got.generic["values"].(map[string]any)["data"])
				assert.Equal(t, test.body, got.call.Values.RawBody)
			})
		})
	}
}

func TestCallContext(t *testing.T) {
	for _, developerMode := range []bool{false, true} {
		t.Run(map[bool]string{false: "developer mode off", true: "developer mode on"}[developerMode], func(t *testing.T) {
			e := newEnv(t)
			e.updateSettings(func(settings *config.Settings) { settings.DeveloperMode = developerMode })

			resp := sendToRecorder(t, e, webhookRequest{target: secretQuery()})

			require.Equal(t, http.StatusOK, resp.status)
			got := e.app.receive(t)
			assert.Equal(t, apps.Context{
				AppID:             testAppID,
				MattermostSiteURL: testSiteURL,
				AppPath:           "/plugins/com.mattermost.apps/apps/hello-webhooks",
				BotUserID:         testBotID,
				BotAccessToken:    testBotToken,
				DeveloperMode:     developerMode,
			}, got.call.Context)
			_, hasDeveloperMode := got.generic["context"].(map[string]any)["developer_mode"]
			assert.Equal(t, developerMode, hasDeveloperMode)
			assert.Nil(t, got.call.Expand)
			assert.Empty(t, got.call.State)
		})
	}
}

func TestExpandAndState(t *testing.T) {
	full := &apps.ExpandedApp{AppID: testAppID, Version: "1.2.3", BotUserID: testBotID, BotUsername: "hello-webhooks", DeployType: apps.DeployHTTP}
	summary := &apps.ExpandedApp{AppID: testAppID, Version: "1.2.3", BotUserID: testBotID, BotUsername: "hello-webhooks"}
	tests := []struct {
		level    apps.ExpandLevel
		expected *apps.ExpandedApp
	}{
		{"", nil},
		{"none", nil},
		{"id", &apps.ExpandedApp{AppID: testAppID}},
		{"summary", summary},
		{"+summary", summary},
		{"all", full},
		{"+all", full},
	}
	for _, test := range tests {
		t.Run(string(test.level), func(t *testing.T) {
			e := newEnv(t)
			expand := &apps.Expand{App: test.level, ActingUser: "+all", Channel: "all", Team: "summary", Locale: "all", ActingUserAccessToken: "+all"}
			e.updateApp(t, func(app *apps.App) {
				app.OnRemoteWebhook = &apps.Call{Path: "/hooks", Expand: expand, State: json.RawMessage(`{"n": 12345678901234567890, "s": "x"}`)}
			})

			resp := sendToRecorder(t, e, webhookRequest{target: secretQuery()})

			require.Equal(t, http.StatusOK, resp.status, "fields a webhook cannot have are left out, even when required")
			got := e.app.receive(t)
			assert.Equal(t, "/hooks", got.call.Path)
			assert.Equal(t, expand, got.call.Expand)
			assert.JSONEq(t, `{"n": 12345678901234567890, "s": "x"}`, string(got.call.State))
			assert.Contains(t, string(got.body), `"state":{"n":12345678901234567890,"s":"x"}`)
			assert.Equal(t, test.expected, got.call.Context.App)
			assert.Nil(t, got.call.Context.ActingUser)
			assert.Nil(t, got.call.Context.Channel)
			assert.Nil(t, got.call.Context.Team)
			assert.Empty(t, got.call.Context.ActingUserAccessToken)
			assert.Empty(t, got.call.Context.ActingUserID)
			assert.NotContains(t, toString(got.generic["context"]), testSecret, "the context of a webhook call never carries the webhook secret")
			assert.NotContains(t, string(got.body), "webhook_secret")
		})
	}
}

func TestJWTActsAsBot(t *testing.T) {
	const jwtSecret = "app-jwt-secret-value"
	e := newEnv(t)
	e.updateApp(t, func(app *apps.App) {
		app.HTTP.UseJWT = true
		app.JWTSecret = jwtSecret
	})

	resp := sendToRecorder(t, e, webhookRequest{target: secretQuery()})

	require.Equal(t, http.StatusOK, resp.status)
	header := e.app.receive(t).header.Get(upstream.HeaderAppAuthorization)
	var claims upstream.Claims
	_, err := jwt.ParseWithClaims(strings.TrimPrefix(header, "Bearer "), &claims, func(*jwt.Token) (any, error) {
		return []byte(jwtSecret), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	require.NoError(t, err)
	assert.Equal(t, testBotID, claims.ActingUserID)
}

func TestAppResponses(t *testing.T) {
	tests := []struct {
		name        string
		response    string
		contentType string
		body        string
	}{
		{"challenge data", `{"type":"ok","data":{"challenge":"c-123"}}`, "application/json", `{"challenge":"c-123"}`},
		{"data exactly as written", `{"type":"ok","data": {"n" : 12345678901234567890, "f":1.10} }`, "application/json", `{"n" : 12345678901234567890, "f":1.10}`},
		{"data wins over text", `{"type":"ok","text":"ignored","data":[1,2]}`, "application/json", `[1,2]`},
		{"text", `{"type":"ok","text":"OK"}`, "text/plain; charset=utf-8", "OK"},
		{"null data falls back to text", `{"type":"ok","text":"OK","data":null}`, "text/plain; charset=utf-8", "OK"},
		{"empty type", `{"text":"done"}`, "text/plain; charset=utf-8", "done"},
		{"nothing", `{"type":"ok"}`, "", ""},
		{"empty object", `{}`, "", ""},
		{"other type", `{"type":"navigate"}`, "", ""},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				e.app.setRespond(respondJSON(test.response))

				resp := send(webhookRequest{target: secretQuery(), body: []byte(`{"type":"url_verification","challenge":"c-123"}`)})

				assert.Equal(t, http.StatusOK, resp.status)
				assert.Equal(t, test.body, resp.body)
				assert.Equal(t, test.contentType, resp.header.Get("Content-Type"))
				e.app.receive(t)
			})
		})
	}
}

func TestAppFailures(t *testing.T) {
	tests := []struct {
		name    string
		respond http.HandlerFunc
	}{
		{"error response", respondJSON(`{"type":"error","text":"invalid signature ` + testSecret + `"}`)},
		{"status 500", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"type":"ok","text":"internal"}`, http.StatusInternalServerError)
		}},
		{"status 404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "OK") }},
		{"empty response", func(http.ResponseWriter, *http.Request) {}},
		{"oversized response", respondJSON(`{"type":"ok","text":"` + strings.Repeat("x", upstream.MaxResponseBytes) + `"}`)},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
				e.app.setRespond(test.respond)

				resp := send(webhookRequest{target: "/gh" + secretQuery("x=1"), body: []byte(`{"a":1}`)})

				assert.Equal(t, http.StatusBadGateway, resp.status)
				assert.Equal(t, msgBadGateway+"\n", resp.body)
				e.app.receive(t)
				assertFailureLogged(t, e, http.StatusBadGateway)
			})
		})
	}
}

func TestAppDown(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		e.app.server.Close()

		resp := send(webhookRequest{target: "/gh" + secretQuery()})

		assert.Equal(t, http.StatusBadGateway, resp.status)
		assert.Equal(t, msgBadGateway+"\n", resp.body)
		assert.NotContains(t, resp.body, "127.0.0.1")
		assertFailureLogged(t, e, http.StatusBadGateway)
	})
}

func TestAppTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		e.updateSettings(func(settings *config.Settings) { settings.DeliveryTimeout = timeout })
		e.app.setRespond(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			_, _ = io.WriteString(w, `{"type":"ok"}`)
		})

		start := time.Now()
		resp := send(webhookRequest{target: "/slow" + secretQuery()})
		elapsed := time.Since(start)

		assert.Equal(t, http.StatusGatewayTimeout, resp.status)
		assert.Equal(t, msgGatewayTimeout+"\n", resp.body)
		assert.GreaterOrEqual(t, elapsed, timeout)
		assert.Less(t, elapsed, timeout+300*time.Millisecond, "the sender must get 504 at the timeout")
		e.app.receive(t)
		assertFailureLogged(t, e, http.StatusGatewayTimeout)
	})
}

// assertFailureLogged checks the warning of a failed delivery: its fixed keys, and that it holds
// neither the secret nor the query.
func assertFailureLogged(t *testing.T, e *env, status int) {
	t.Helper()
	warnings := e.log.atLevel("warn")
	require.Len(t, warnings, 1)
	warning := warnings[0]
	assert.Equal(t, string(testAppID), warning.fields["app_id"])
	assert.Equal(t, status, warning.fields["status"])
	assert.Contains(t, warning.fields, "sub_path")
	assert.Contains(t, warning.fields, "duration_ms")
	require.Contains(t, warning.fields, "error")
	assert.NotEmpty(t, warning.fields["error"])
	assertNoSecretLogged(t, e)
}

func assertNoSecretLogged(t *testing.T, e *env) {
	t.Helper()
	for _, entry := range e.log.all() {
		text := entry.message
		for key, value := range entry.fields {
			text += " " + key + "=" + toString(value)
		}
		assert.NotContains(t, text, testSecret)
		assert.NotContains(t, text, testBotToken)
		assert.NotContains(t, text, "secret=")
	}
}

func toString(value any) string {
	encoded, _ := json.Marshal(value)
	return string(encoded)
}

func TestRejectedTrafficLoggedAtDebug(t *testing.T) {
	e := newEnv(t)

	sendToRecorder(t, e, webhookRequest{target: "?secret=wrong-" + testSecret})
	sendToRecorder(t, e, webhookRequest{method: http.MethodOptions})

	debug := e.log.atLevel("debug")
	require.Len(t, debug, 2)
	assert.Equal(t, map[string]any{"app_id": string(testAppID), "status": http.StatusUnauthorized, "method": http.MethodPost}, debug[0].fields)
	assert.Equal(t, map[string]any{"app_id": string(testAppID), "status": http.StatusMethodNotAllowed, "method": http.MethodOptions}, debug[1].fields)
	assert.Empty(t, e.log.atLevel("warn"))
	assertNoSecretLogged(t, e)
}

func TestSameDeliveryTwice(t *testing.T) {
	forEachFront(t, func(t *testing.T, e *env, send func(webhookRequest) webhookResponse) {
		request := webhookRequest{
			target: "/gh" + secretQuery(),
			header: http.Header{"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}},
			body:   []byte(`{"action":"opened"}`),
		}

		first := send(request)
		second := send(request)

		assert.Equal(t, http.StatusOK, first.status)
		assert.Equal(t, http.StatusOK, second.status)
		for range 2 {
			assert.Equal(t, "72d3162e-cc78-11e3-81ab-4c9367dc0958", e.app.receive(t).call.Values.Headers["X-Github-Delivery"])
		}
	})
}

func TestTokenFailure(t *testing.T) {
	e := newEnv(t)
	e.tokens.err = errors.New("session store unavailable")

	resp := sendToRecorder(t, e, webhookRequest{target: secretQuery()})

	assert.Equal(t, http.StatusInternalServerError, resp.status)
	assert.Equal(t, msgInternalError+"\n", resp.body)
	e.app.assertNotCalled(t)
	require.Len(t, e.log.atLevel("error"), 1)
	assert.Equal(t, string(testAppID), e.log.atLevel("error")[0].fields["app_id"])
}

func TestStoreFailure(t *testing.T) {
	e := newEnv(t)
	e.store.err = errors.New("kv store unavailable")

	resp := sendToRecorder(t, e, webhookRequest{target: secretQuery()})

	assert.Equal(t, http.StatusInternalServerError, resp.status)
	assert.NotContains(t, resp.body, "kv store")
	e.app.assertNotCalled(t)
	assert.Len(t, e.log.atLevel("error"), 1)
}

// failingBody returns an error after some bytes, like a sender that hangs up.
type failingBody struct{ sent bool }

func (b *failingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, `{"partial":`), nil
	}
	return 0, io.ErrUnexpectedEOF
}

func TestBodyReadFailure(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequest(http.MethodPost, testSiteURL+webhookPrefix+secretQuery(), &failingBody{})
	require.NoError(t, err)

	recorder := httptest.NewRecorder()
	e.service.Handle(recorder, req, testAppID, "")

	assert.Equal(t, http.StatusBadRequest, recorder.Code)
	e.app.assertNotCalled(t)
}

func TestSettingsReadPerRequest(t *testing.T) {
	e := newEnv(t)
	body := []byte(strings.Repeat("b", 600))

	first := sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: body})
	e.updateSettings(func(settings *config.Settings) { settings.MaxBodyBytes = 500 })
	second := sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: body})

	assert.Equal(t, http.StatusOK, first.status)
	assert.Equal(t, http.StatusRequestEntityTooLarge, second.status)
	e.app.receive(t)
}

func TestZeroSettingsUseDefaults(t *testing.T) {
	e := newEnv(t)
	e.updateSettings(func(settings *config.Settings) { *settings = config.Settings{SiteURL: testSiteURL} })

	resp := sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: []byte(`{"a":1}`)})

	assert.Equal(t, http.StatusOK, resp.status)
	e.app.receive(t)
}

func TestConcurrentDeliveries(t *testing.T) {
	e := newEnv(t)
	server := httptest.NewServer(asMattermostDoes(routeToService(e.service)))
	t.Cleanup(server.Close)
	const senders, perSender = 16, 10

	var wg sync.WaitGroup
	statuses := make(chan int, senders*perSender)
	for sender := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				body := strings.NewReader(`{"sender":` + strconv.Itoa(sender) + `,"i":` + strconv.Itoa(i) + `}`)
				resp, err := http.Post(server.URL+webhookPrefix+"/s"+secretQuery(), "application/json", body)
				if err != nil {
					statuses <- 0
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				statuses <- resp.StatusCode
			}
		}()
	}
	wg.Wait()
	close(statuses)

	for status := range statuses {
		assert.Equal(t, http.StatusOK, status)
	}
	seen := map[string]bool{}
	for range senders * perSender {
		seen[string(e.app.receive(t).call.Values.Data)] = true
	}
	assert.Len(t, seen, senders*perSender, "every delivery must reach the app with its own body")
}

func TestSuccessLoggedOnlyInDeveloperMode(t *testing.T) {
	e := newEnv(t)

	response := sendToRecorder(t, e, webhookRequest{target: secretQuery()})
	require.Equal(t, http.StatusOK, response.status)
	assert.Empty(t, e.log.all(), "a delivered webhook makes no log call outside developer mode")

	e.updateSettings(func(settings *config.Settings) { settings.DeveloperMode = true })
	response = sendToRecorder(t, e, webhookRequest{target: secretQuery()})
	require.Equal(t, http.StatusOK, response.status)

	debug := e.log.atLevel("debug")
	require.Len(t, debug, 1)
	assert.Equal(t, "Delivered webhook", debug[0].message)
	assert.Equal(t, string(testAppID), debug[0].fields["app_id"])
	assert.Equal(t, http.StatusOK, debug[0].fields["status"])
	assertNoSecretLogged(t, e)
}
