package webhook

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
)

// newBodyRequest returns a request whose body has no declared length when chunked is true.
func newBodyRequest(body string, chunked bool) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if chunked {
		r.ContentLength = -1
		r.Body = io.NopCloser(io.MultiReader(strings.NewReader(body)))
	} else {
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return r
}

func TestReadBodyReservesWhatItAllocates(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			payload := strings.Repeat("x", 200<<10)
			var budget bodyBudget

			body, reserved, err := readBody(newBodyRequest(payload, chunked), 1<<20, func(n int64) bool { return budget.reserve(n, 4<<20) })

			require.NoError(t, err)
			assert.Equal(t, payload, string(body))
			assert.Equal(t, int64(cap(body)), reserved)
			assert.Equal(t, reserved, budget.used.Load())
			budget.release(reserved)
			assert.Zero(t, budget.used.Load())
		})
	}
}

func TestReadBodyFailsWhenBudgetIsSpent(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			var budget bodyBudget
			budget.used.Store(3 << 20)

			_, reserved, err := readBody(newBodyRequest(strings.Repeat("x", 2<<20), chunked), 4<<20, func(n int64) bool { return budget.reserve(n, 4<<20) })

			require.ErrorIs(t, err, errBusy)
			budget.release(reserved)
			assert.Equal(t, int64(3<<20), budget.used.Load(), "a refused request leaves the budget as it found it")
		})
	}
}

func TestBusyBudgetAnswers503(t *testing.T) {
	e := newEnv(t)
	budget := inFlightBodiesPerCap * e.getSettings().MaxBodyBytes
	e.service.bodies.used.Store(budget)

	response := sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: []byte(`{"a":1}`)})

	assert.Equal(t, http.StatusServiceUnavailable, response.status)
	assert.Equal(t, msgBusy, strings.TrimSpace(response.body))
	assert.Equal(t, retryAfterSeconds, response.header.Get("Retry-After"))
	e.app.assertNotCalled(t)

	e.service.bodies.used.Store(0)
	response = sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: []byte(`{"a":1}`)})
	assert.Equal(t, http.StatusOK, response.status)
	assert.Zero(t, e.service.bodies.used.Load(), "a delivered request releases its body")
}

func TestBudgetFollowsTheBodyCap(t *testing.T) {
	e := newEnv(t)
	e.updateSettings(func(settings *config.Settings) { settings.MaxBodyBytes = 1 << 10 })
	e.service.bodies.used.Store(inFlightBodiesPerCap<<10 - 100)

	response := sendToRecorder(t, e, webhookRequest{target: secretQuery(), body: bytes.Repeat([]byte("a"), 200)})

	assert.Equal(t, http.StatusServiceUnavailable, response.status)
}
