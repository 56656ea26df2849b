package apps

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallUnmarshal(t *testing.T) {
	tests := map[string]struct {
		json          string
		expected      Call
		expectedError string
	}{
		"bare string":     {json: `"/installed"`, expected: Call{Path: "/installed"}},
		"empty string":    {json: `""`, expected: Call{}},
		"object":          {json: `{"path":"/installed"}`, expected: Call{Path: "/installed"}},
		"object with all": {json: `{"path":"/p","expand":{"app":"+all"},"state":[1,2]}`, expected: Call{Path: "/p", Expand: &Expand{App: "+all"}, State: json.RawMessage(`[1,2]`)}},
		"unknown fields":  {json: `{"path":"/p","type":"submit","extra":{"a":1}}`, expected: Call{Path: "/p"}},
		"number":          {json: `42`, expectedError: "a call must be a path string or an object with a path"},
		"array":           {json: `["/p"]`, expectedError: "a call must be a path string or an object with a path"},
		"path not string": {json: `{"path":7}`, expectedError: "a call must be a path string or an object with a path"},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			var call Call
			err := json.Unmarshal([]byte(test.json), &call)

			if test.expectedError != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), test.expectedError)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, test.expected, call)
		})
	}
}

func TestCallUnmarshalReplacesOldValue(t *testing.T) {
	call := Call{Path: "/old", Expand: &Expand{App: ExpandAll}, State: json.RawMessage(`1`)}

	require.NoError(t, json.Unmarshal([]byte(`"/new"`), &call))

	assert.Equal(t, Call{Path: "/new"}, call)
}

func TestCallValidate(t *testing.T) {
	tests := map[string]struct {
		call          Call
		expectedError string
	}{
		"root":                  {Call{Path: "/"}, ""},
		"one segment":           {Call{Path: "/webhook"}, ""},
		"nested":                {Call{Path: "/webhook/github/push"}, ""},
		"trailing slash":        {Call{Path: "/webhook/"}, ""},
		"dots inside a segment": {Call{Path: "/a..b/.c/d."}, ""},
		"required expand":       {Call{Path: "/p", Expand: &Expand{App: "+summary", Channel: "+id"}}, ""},
		"empty":                 {Call{}, `invalid call path "": it must start with /`},
		"relative":              {Call{Path: "webhook"}, `invalid call path "webhook": it must start with /`},
		"URL":                   {Call{Path: "http://example.com/p"}, "it must start with /"},
		"dot segment":           {Call{Path: "/a/./b"}, `invalid call path "/a/./b": . and .. segments are not allowed`},
		"dot-dot segment":       {Call{Path: "/a/../b"}, ". and .. segments are not allowed"},
		"trailing dot-dot":      {Call{Path: "/a/.."}, ". and .. segments are not allowed"},
		"only dot-dot":          {Call{Path: "/.."}, ". and .. segments are not allowed"},
		"invalid expand level":  {Call{Path: "/p", Expand: &Expand{Locale: "everything"}}, `invalid expand of call "/p": invalid expand.locale: invalid expand level "everything"`},
		"double plus in expand": {Call{Path: "/p", Expand: &Expand{ActingUser: "++all"}}, "invalid expand.acting_user"},
		"capitals in expand":    {Call{Path: "/p", Expand: &Expand{Team: "ALL"}}, "invalid expand.team"},
		"invalid token expand":  {Call{Path: "/p", Expand: &Expand{ActingUserAccessToken: "full"}}, "invalid expand.acting_user_access_token"},
		"plus alone in expand":  {Call{Path: "/p", Expand: &Expand{Channel: "+"}}, ""},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			err := test.call.Validate()

			if test.expectedError == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), test.expectedError)
		})
	}
}

func TestCallRequestJSON(t *testing.T) {
	request := CallRequest{
		Call:   Call{Path: "/webhook/gh", Expand: &Expand{App: ExpandSummary}, State: json.RawMessage(`{"s":1}`)},
		Values: map[string]any{"httpMethod": "POST", "data": json.RawMessage(`{"id":616581622363398142}`)},
		Context: Context{
			AppID:             "hello-world",
			MattermostSiteURL: "http://127.0.0.1:8065",
			AppPath:           "/plugins/com.mattermost.apps/apps/hello-world",
			BotUserID:         "bot",
		},
	}

	encoded, err := json.Marshal(request)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"path": "/webhook/gh",
		"expand": {"app": "summary"},
		"state": {"s": 1},
		"values": {"httpMethod": "POST", "data": {"id": 616581622363398142}},
		"context": {
			"app_id": "hello-world",
			"mattermost_site_url": "http://127.0.0.1:8065",
			"app_path": "/plugins/com.mattermost.apps/apps/hello-world",
			"bot_user_id": "bot"
		}
	}`, string(encoded))

	var decoded CallRequest
	require.NoError(t, json.Unmarshal(encoded, &decoded))
	assert.Equal(t, request.Call, decoded.Call)
	assert.Equal(t, request.Context, decoded.Context)
	assert.Equal(t, "POST", decoded.Values["httpMethod"])
	assert.Equal(t, map[string]any{"id": json.Number("616581622363398142")}, decoded.Values["data"])
}

func TestCallRequestUnmarshalErrors(t *testing.T) {
	for name, data := range map[string]string{
		"number":           `5`,
		"values not a map": `{"path":"/p","values":[1]}`,
		"context string":   `{"path":"/p","context":"x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			var request CallRequest
			assert.Error(t, json.Unmarshal([]byte(data), &request))
		})
	}
}

func TestCallResponse(t *testing.T) {
	tests := map[string]struct {
		json    string
		isError bool
	}{
		"ok":           {`{"type":"ok","text":"done"}`, false},
		"empty type":   {`{}`, false},
		"error":        {`{"type":"error","text":"failed"}`, true},
		"form":         {`{"type":"form"}`, false},
		"ERROR upper":  {`{"type":"ERROR"}`, false},
		"data kept":    {`{"type":"ok","data":{"challenge":"c-123","n":616581622363398142}}`, false},
		"unknown keys": {`{"type":"ok","navigate_to_url":"x"}`, false},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			var response CallResponse
			require.NoError(t, json.Unmarshal([]byte(test.json), &response))

			assert.Equal(t, test.isError, response.IsError())
		})
	}
}

func TestCallResponseDataDigits(t *testing.T) {
	var response CallResponse
	require.NoError(t, json.Unmarshal([]byte(`{"type":"ok","data":{"n":616581622363398142,"f":1.10}}`), &response))

	assert.Equal(t, `{"n":616581622363398142,"f":1.10}`, string(response.Data))
}
