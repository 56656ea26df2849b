package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Timeouts of the install-time requests, used when the caller's context has no earlier deadline.
const (
	ManifestTimeout = 10 * time.Second
	PingTimeout     = 5 * time.Second
)

// FetchManifest GETs a manifest URL, following redirects, and decodes and validates the manifest.
// It waits at most ManifestTimeout and reads at most apps.MaxManifestBytes. A manifest over the
// limit gives an error wrapping apps.ErrTooLarge. Any other failure wraps apps.ErrInvalidInput:
// invalid URL, no connection, timeout, non-200 status, invalid JSON or a broken manifest rule. The
// message names the URL and what to check.
func (c *Client) FetchManifest(ctx context.Context, manifestURL string) (*apps.Manifest, error) {
	if !isAbsoluteHTTPURL(manifestURL) {
		return nil, apps.NewError(apps.ErrInvalidInput, nil, "invalid manifest URL %q: it must be an absolute http or https URL", manifestURL)
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, ManifestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, manifestURL, nil)
	if err != nil {
		return nil, apps.NewError(apps.ErrInvalidInput, nil, "invalid manifest URL %q: %v", manifestURL, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, err := c.fetches.Do(req)
	if err != nil {
		return nil, apps.NewError(apps.ErrInvalidInput, nil, "failed to fetch the manifest from %s: %s; check the URL and that the app is running", manifestURL, describeTransportError(ctx, err, start))
	}
	defer resp.Body.Close()

	data, err := readManifestBody(ctx, resp, manifestURL, start)
	if err != nil {
		return nil, err
	}

	manifest, err := apps.DecodeManifest(data)
	if err != nil {
		return nil, apps.NewError(apps.ErrInvalidInput, nil, "invalid manifest at %s: %v; fix the manifest and try again", manifestURL, err)
	}
	return manifest, nil
}

func readManifestBody(ctx context.Context, resp *http.Response, manifestURL string, start time.Time) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		return nil, apps.NewError(apps.ErrInvalidInput, nil, "failed to fetch the manifest from %s: status %d; check that the URL serves the manifest JSON", manifestURL, resp.StatusCode)
	}
	if resp.ContentLength > apps.MaxManifestBytes {
		return nil, manifestTooLarge(manifestURL)
	}

	data, err := io.ReadAll(io.LimitReader(resp.Body, apps.MaxManifestBytes+1))
	if err != nil {
		return nil, apps.NewError(apps.ErrInvalidInput, nil, "failed to read the manifest from %s: %s; check the URL and that the app is running", manifestURL, describeTransportError(ctx, err, start))
	}
	if len(data) > apps.MaxManifestBytes {
		return nil, manifestTooLarge(manifestURL)
	}
	return data, nil
}

func manifestTooLarge(manifestURL string) error {
	return apps.NewError(apps.ErrTooLarge, nil, "manifest at %s is larger than %d bytes; a manifest must not exceed that size", manifestURL, apps.MaxManifestBytes)
}

// Ping POSTs "{}" to <rootURL>/ping. A 200 or 404 response is success, so Apps without a ping
// handler pass. It waits at most PingTimeout unless ctx has a deadline. Errors name the URL and wrap
// ErrUnreachable, ErrTimeout or ErrBadResponse (any other status).
func (c *Client) Ping(ctx context.Context, rootURL string) error {
	target, err := JoinURL(rootURL, "/ping")
	if err != nil {
		return errors.Wrap(apps.ErrInvalidInput, err.Error())
	}

	ctx, cancel := withDefaultTimeout(ctx, PingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader("{}"))
	if err != nil {
		return errors.Wrapf(err, "failed to create the ping of %s", target)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, err := c.calls.Do(req)
	if err != nil {
		return classifyTransportError(ctx, err, "ping of %s failed", target)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return apps.NewError(ErrBadResponse, nil, "ping of %s returned status %d, but only 200 or 404 (no ping handler) are accepted", target, resp.StatusCode)
	}
	return nil
}

// describeTransportError returns a short reason for a failed request, without the URL that a
// *url.Error repeats.
func describeTransportError(ctx context.Context, err error, start time.Time) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %s", time.Since(start).Round(time.Millisecond))
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Err != nil {
		return urlErr.Err.Error()
	}
	return err.Error()
}

func isAbsoluteHTTPURL(value string) bool {
	parsed, err := url.Parse(value)
	if err != nil {
		return false
	}
	return (parsed.Scheme == "http" || parsed.Scheme == "https") && parsed.Host != ""
}
