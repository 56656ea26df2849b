package webhook

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
)

var benchmarkSizes = []int{1 << 10, 64 << 10, 1 << 20}

func sizeName(size int) string {
	if size >= 1<<20 {
		return strconv.Itoa(size>>20) + "MiB"
	}
	return strconv.Itoa(size>>10) + "KiB"
}

// jsonBody returns a JSON object of exactly size bytes, shaped like a webhook payload.
func jsonBody(size int) []byte {
	head := `{"action":"opened","id":616581622363398142,"text":"`
	tail := `"}`
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
}

// formBody returns a form-encoded body of exactly size bytes, which is sent as a JSON string.
func formBody(size int) []byte {
	return []byte(("payload=" + strings.Repeat("%7B%22a%22%3A1%7D\n", size/18+1))[:size])
}

// binaryBody returns size bytes of which most need an escape in a JSON string.
func binaryBody(size int) []byte {
	return bytes.Repeat([]byte{0xff, 0x00, '"', 'a'}, size/4+1)[:size]
}

// BenchmarkHandle measures one webhook delivery through Handle: a ResponseRecorder in front, a
// POST with a JSON body of the given size and a known length, the App found in a fake store,
// and an httptest App on loopback that reads the whole call and responds with {"type":"ok"} at once.
// The App runs in the same process, so its CPU time and allocations are counted too. Bytes per
// second refer to the sender's body. Run it with
// go test -run='^$' -bench=BenchmarkHandle -benchmem ./server/webhook/
func BenchmarkHandle(b *testing.B) {
	appServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"type":"ok"}`)
	}))
	defer appServer.Close()

	store := &fakeApps{apps: map[apps.AppID]*apps.App{testAppID: installedApp(appServer.URL)}}
	settings := config.Settings{MaxBodyBytes: 32 << 20, DeliveryTimeout: 10 * time.Second, SiteURL: testSiteURL}
	service := New(store, &fakeTokens{token: testBotToken}, upstream.New(nil), func() config.Settings { return settings }, &recordingLogger{})
	target := testSiteURL + webhookPrefix + "/github" + secretQuery()

	for _, size := range benchmarkSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			body := jsonBody(size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "push")
				recorder := httptest.NewRecorder()

				service.Handle(recorder, req, testAppID, "/github")

				if recorder.Code != http.StatusOK {
					b.Fatalf("status %d: %s", recorder.Code, recorder.Body)
				}
			}
		})
	}
}

// BenchmarkEncodeCallRequest measures building a webhook CallRequest and reading all of it in
// 4 KiB reads, the size of the HTTP transport's default write buffer, with nothing sent. "json"
// bodies go out verbatim, "form" bodies as an escaped JSON string, and "binary" bodies have an
// escape in most bytes. Bytes per second refer to the sender's body. Run it with
// go test -run='^$' -bench=BenchmarkEncodeCallRequest -benchmem ./server/webhook/
func BenchmarkEncodeCallRequest(b *testing.B) {
	kinds := []struct {
		name string
		body func(int) []byte
	}{
		{"json", jsonBody},
		{"form", formBody},
		{"binary", binaryBody},
	}
	for _, kind := range kinds {
		for _, size := range benchmarkSizes {
			b.Run(kind.name+"/"+sizeName(size), func(b *testing.B) {
				input := testInput(kind.body(size))
				buffer := make([]byte, 4<<10)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					request, err := encodeCallRequest(input)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.CopyBuffer(io.Discard, onlyReader{request.newReader()}, buffer); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// onlyReader hides every method but Read, so that io.CopyBuffer uses the given buffer.
type onlyReader struct {
	io.Reader
}

// BenchmarkAuthenticate measures the secret check of one request: finding the first "secret"
// parameter in the raw query and comparing it in constant time. Run it with
// go test -run='^$' -bench=BenchmarkAuthenticate -benchmem ./server/webhook/
func BenchmarkAuthenticate(b *testing.B) {
	app := installedApp("http://127.0.0.1:1")
	queries := map[string]string{
		"first":   "secret=" + testSecret,
		"last":    "To=%2B15550001111&Body=Hi%20there&From=%2B15550002222&secret=" + testSecret,
		"escaped": "s%65cret=" + strings.ReplaceAll(testSecret, "_", "%5F"),
		"wrong":   "secret=" + strings.Repeat("x", len(testSecret)),
	}
	for name, query := range queries {
		b.Run(name, func(b *testing.B) {
			expected := name != "wrong"
			b.ReportAllocs()
			for b.Loop() {
				if isAuthenticated(app, query) != expected {
					b.Fatal("unexpected result")
				}
			}
		})
	}
}
