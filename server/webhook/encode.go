package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
)

// callInput contains the parts of a webhook call.
type callInput struct {
	app      *apps.App
	subPath  string
	method   string
	headers  map[string]string
	body     []byte
	rawQuery string
	botToken string
	settings config.Settings
}

// callRequest is a CallRequest encoded as JSON in pieces, so that a large webhook body is held
// once: "data" and "rawBody" are produced from body while the request is sent.
//
//	head:   {"path":…,"expand":…,"state":…,"values":{"httpMethod":…,"headers":{…},"data":
//	data:   body as JSON, or as a JSON string
//	        ,"rawBody":"
//	base64: body in base64
//	tail:   ","rawQuery":…},"context":{…}}
type callRequest struct {
	path string
	// subPath is the cleaned sub path without a trailing "/", or "/" when there is none.
	subPath string
	head    []byte
	body    []byte
	// dataMode selects how body becomes "data".
	dataMode dataMode
	tail     []byte
	// length is the exact length of the encoded request in bytes.
	length int64
}

// dataMode is the encoding of the body as the "data" value.
type dataMode int

const (
	// dataVerbatim: the body is valid JSON in valid UTF-8 and is sent as it is, every digit of
	// every number included.
	dataVerbatim dataMode = iota
	// dataRepairedJSON: the body is valid JSON with invalid UTF-8 inside strings. Each invalid
	// byte is sent as \ufffd.
	dataRepairedJSON
	// dataString: the body is not JSON and is sent as a JSON string. An empty body gives "".
	dataString
)

const rawBodyOpening = `,"rawBody":"`

// encodeCallRequest builds the CallRequest of a webhook.
func encodeCallRequest(input callInput) (*callRequest, error) {
	call := input.app.Manifest.WebhookCall()
	subPath := cleanSubPath(input.subPath)
	request := &callRequest{
		path:     joinCallPath(call.Path, subPath),
		subPath:  subPath,
		body:     input.body,
		dataMode: chooseDataMode(input.body),
	}

	head, err := encodeHead(request.path, call, input.method, input.headers)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to encode the webhook call of app %s", input.app.AppID)
	}
	tail, err := encodeTail(input)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to encode the webhook call of app %s", input.app.AppID)
	}
	request.head = head
	request.tail = tail
	request.length = int64(len(head)) + request.dataLen() + int64(len(rawBodyOpening)) +
		int64(base64.StdEncoding.EncodedLen(len(input.body))) + int64(len(tail))
	return request, nil
}

// cleanSubPath cleans a sub path as an absolute path, so that ".." cannot climb above the
// webhook path. A trailing "/" is dropped.
func cleanSubPath(subPath string) string {
	return path.Clean("/" + subPath)
}

// joinCallPath joins the App's webhook path with a cleaned sub path.
func joinCallPath(webhookPath, subPath string) string {
	if subPath == "/" {
		return webhookPath
	}
	return strings.TrimRight(webhookPath, "/") + subPath
}

func chooseDataMode(body []byte) dataMode {
	switch {
	case len(body) == 0 || !json.Valid(body):
		return dataString
	case utf8.Valid(body):
		return dataVerbatim
	}
	return dataRepairedJSON
}

// dataLen returns the length of the "data" value.
func (c *callRequest) dataLen() int64 {
	switch c.dataMode {
	case dataVerbatim:
		return int64(len(c.body))
	case dataRepairedJSON:
		return escapedLen(c.body, escapeInvalidUTF8)
	}
	return 2 + escapedLen(c.body, escapeString)
}

// newReader returns a fresh reader of the encoded request. It can be called any number of times,
// for example when the transport sends the request again.
func (c *callRequest) newReader() io.Reader {
	return &replayableReader{
		Reader:  io.MultiReader(bytes.NewReader(c.head), c.newDataReader(), strings.NewReader(rawBodyOpening), newBase64Reader(c.body), bytes.NewReader(c.tail)),
		request: c,
	}
}

