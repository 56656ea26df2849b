package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
)

// readInChunks reads r to the end with reads of at most size bytes.
func readInChunks(t testing.TB, r io.Reader, size int) []byte {
	t.Helper()
	var out []byte
	buffer := make([]byte, size)
	for range 1 << 30 {
		n, err := r.Read(buffer)
		out = append(out, buffer[:n]...)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		require.False(t, n == 0, "Read returned 0 bytes without an error")
	}
	return out
}

// encodeWithEncodingJSON returns what encoding/json writes for text without HTML escaping.
func encodeWithEncodingJSON(t testing.TB, text string) string {
	t.Helper()
	encoded, err := marshalJSON(text)
	require.NoError(t, err)
	return string(encoded)
}

var escapeSamples = []string{
	"",
	"plain ascii",
	`quote " and backslash \ and slash /`,
	"controls \x00\x01\b\f\n\r\t\x1f\x7f",
	"html <b>&amp;</b>",
	"héllo wörld ✓ 😀 中文",
	"separators \u2028 and \u2029 and \u2027",
	"invalid \xff\xfe bytes",
	"truncated \xe2\x82",
	"surrogate \xed\xa0\x80 half",
	"overlong \xc0\xaf slash",
	"valid replacement char \ufffd",
	"\xf4\x90\x80\x80 above U+10FFFF",
	strings.Repeat("é", 100) + "\x80",
}

func TestEscapeStringMatchesEncodingJSON(t *testing.T) {
	samples := append([]string(nil), escapeSamples...)
	for b := range 256 {
		samples = append(samples, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"é")
	}

	for _, sample := range samples {
		expected := encodeWithEncodingJSON(t, sample)
		expected = expected[1 : len(expected)-1]
		for _, size := range []int{1, 2, 3, 5, 6, 7, 4096} {
			got := readInChunks(t, newEscapeReader([]byte(sample), escapeString), size)

			assert.Equal(t, expected, string(got), "sample %q, read size %d", sample, size)
		}
		assert.Equal(t, int64(len(expected)), escapedLen([]byte(sample), escapeString), "sample %q", sample)
	}
}

func TestEscapeInvalidUTF8KeepsJSON(t *testing.T) {
	samples := []string{
		`{"name":"café"}`,
		"{\"name\":\"caf\xe9\",\"n\":616581622363398142}",
		"[\"\xff\xfe\", \"ok\", 1.10]",
		"\"\xed\xa0\x80\"",
		"{\"\xc3\": true}",
	}
	for _, sample := range samples {
		require.True(t, json.Valid([]byte(sample)), "sample %q", sample)
		for _, size := range []int{1, 2, 5, 6, 4096} {
			got := readInChunks(t, newEscapeReader([]byte(sample), escapeInvalidUTF8), size)

			assert.True(t, json.Valid(got), "output %q", got)
			assert.True(t, utf8.Valid(got), "output %q", got)
			assert.Equal(t, decodeGeneric(t, []byte(sample)), decodeGeneric(t, got), "sample %q", sample)
			assert.Equal(t, int64(len(got)), escapedLen([]byte(sample), escapeInvalidUTF8))
		}
	}
}

func decodeGeneric(t testing.TB, data []byte) any {
	t.Helper()
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var value any
	require.NoError(t, decoder.Decode(&value), "data %q", data)
	return value
}

func TestBase64Reader(t *testing.T) {
	random := rand.New(rand.NewSource(1))
	for length := range 40 {
		src := make([]byte, length)
		random.Read(src)
		expected := base64.StdEncoding.EncodeToString(src)
		for _, size := range []int{1, 2, 3, 4, 5, 7, 8, 9, 4096} {
			got := readInChunks(t, newBase64Reader(src), size)

			assert.Equal(t, expected, string(got), "length %d, read size %d", length, size)
		}
	}
}

func TestReadersAcceptEmptyBuffer(t *testing.T) {
	for name, reader := range map[string]io.Reader{
		"escape": newEscapeReader([]byte("a\"b"), escapeString),
		"base64": newBase64Reader([]byte("abc")),
	} {
		t.Run(name, func(t *testing.T) {
			n, err := reader.Read(nil)

			assert.Zero(t, n)
			assert.NoError(t, err)
		})
	}
}

func testInput(body []byte) callInput {
	app := installedApp("http://127.0.0.1:1")
	return callInput{
		app:      app,
		subPath:  "/gh/",
		method:   http.MethodPost,
		headers:  map[string]string{"Content-Type": "application/json", "X-Multi": "a, b", "Host": "mm.example.com"},
		body:     body,
		rawQuery: "secret=" + testSecret + "&a=%20&b=<>",
		botToken: testBotToken,
		settings: config.Settings{SiteURL: testSiteURL, DeveloperMode: true},
	}
}

