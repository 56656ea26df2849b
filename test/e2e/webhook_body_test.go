//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeRawBody returns the bytes of the call's values.rawBody, which must be standard padded
// base64.
func decodeRawBody(t testing.TB, call recordedCall) []byte {
	t.Helper()
	encoded := requireJSONString(t, call.values(), "rawBody")
	decoded, err := base64.StdEncoding.DecodeString(encoded)
	require.NoError(t, err, "rawBody is not standard base64: %q", encoded)
	return decoded
}

// TestWebhookBodies checks how the App gets the sender's body, as data and as rawBody.
func TestWebhookBodies(t *testing.T) {
	t.Parallel()
	env := loadEnv(t)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "bodies"))
	query := "secret=" + installed.Secret()

	t.Run("form body stays a string", func(t *testing.T) {
		body := `payload=%7B%22action%22%3A%22opened%22%7D`
		header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "/gh", query), header, strings.NewReader(body))
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		call := app.last(t)
		assert.Equal(t, body, call.values()["data"], "data of a form body")
		assert.Equal(t, []byte(body), decodeRawBody(t, call))
		headers, _ := call.values()["headers"].(map[string]any)
		assert.Equal(t, "application/x-www-form-urlencoded", headers["Content-Type"])
	})

	t.Run("content type plays no part", func(t *testing.T) {
		for name, contentType := range map[string]string{"none": "", "text/plain": "text/plain", "form": "application/x-www-form-urlencoded"} {
			t.Run(name, func(t *testing.T) {
				header := http.Header{}
				if contentType != "" {
					header.Set("Content-Type", contentType)
				}
				response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "", query), header, strings.NewReader(`{"text":"build 12 ok"}`))
				require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
				call := app.last(t)
				assert.Equal(t, map[string]any{"text": "build 12 ok"}, call.values()["data"])
				headers, _ := call.values()["headers"].(map[string]any)
				if contentType == "" {
					assert.NotContains(t, headers, "Content-Type", "the App got a Content-Type that the sender did not send")
				} else {
					assert.Equal(t, contentType, headers["Content-Type"])
				}
			})
		}
	})

	t.Run("numbers keep every digit", func(t *testing.T) {
		body := `{"id":616581622363398142,"amount":1.10,"big":123456789012345678901234567890}`
		response := postWebhook(t, env, installed.ID, "", query, body)
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		call := app.last(t)
		data, ok := call.values()["data"].(map[string]any)
		require.True(t, ok, "data is not an object: %s", call.Body)
		assert.Equal(t, json.Number("616581622363398142"), data["id"])
		assert.Equal(t, json.Number("1.10"), data["amount"])
		assert.Equal(t, json.Number("123456789012345678901234567890"), data["big"])
		assert.Contains(t, string(call.Body), `"id":616581622363398142`, "the CallRequest JSON")
	})

	t.Run("rawBody passes HMAC check", func(t *testing.T) {
		body := []byte(`{"zen": "Keep it simple", "hook_id": 1, "note": "<b>&"}`)
		require.Len(t, body, 55)
		key := []byte("e2e-github-webhook-key")
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		signature := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		header := http.Header{"Content-Type": {"application/json"}, "X-Hub-Signature-256": {signature}}

		response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "/gh", query), header, bytes.NewReader(body))
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		call := app.last(t)
		rawBody := decodeRawBody(t, call)
		assert.Equal(t, body, rawBody, "rawBody bytes")

		headers, _ := call.values()["headers"].(map[string]any)
		received, _ := headers["X-Hub-Signature-256"].(string)
		assert.Equal(t, signature, received, "signature header")
		check := hmac.New(sha256.New, key)
		check.Write(rawBody)
		assert.True(t, hmac.Equal([]byte(received), []byte("sha256="+hex.EncodeToString(check.Sum(nil)))), "HMAC check over rawBody failed")

		data, ok := call.values()["data"].(map[string]any)
		require.True(t, ok, "data is not an object: %s", call.Body)
		assert.Equal(t, "<b>&", data["note"])
	})

	t.Run("other bodies", func(t *testing.T) {
		tests := []struct {
			name string
			body string
			data any
		}{
			{"array", `[1,"two"]`, []any{json.Number("1"), "two"}},
			{"number", `42`, json.Number("42")},
			{"object with spaces around", " \n{\"a\":true}\n ", map[string]any{"a": true}},
			{"invalid JSON", `{"a":`, `{"a":`},
			{"plain text", "disk full on db-1", "disk full on db-1"},
			{"JSON then garbage", `{"a":1} trailing`, `{"a":1} trailing`},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				response := postWebhook(t, env, installed.ID, "", query, test.body)
				require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
				call := app.last(t)
				assert.Equal(t, test.data, call.values()["data"])
				assert.Equal(t, []byte(test.body), decodeRawBody(t, call))
			})
		}
	})

	t.Run("binary body", func(t *testing.T) {
		body := []byte{0x00, 0xff, 0xfe, 'a', 0x80, '\n', 0xc3}
		response := sendWebhook(t, http.MethodPost, env.webhookURL(installed.ID, "", query),
			http.Header{"Content-Type": {"application/octet-stream"}}, bytes.NewReader(body))
		require.Equal(t, http.StatusOK, response.Status, "body: %s", response.Body)
		assert.Equal(t, body, decodeRawBody(t, app.last(t)))
	})

	t.Run("chunked body in two chunks", func(t *testing.T) {
		response, responseBody := sendRawChunked(t, env, webhookPath(installed.ID)+"?"+query,
			[]string{`{"msg":`, `"hello"}`})
		require.Equal(t, http.StatusOK, response.StatusCode, "body: %s", responseBody)
		call := app.last(t)
		assert.Equal(t, map[string]any{"msg": "hello"}, call.values()["data"])
		assert.Equal(t, []byte(`{"msg":"hello"}`), decodeRawBody(t, call))
	})
}

