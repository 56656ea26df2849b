package apps

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pkg/errors"
)

// Call names a path on the App that the plugin POSTs a CallRequest to, with the context to expand
// and opaque state to pass along. In a manifest, a Call may also be written as a bare path string.
type Call struct {
	Path   string          `json:"path"`
	Expand *Expand         `json:"expand,omitempty"`
	State  json.RawMessage `json:"state,omitempty"`
}

// UnmarshalJSON accepts either a path string or a Call object.
func (c *Call) UnmarshalJSON(data []byte) error {
	var path string
	if err := json.Unmarshal(data, &path); err == nil {
		*c = Call{Path: path}
		return nil
	}

	type plainCall Call
	var decoded plainCall
	if err := json.Unmarshal(data, &decoded); err != nil {
		return errors.Wrap(err, "a call must be a path string or an object with a path")
	}
	*c = Call(decoded)
	return nil
}

// Validate checks that the path is absolute, has no "." or ".." segments, and that every expand
// level is known.
func (c *Call) Validate() error {
	if !strings.HasPrefix(c.Path, "/") {
		return errors.Errorf("invalid call path %q: it must start with /", c.Path)
	}
	for _, segment := range strings.Split(c.Path, "/") {
		if segment == "." || segment == ".." {
			return errors.Errorf("invalid call path %q: . and .. segments are not allowed", c.Path)
		}
	}
	if c.Expand != nil {
		if err := c.Expand.Validate(); err != nil {
			return errors.Wrapf(err, "invalid expand of call %q", c.Path)
		}
	}
	return nil
}

// CallRequest is the JSON body of a call to an App.
type CallRequest struct {
	Call
	Values  map[string]any `json:"values,omitempty"`
	Context Context        `json:"context"`
}

// UnmarshalJSON decodes a CallRequest. Without it, the UnmarshalJSON of the embedded Call would be
// promoted to CallRequest and decode only path, expand and state, dropping values and context.
// Numbers in values decode as json.Number, so they keep every digit.
func (r *CallRequest) UnmarshalJSON(data []byte) error {
	var call Call
	if err := call.UnmarshalJSON(data); err != nil {
		return err
	}

	var rest struct {
		Values  map[string]any `json:"values"`
		Context Context        `json:"context"`
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	if err := decoder.Decode(&rest); err != nil {
		return errors.Wrap(err, "invalid call request")
	}

	*r = CallRequest{Call: call, Values: rest.Values, Context: rest.Context}
	return nil
}

// CallResponseType is the kind of a CallResponse.
type CallResponseType string

// The response types the plugin acts on. Other types are accepted and treated as success.
const (
	CallResponseTypeDefault CallResponseType = ""
	CallResponseTypeOK      CallResponseType = "ok"
	CallResponseTypeError   CallResponseType = "error"
)

// CallResponse is an App's response to a call.
type CallResponse struct {
	Type CallResponseType `json:"type"`
	Text string           `json:"text,omitempty"`
	// Data is kept as the App wrote it, so that numbers pass through digit for digit.
	Data json.RawMessage `json:"data,omitempty"`
}

// IsError reports whether the App responded with an error.
func (r *CallResponse) IsError() bool {
	return r.Type == CallResponseTypeError
}