func (c *callRequest) newDataReader() io.Reader {
	switch c.dataMode {
	case dataVerbatim:
		return bytes.NewReader(c.body)
	case dataRepairedJSON:
		return newEscapeReader(c.body, escapeInvalidUTF8)
	}
	return io.MultiReader(strings.NewReader(`"`), newEscapeReader(c.body, escapeString), strings.NewReader(`"`))
}

// replayableReader lets the upstream client resend a request through GetBody.
type replayableReader struct {
	io.Reader
	request *callRequest
}

// GetBody returns a new reader of the whole request, as http.Request.GetBody does.
func (r *replayableReader) GetBody() (io.ReadCloser, error) {
	return io.NopCloser(r.request.newReader()), nil
}

// encodeHead encodes the CallRequest up to the "data" value.
func encodeHead(callPath string, call apps.Call, method string, headers map[string]string) ([]byte, error) {
	head, err := marshalJSON(struct {
		Path   string          `json:"path"`
		Expand *apps.Expand    `json:"expand,omitempty"`
		State  json.RawMessage `json:"state,omitempty"`
	}{callPath, call.Expand, call.State})
	if err != nil {
		return nil, err
	}
	encodedMethod, err := marshalJSON(method)
	if err != nil {
		return nil, err
	}
	// json.Marshal sorts map keys, so the headers come out in a stable order.
	encodedHeaders, err := marshalJSON(headers)
	if err != nil {
		return nil, err
	}

	buffer := bytes.NewBuffer(make([]byte, 0, len(head)+len(encodedMethod)+len(encodedHeaders)+48))
	buffer.Write(head[:len(head)-1]) // without the closing '}'
	buffer.WriteString(`,"values":{"httpMethod":`)
	buffer.Write(encodedMethod)
	buffer.WriteString(`,"headers":`)
	buffer.Write(encodedHeaders)
	buffer.WriteString(`,"data":`)
	return buffer.Bytes(), nil
}

// encodeTail encodes the CallRequest from the end of "rawBody".
func encodeTail(input callInput) ([]byte, error) {
	encodedQuery, err := marshalJSON(input.rawQuery)
	if err != nil {
		return nil, err
	}
	encodedContext, err := marshalJSON(callContext(input))
	if err != nil {
		return nil, err
	}

	buffer := bytes.NewBuffer(make([]byte, 0, len(encodedQuery)+len(encodedContext)+32))
	buffer.WriteString(`","rawQuery":`)
	buffer.Write(encodedQuery)
	buffer.WriteString(`},"context":`)
	buffer.Write(encodedContext)
	buffer.WriteString(`}`)
	return buffer.Bytes(), nil
}

// callContext returns the context of a webhook call. A webhook has no acting user.
func callContext(input callInput) apps.Context {
	app := input.app
	return apps.Context{
		AppID:             app.AppID,
		MattermostSiteURL: input.settings.SiteURL,
		AppPath:           apps.AppPath(app.AppID),
		BotUserID:         app.BotUserID,
		BotAccessToken:    input.botToken,
		DeveloperMode:     input.settings.DeveloperMode,
		App:               expandApp(app, app.Manifest.WebhookCall().Expand),
	}
}

// expandApp returns the App at the expand level of "app": app_id at "id", plus version,
// bot_user_id and bot_username at "summary", plus deploy_type at "all". The webhook secret is
// never included, because a webhook's sender is not a system admin.
func expandApp(app *apps.App, expand *apps.Expand) *apps.ExpandedApp {
	if expand == nil {
		return nil
	}
	level, _, err := apps.ParseExpandLevel(expand.App)
	if err != nil || level == apps.ExpandDefault {
		return nil
	}

	expanded := &apps.ExpandedApp{AppID: app.AppID}
	if level == apps.ExpandID {
		return expanded
	}
	expanded.Version = app.Version
	expanded.BotUserID = app.BotUserID
	expanded.BotUsername = app.BotUsername
	if level == apps.ExpandAll {
		expanded.DeployType = app.DeployType
	}
	return expanded
}

// marshalJSON encodes v without HTML escaping, so that "&" in a query stays readable.
func marshalJSON(v any) ([]byte, error) {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n")), nil
}