// TestWebhookBodySizeCap sets the body size cap to 1 MiB. A body of exactly the cap is delivered
// and one byte more gets 413, with a Content-Length and chunked. It changes a plugin setting, so
// it does not run in parallel.
func TestWebhookBodySizeCap(t *testing.T) {
	env := loadEnv(t)
	client := newAdminClient(env)
	app := newTestApp(t)
	installed := installTestApp(t, env, app, uniqueAppID(t, "cap"))
	const capBytes = 1 << 20
	path := webhookPath(installed.ID) + "/cap?secret=" + installed.Secret()

	t.Run("over the default cap of 32 MiB", func(t *testing.T) {
		before := app.count()
		response, responseBody := sendRawDeclared(t, env, path, 32*capBytes+1, 1024)
		assert.Equal(t, http.StatusRequestEntityTooLarge, response.StatusCode, "body: %s", responseBody)
		assertNotCalled(t, app, before, "a declared Content-Length over the default cap")
	})

	client.setPluginSetting(t, "MaxWebhookBodyMB", 1)
	url := env.webhookURL(installed.ID, "/cap", "secret="+installed.Secret())

	tests := []struct {
		name     string
		size     int
		chunked  bool
		expected int
	}{
		{"cap with Content-Length", capBytes, false, http.StatusOK},
		{"cap plus one with Content-Length", capBytes + 1, false, http.StatusRequestEntityTooLarge},
		{"cap chunked", capBytes, true, http.StatusOK},
		{"cap plus one chunked", capBytes + 1, true, http.StatusRequestEntityTooLarge},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("a"), test.size)
			var reader io.Reader = bytes.NewReader(body)
			if test.chunked {
				// A reader of unknown length makes Go's client send Transfer-Encoding: chunked.
				reader = struct{ io.Reader }{reader}
			}
			before := app.count()

			response := sendWebhook(t, http.MethodPost, url, nil, reader)
			require.Equal(t, test.expected, response.Status, "body: %.200s", response.Body)
			if test.expected != http.StatusOK {
				assertShortFixedBody(t, response, installed)
				assertNotCalled(t, app, before, test.name)
				return
			}
			calls := app.recorded()[before:]
			requireCallCount(t, calls, 1, "calls")
			assert.Equal(t, body, decodeRawBody(t, calls[0]), "rawBody of the body at the cap")
			headers, _ := calls[0].values()["headers"].(map[string]any)
			if test.chunked {
				assert.NotContains(t, headers, "Content-Length", "a chunked request has no Content-Length")
			} else {
				assert.Equal(t, fmt.Sprint(capBytes), headers["Content-Length"])
			}
		})
	}

	t.Run("declared length refused before reading", func(t *testing.T) {
		before := app.count()
		// Only the first kilobyte of the declared 2 MiB is sent. The plugin must respond from the
		// Content-Length header alone, because waiting for the rest runs into the read deadline.
		response, responseBody := sendRawDeclared(t, env, path, 2*capBytes, 1024)
		assert.Equal(t, http.StatusRequestEntityTooLarge, response.StatusCode, "body: %s", responseBody)
		assertNotCalled(t, app, before, "a declared Content-Length over the cap")
	})
}

// rawTimeout bounds one request sent over a raw TCP connection.
const rawTimeout = 10 * time.Second

// dialServer opens a TCP connection to the Mattermost server with a deadline of rawTimeout.
func dialServer(t testing.TB, env testEnv) (net.Conn, string) {
	t.Helper()
	site, err := url.Parse(env.SiteURL)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", site.Host, 5*time.Second)
	require.NoError(t, err, "connecting to %s", site.Host)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(rawTimeout)))
	return conn, site.Host
}

// readRawResponse reads one HTTP response from conn.
func readRawResponse(t testing.TB, conn net.Conn, request *http.Request) (*http.Response, []byte) {
	t.Helper()
	response, err := http.ReadResponse(bufio.NewReader(conn), request)
	require.NoError(t, err, "reading the response (timeout %s)", rawTimeout)
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	require.NoError(t, err, "reading the response body")
	return response, body
}

// sendRawChunked POSTs chunks to path (relative to the site URL) with Transfer-Encoding: chunked
// and no Content-Length, one chunk per write with a pause in between, as a streaming sender does.
func sendRawChunked(t testing.TB, env testEnv, path string, chunks []string) (*http.Response, []byte) {
	t.Helper()
	conn, host := dialServer(t, env)
	head := "POST " + path + " HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"User-Agent: " + senderUserAgent + "\r\n" +
		"Content-Type: application/json\r\n" +
		"Transfer-Encoding: chunked\r\n" +
		"Connection: close\r\n\r\n"
	_, err := io.WriteString(conn, head)
	require.NoError(t, err)
	for _, chunk := range chunks {
		_, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk)
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
	}
	_, err = io.WriteString(conn, "0\r\n\r\n")
	require.NoError(t, err)
	return readRawResponse(t, conn, &http.Request{Method: http.MethodPost})
}

// sendRawDeclared POSTs to path with Content-Length: declared but sends only the first sent bytes
// of the body, then waits for the response.
func sendRawDeclared(t testing.TB, env testEnv, path string, declared, sent int) (*http.Response, []byte) {
	t.Helper()
	conn, host := dialServer(t, env)
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		path, host, senderUserAgent, declared)
	_, err := io.WriteString(conn, head)
	require.NoError(t, err)
	_, err = conn.Write(bytes.Repeat([]byte("a"), sent))
	require.NoError(t, err)
	return readRawResponse(t, conn, &http.Request{Method: http.MethodPost})
}