// checkEncoding encodes body, reads the result in chunks of readSize bytes and checks every
// property of the encoding.
func checkEncoding(t testing.TB, body []byte, readSize int) {
	request, err := encodeCallRequest(testInput(body))
	require.NoError(t, err)
	encoded := readInChunks(t, request.newReader(), readSize)

	require.Equal(t, request.length, int64(len(encoded)), "the computed length must match")
	require.True(t, json.Valid(encoded), "invalid JSON %q", encoded)
	require.True(t, utf8.Valid(encoded), "invalid UTF-8 %q", encoded)

	var call receivedCall
	require.NoError(t, decodeStrict(encoded, &call))
	assert.Equal(t, "/webhook/gh", call.Path)
	assert.Equal(t, string(body), string(call.Values.RawBody), "rawBody must decode to the exact body")
	assert.Equal(t, "secret="+testSecret+"&a=%20&b=<>", call.Values.RawQuery)
	assert.Equal(t, map[string]string{"Content-Type": "application/json", "X-Multi": "a, b", "Host": "mm.example.com"}, call.Values.Headers)
	assert.Equal(t, testBotToken, call.Context.BotAccessToken)
	assert.True(t, call.Context.DeveloperMode)

	switch {
	case len(body) > 0 && json.Valid(body):
		assert.Equal(t, decodeGeneric(t, body), decodeGeneric(t, call.Values.Data), "data must be the body's JSON value")
		if utf8.Valid(body) {
			assert.Equal(t, string(bytes.Trim(body, " \t\r\n")), string(call.Values.Data), "data must be the body verbatim")
		}
	default:
		var data string
		require.NoError(t, json.Unmarshal(call.Values.Data, &data))
		var expected string
		require.NoError(t, json.Unmarshal([]byte(encodeWithEncodingJSON(t, string(body))), &expected))
		assert.Equal(t, expected, data, "data must be the body as encoding/json decodes it")
	}

	replayed, err := request.newReader().(interface {
		GetBody() (io.ReadCloser, error)
	}).GetBody()
	require.NoError(t, err)
	again, err := io.ReadAll(replayed)
	require.NoError(t, err)
	assert.Equal(t, encoded, again, "GetBody must produce the same request")
}

func TestEncodeCallRequest(t *testing.T) {
	bodies := map[string][]byte{
		"empty":              nil,
		"JSON object":        []byte(`{"id":616581622363398142,"amount":1.10,"s":"a\"b<>&"}`),
		"JSON with spaces":   []byte("\n  [1e400, -0.0, {\"a\": null}]  \r\n"),
		"JSON scalar":        []byte(`12345678901234567890`),
		"JSON invalid UTF-8": []byte("{\"name\":\"caf\xe9\"}"),
		"form":               []byte("payload=%7B%22action%22%3A%22opened%22%7D"),
		"text with escapes":  []byte("line 1\nline \"2\"\t\\ \u2028 end"),
		"binary":             {0x00, 0xff, 0x80, '"', 0x1f, 0xc3},
		"almost JSON":        []byte(`{"a":1`),
		"whitespace only":    []byte(" \n"),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			for _, size := range []int{1, 3, 7, 512, 32 << 10} {
				checkEncoding(t, body, size)
			}
		})
	}
}

func TestEncodeCallRequestLargeBodies(t *testing.T) {
	random := rand.New(rand.NewSource(2))
	binary := make([]byte, 300<<10)
	random.Read(binary)
	largeJSON := []byte(`{"commits":[` + strings.Repeat(`{"id":"abc","message":"fix \"quotes\" and é"},`, 5000) + `{}]}`)
	largeText := []byte(strings.Repeat("key=value&other=\"x\"\n", 10000))

	for name, body := range map[string][]byte{"binary": binary, "JSON": largeJSON, "text": largeText} {
		t.Run(name, func(t *testing.T) {
			checkEncoding(t, body, 32<<10)
			checkEncoding(t, body, 4093)
		})
	}
}

// TestEncodingDoesNotCopyBody checks that encoding and sending a large body allocates little
// beyond the body itself: the readers work on the body in place.
func TestEncodingDoesNotCopyBody(t *testing.T) {
	const size = 8 << 20
	bodies := map[string][]byte{
		"JSON":   []byte(`{"blob":"` + strings.Repeat("a", size) + `"}`),
		"text":   []byte(strings.Repeat("a=b&c=\"d\"\n", size/10)),
		"binary": bytes.Repeat([]byte{0xff, 0x00, 'x'}, size/3),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)

			request, err := encodeCallRequest(testInput(body))
			require.NoError(t, err)
			written, err := io.CopyBuffer(io.Discard, request.newReader(), make([]byte, 32<<10))
			require.NoError(t, err)

			runtime.ReadMemStats(&after)
			require.Equal(t, request.length, written)
			allocated := after.TotalAlloc - before.TotalAlloc
			assert.Less(t, allocated, uint64(256<<10), "encoding a %d-byte body allocated %d bytes", len(body), allocated)
		})
	}
}

func TestChooseDataMode(t *testing.T) {
	tests := map[string]dataMode{
		"":                 dataString,
		"{}":               dataVerbatim,
		" 1 ":              dataVerbatim,
		"\"x\"":            dataVerbatim,
		"{\"a\":\"\xff\"}": dataRepairedJSON,
		"a=1":              dataString,
		"\xef\xbb\xbf{}":   dataString,
		"{} {}":            dataString,
	}
	for body, expected := range tests {
		t.Run(body, func(t *testing.T) {
			assert.Equal(t, expected, chooseDataMode([]byte(body)))
		})
	}
}

func TestExpandAppWithoutExpand(t *testing.T) {
	assert.Nil(t, expandApp(&apps.App{}, nil))
	assert.Nil(t, expandApp(&apps.App{}, &apps.Expand{App: "bogus"}))
}

// FuzzEncodeCallRequest checks that any body, read in chunks of any size, encodes to valid JSON
// of the computed length, whose rawBody is the exact body and whose data is its JSON value or
// its text.
func FuzzEncodeCallRequest(f *testing.F) {
	for _, sample := range escapeSamples {
		f.Add([]byte(sample), uint8(3))
	}
	f.Add([]byte(`{"id":616581622363398142,"amount":1.10}`), uint8(1))
	f.Add([]byte("payload=%7B%22action%22%3A%22opened%22%7D"), uint8(7))
	f.Add([]byte("{\"a\":\"\xff\"}"), uint8(0))

	f.Fuzz(func(t *testing.T, body []byte, readSize uint8) {
		checkEncoding(t, body, int(readSize)%64+1)
	})
}
