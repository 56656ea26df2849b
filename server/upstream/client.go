// Package upstream is the HTTP client that calls Apps. It joins an App's root URL with a call path,
// signs the call with a JWT when the App requires one, bounds every call in time and size, and
// sorts failures into the sentinel errors ErrUnreachable, ErrTimeout and ErrBadResponse.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Sentinel errors of a failed call. Match them with errors.Is.
var (
	// ErrUnreachable: the connection to the App failed (refused, DNS, reset, TLS).
	ErrUnreachable = errors.New("app is unreachable")
	// ErrTimeout: the App's complete response did not arrive before the call's deadline.
	ErrTimeout = errors.New("app timed out")
	// ErrBadResponse: the App responded with a non-2xx status, a body that is not a JSON
	// CallResponse, or a body over MaxResponseBytes.
	ErrBadResponse = errors.New("invalid response from app")
)

// Limits of calls to Apps.
const (
	// MaxResponseBytes caps the body of an App's response.
	MaxResponseBytes = 1 << 20
	// DefaultCallTimeout bounds a call whose context has no deadline.
	DefaultCallTimeout = 30 * time.Second
	// maxCallDuration bounds the wait for response headers as a backstop. It is above the longest
	// delivery timeout an admin can set (300 seconds), because the caller's context should end first.
	maxCallDuration = 310 * time.Second
)

// HeaderAppAuthorization carries the JWT of a call to an App that sets http.use_jwt.
const HeaderAppAuthorization = "Mattermost-App-Authorization"

const userAgent = "Mattermost-Apps-Plugin"

// Logger is the part of the plugin API logger the client uses. *pluginapi.LogService implements it.
type Logger interface {
	Debug(message string, keyValuePairs ...any)
	Info(message string, keyValuePairs ...any)
	Warn(message string, keyValuePairs ...any)
	Error(message string, keyValuePairs ...any)
}

// Client calls Apps over HTTP. It is safe for concurrent use, and one Client should serve the whole
// plugin so that connections to an App are kept alive and reused.
type Client struct {
	// calls follows no redirects: a redirected POST would lose its body or its method.
	calls *http.Client
	// fetches follows redirects, because manifests are often served from redirecting hosts.
	fetches *http.Client
	log     Logger
}

// New creates a Client with its own connection pool.
func New(log Logger) *Client {
	transport := newTransport()
	return &Client{
		calls: &http.Client{
			Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		fetches: &http.Client{Transport: transport},
		log:     log,
	}
}

// newTransport returns a transport tuned for many concurrent calls to a few hosts. A plugin
// usually calls a handful of Apps, so the idle pool per host is much larger than Go's default of 2.
func newTransport() *http.Transport {
	dialer := &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		ResponseHeaderTimeout: maxCallDuration,
		// Webhook calls carry bodies of up to tens of MiB. A write buffer larger than the default
		// 4 KiB cut the time of a 64 KiB delivery by about a sixth in BenchmarkHandle.
		WriteBufferSize: 32 << 10,
	}
}

// Call JSON-encodes creq and POSTs it to the App at creq.Path. See Post for the outcomes.
func (c *Client) Call(ctx context.Context, app *apps.App, creq *apps.CallRequest, actingUserID string) (*apps.CallResponse, error) {
	data, err := json.Marshal(creq)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to encode call %s of app %s", creq.Path, app.AppID)
	}
	return c.Post(ctx, app, creq.Path, actingUserID, bytes.NewReader(data), int64(len(data)))
}

// Post POSTs an already encoded CallRequest body to the App at path, with contentLength bytes
// (-1 when unknown, which sends the body chunked). If body also has a method
// GetBody() (io.ReadCloser, error) that returns a fresh copy of it, the transport may resend the
// request when a kept-alive connection turns out to be closed before anything was written.
//
// A response of type "error" is returned without an error, so callers check resp.IsError().
// Errors wrap ErrUnreachable, ErrTimeout or ErrBadResponse, or context.Canceled when the caller
// gave up. Their text names the App and the path, never a secret or the JWT.
func (c *Client) Post(ctx context.Context, app *apps.App, path string, actingUserID string, body io.Reader, contentLength int64) (*apps.CallResponse, error) {
	start := time.Now()
	ctx, cancel := withDefaultTimeout(ctx, DefaultCallTimeout)
	defer cancel()

	req, err := c.newCallRequest(ctx, app, path, actingUserID, body, contentLength)
	if err != nil {
		return nil, err
	}

	resp, err := c.calls.Do(req)
	if err != nil {
		err = classifyTransportError(ctx, err, "failed to call app %s at %s", app.AppID, path)
		c.logCall(app, path, 0, start, err)
		return nil, err
	}
	defer resp.Body.Close()

	callResponse, err := readCallResponse(ctx, resp, app, path)
	c.logCall(app, path, resp.StatusCode, start, err)
	return callResponse, err
}

