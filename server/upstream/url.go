package upstream

import (
	"net/url"
	"path"

	"github.com/pkg/errors"
)

// JoinURL joins an App's root URL, which may have a path and a trailing slash, with a call path.
// The result is path-cleaned: no "//", no "." or ".." segments, no trailing "/". The call path is
// cleaned on its own first, so its ".." segments cannot climb above the root URL's path. The root
// URL's query is kept and its fragment dropped.
func JoinURL(rootURL, callPath string) (string, error) {
	parsed, err := url.Parse(rootURL)
	if err != nil {
		return "", errors.Errorf("invalid root URL %q: it is not a URL", rootURL)
	}
	if (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return "", errors.Errorf("invalid root URL %q: it must be an absolute http or https URL", rootURL)
	}

	joined := path.Clean(parsed.Path + path.Clean("/"+callPath))
	if joined == "/" || joined == "." {
		joined = ""
	}
	parsed.Path = joined
	parsed.RawPath = ""
	parsed.Fragment = ""
	parsed.RawFragment = ""
	return parsed.String(), nil
}
