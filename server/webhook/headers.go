package webhook

import (
	"net/http"
	"strings"
)

// droppedHeaders are request headers that the sender cannot have sent, so they are not passed to
// the App. Mattermost deletes a client's Mattermost-User-Id and Mattermost-Plugin-Id before it
// hands a request to a plugin, then sets Mattermost-User-Id itself when the request carries a valid
// session token, and Mattermost-Plugin-Id for requests from another plugin.
var droppedHeaders = map[string]bool{
	"Mattermost-User-Id":   true,
	"Mattermost-Plugin-Id": true,
}

// senderHeaders returns the request headers as the App receives them: each canonical header name
// with all its values joined by ", " in arrival order, plus Host, which Go's HTTP server moves from
// the header map to r.Host. Nothing is added.
//
// Mattermost 11.4 and Go's HTTP server change some headers before the plugin receives a request,
// so the App cannot get them. Go consumes Transfer-Encoding and Trailer (a chunked body arrives
// without them) and removes Content-Length from chunked requests. Mattermost deletes Referer,
// removes its session cookie from Cookie (the other cookies arrive, joined as "a=1; b=2"), and
// deletes Authorization when it contains a valid Mattermost session token.
func senderHeaders(r *http.Request) map[string]string {
	headers := make(map[string]string, len(r.Header)+1)
	for name, values := range r.Header {
		canonical := http.CanonicalHeaderKey(name)
		if droppedHeaders[canonical] {
			continue
		}
		joined := strings.Join(values, ", ")
		// Only a header map built by hand can contain two spellings of one name. The order between
		// them is not known.
		if existing, found := headers[canonical]; found {
			joined = existing + ", " + joined
		}
		headers[canonical] = joined
	}
	if _, found := headers["Host"]; !found && r.Host != "" {
		headers["Host"] = r.Host
	}
	return headers
}