func (c *Client) newCallRequest(ctx context.Context, app *apps.App, path, actingUserID string, body io.Reader, contentLength int64) (*http.Request, error) {
	if app.HTTP == nil {
		return nil, errors.Errorf("app %s has no http.root_url", app.AppID)
	}
	target, err := JoinURL(app.HTTP.RootURL, path)
	if err != nil {
		return nil, errors.Wrapf(err, "invalid url of call %s of app %s", path, app.AppID)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to create call %s of app %s", path, app.AppID)
	}
	setBodyLength(req, body, contentLength)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)

	if app.HTTP.UseJWT {
		token, err := signJWT(app, actingUserID, time.Now())
		if err != nil {
			return nil, err
		}
		req.Header.Set(HeaderAppAuthorization, "Bearer "+token)
	}
	return req, nil
}

// setBodyLength sets the declared length and, when the body can produce a copy of itself, the
// GetBody function the transport uses to resend it.
func setBodyLength(req *http.Request, body io.Reader, contentLength int64) {
	if contentLength == 0 {
		// The transport treats a zero length with a non-nil body as unknown, but NoBody as empty.
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		req.ContentLength = 0
		return
	}
	req.ContentLength = contentLength
	if replayable, ok := body.(interface {
		GetBody() (io.ReadCloser, error)
	}); ok {
		req.GetBody = replayable.GetBody
	}
}

// readCallResponse reads at most MaxResponseBytes of a response and decodes it as a CallResponse.
func readCallResponse(ctx context.Context, resp *http.Response, app *apps.App, path string) (*apps.CallResponse, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, errors.Wrapf(ErrBadResponse, "app %s responded to call %s with status %d", app.AppID, path, resp.StatusCode)
	}

	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, classifyTransportError(ctx, err, "failed to read the response of app %s to call %s", app.AppID, path)
	}
	if len(data) > MaxResponseBytes {
		return nil, errors.Wrapf(ErrBadResponse, "response of app %s to call %s is larger than %d bytes", app.AppID, path, MaxResponseBytes)
	}

	callResponse, err := decodeCallResponse(data)
	if err != nil {
		return nil, errors.Wrapf(ErrBadResponse, "response of app %s to call %s is not a call response: %v", app.AppID, path, err)
	}
	return callResponse, nil
}

// decodeCallResponse accepts only a JSON object, so that null, arrays and other JSON values are
// not taken for an empty response.
func decodeCallResponse(data []byte) (*apps.CallResponse, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("the body is not a JSON object")
	}
	var callResponse apps.CallResponse
	if err := json.Unmarshal(data, &callResponse); err != nil {
		return nil, err
	}
	return &callResponse, nil
}

// logCall logs a failed call at debug level, with the detail that callers leave out of their own
// messages. Successful calls are not logged, because every plugin log call is a synchronous RPC to
// the server and webhook delivery is a hot path. Callers log what they need.
func (c *Client) logCall(app *apps.App, path string, status int, start time.Time, err error) {
	if c.log == nil || err == nil {
		return
	}
	keyValues := []any{
		"app_id", string(app.AppID),
		"path", path,
		"status", status,
		"duration_ms", time.Since(start).Milliseconds(),
	}
	if err != nil {
		keyValues = append(keyValues, "error", err.Error())
	}
	c.log.Debug("Called app", keyValues...)
}

// withDefaultTimeout bounds ctx by timeout unless it already has a deadline.
func withDefaultTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// classifyTransportError wraps a failed request or body read in ErrTimeout, ErrUnreachable or
// context.Canceled, with a message built from format and args followed by the cause. A
// *url.Error is unwrapped first so that the full App URL does not repeat in the message.
func classifyTransportError(ctx context.Context, err error, format string, args ...any) error {
	cause := err
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Err != nil {
		cause = urlErr.Err
	}
	message := fmt.Sprintf(format, args...) + ": " + cause.Error()

	var netErr net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return apps.NewError(ErrTimeout, nil, "%s", message)
	case errors.As(err, &netErr) && netErr.Timeout():
		return apps.NewError(ErrTimeout, nil, "%s", message)
	case errors.Is(ctx.Err(), context.Canceled), errors.Is(err, context.Canceled):
		return apps.NewError(context.Canceled, nil, "%s", message)
	}
	return apps.NewError(ErrUnreachable, nil, "%s", message)
}
