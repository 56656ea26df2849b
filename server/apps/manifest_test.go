package apps

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedManifest is the example manifest of the public Apps webhook documentation, written out.
const seedManifest = `{
	"app_id": "hello-world",
    "version": "0.1.0",
	"display_name": "Hello, world!",
	"icon": "icon.png",
	"homepage_url": "https://my-site/my-repo",
	"requested_permissions": [
		"act_as_bot",
		"remote_webhooks"
	],
	"requested_locations": [
		"/channel_header",
		"/command",
		"/post_menu"
	],
	"http": {
		"root_url": "http://localhost:4000"
	},
	"remote_webhook_auth_type": "secret",
	"on_install": {
        "path": "/installed",
        "expand": {
            "app": "all"
        }
	}
}`

// fullManifest sets every field the plugin reads, in both forms a Call can take.
const fullManifest = `{
	"app_id": "Full_App-1.0",
	"version": "v1.0.0-rc1",
	"display_name": "Full App",
	"description": "An App that sets every manifest field",
	"homepage_url": "https://example.com/full-app",
	"icon": "static-images/icon.png",
	"requested_permissions": ["act_as_bot", "act_as_user", "remote_webhooks", "remote_oauth2", "user_joined_channel_notification"],
	"requested_locations": ["/post_menu", "/channel_header", "/command", "/in_post"],
	"remote_webhook_auth_type": "none",
	"http": {"root_url": "https://full-app.example.com:8443/base", "use_jwt": true},
	"on_install": {
		"path": "/install",
		"expand": {
			"app": "+all",
			"acting_user": "summary",
			"acting_user_access_token": "all",
			"channel": "+id",
			"team": "id",
			"locale": "all"
		},
		"state": {"step":1,"tags":["a","b"]}
	},
	"on_uninstall": "/uninstall",
	"on_enable": {"path": "/enable"},
	"on_disable": "/disable",
	"on_remote_webhook": {"path": "/hooks/incoming", "expand": {"app": "summary"}, "state": "opaque"}
}`

func validManifest() *Manifest {
	return &Manifest{
		AppID:                "hello-world",
		DisplayName:          "Hello, world!",
		HomepageURL:          "https://example.com/hello",
		RequestedPermissions: Permissions{PermissionActAsBot, PermissionRemoteWebhooks},
		HTTP:                 &HTTP{RootURL: "http://localhost:4000"},
	}
}

func TestValidManifestIsValid(t *testing.T) {
	require.NoError(t, validManifest().Validate())
}

func TestManifestValidate(t *testing.T) {
	tests := map[string]struct {
		change func(m *Manifest)
		// expectedError is empty for a valid manifest, else a part of the error message.
		expectedError string
	}{
		"app_id of 3 bytes":           {func(m *Manifest) { m.AppID = "abc" }, ""},
		"app_id of 32 bytes":          {func(m *Manifest) { m.AppID = AppID(strings.Repeat("a", 32)) }, ""},
		"app_id with - _ .":           {func(m *Manifest) { m.AppID = "My-App_2.0" }, ""},
		"app_id of 2 bytes":           {func(m *Manifest) { m.AppID = "ab" }, `invalid app_id "ab": it must be 3 to 32 bytes long`},
		"app_id of 33 bytes":          {func(m *Manifest) { m.AppID = AppID(strings.Repeat("a", 33)) }, "it must be 3 to 32 bytes long"},
		"app_id missing":              {func(m *Manifest) { m.AppID = "" }, `invalid app_id ""`},
		"app_id with slash":           {func(m *Manifest) { m.AppID = "my/app" }, `invalid app_id "my/app": use only letters, digits`},
		"app_id with space":           {func(m *Manifest) { m.AppID = "my app" }, `invalid app_id "my app"`},
		"app_id with non-ASCII":       {func(m *Manifest) { m.AppID = "appé" }, `invalid app_id`},
		"app_id with colon":           {func(m *Manifest) { m.AppID = "app:1" }, `invalid app_id`},
		"version v1.0.0":              {func(m *Manifest) { m.Version = "v1.0.0" }, ""},
		"version 1.0.0-rc1":           {func(m *Manifest) { m.Version = "1.0.0-rc1" }, ""},
		"version of 10 bytes":         {func(m *Manifest) { m.Version = "v00_00_000" }, ""},
		"version of 11 bytes":         {func(m *Manifest) { m.Version = "v00_00_0000" }, `invalid version "v00_00_0000": it must be at most 10 bytes long`},
		"version with plus":           {func(m *Manifest) { m.Version = "1.0+build" }, `invalid version "1.0+build": use only letters`},
		"version with space":          {func(m *Manifest) { m.Version = "1.0 beta" }, `invalid version`},
		"display_name missing":        {func(m *Manifest) { m.DisplayName = "" }, "display_name is missing"},
		"display_name blank":          {func(m *Manifest) { m.DisplayName = " \t" }, "display_name is missing"},
		"homepage_url missing":        {func(m *Manifest) { m.HomepageURL = "" }, "homepage_url is missing"},
		"homepage_url http":           {func(m *Manifest) { m.HomepageURL = "http://example.com" }, ""},
		"homepage_url ftp":            {func(m *Manifest) { m.HomepageURL = "ftp://example.com/app" }, `invalid homepage_url "ftp://example.com/app": it must be an absolute http or https URL`},
		"homepage_url relative":       {func(m *Manifest) { m.HomepageURL = "/hello" }, "invalid homepage_url"},
		"homepage_url without host":   {func(m *Manifest) { m.HomepageURL = "https://" }, "invalid homepage_url"},
		"homepage_url javascript":     {func(m *Manifest) { m.HomepageURL = "javascript:alert(1)" }, "invalid homepage_url"},
		"homepage_url unparsable":     {func(m *Manifest) { m.HomepageURL = "http://exa mple.com/%zz" }, "invalid homepage_url"},
		"http missing":                {func(m *Manifest) { m.HTTP = nil }, "http.root_url is missing"},
		"http.root_url missing":       {func(m *Manifest) { m.HTTP.RootURL = "" }, "http.root_url is missing"},
		"http.root_url https":         {func(m *Manifest) { m.HTTP.RootURL = "https://app.example.com/base" }, ""},
		"http.root_url file":          {func(m *Manifest) { m.HTTP.RootURL = "file:///srv/app" }, `invalid http.root_url "file:///srv/app"`},
		"http.root_url without http":  {func(m *Manifest) { m.HTTP.RootURL = "localhost:4000" }, "invalid http.root_url"},
		"http.root_url relative":      {func(m *Manifest) { m.HTTP.RootURL = "app/base" }, "invalid http.root_url"},
		"icon in a folder":            {func(m *Manifest) { m.Icon = "images/icon.png" }, ""},
		"icon with ..":                {func(m *Manifest) { m.Icon = "../icon.png" }, `invalid icon "../icon.png": .. segments are not allowed`},
		"icon with inner ..":          {func(m *Manifest) { m.Icon = "images/../../icon.png" }, ".. segments are not allowed"},
		"icon absolute":               {func(m *Manifest) { m.Icon = "/icon.png" }, "it must be a path relative"},
		"icon URL":                    {func(m *Manifest) { m.Icon = "https://example.com/icon.png" }, "it must be a path relative"},
		"no permissions":              {func(m *Manifest) { m.RequestedPermissions = nil }, ""},
		"every permission":            {func(m *Manifest) { m.RequestedPermissions = append(Permissions{}, knownPermissions...) }, ""},
		"remote_webhooks without bot": {func(m *Manifest) { m.RequestedPermissions = Permissions{PermissionRemoteWebhooks} }, "remote_webhooks requires act_as_bot"},
		"unknown permission":          {func(m *Manifest) { m.RequestedPermissions = Permissions{"act_as_admin"} }, `unknown permission "act_as_admin": valid permissions are "act_as_bot", "act_as_user", "remote_webhooks", "remote_oauth2", "user_joined_channel_notification"`},
		"every location":              {func(m *Manifest) { m.RequestedLocations = append(Locations{}, knownLocations...) }, ""},
		"unknown location":            {func(m *Manifest) { m.RequestedLocations = Locations{"/app_bar"} }, `unknown location "/app_bar": valid locations are "/post_menu", "/channel_header", "/command", "/in_post"`},
		"auth type empty":             {func(m *Manifest) { m.RemoteWebhookAuthType = "" }, ""},
		"auth type none":              {func(m *Manifest) { m.RemoteWebhookAuthType = "none" }, ""},
		"auth type secret":            {func(m *Manifest) { m.RemoteWebhookAuthType = "secret" }, ""},
		"auth type jwt":               {func(m *Manifest) { m.RemoteWebhookAuthType = "jwt" }, `invalid remote_webhook_auth_type "jwt": valid values are "none", "secret", or empty for "secret"`},
		"auth type in capitals":       {func(m *Manifest) { m.RemoteWebhookAuthType = "Secret" }, `invalid remote_webhook_auth_type "Secret"`},
		"on_install path":             {func(m *Manifest) { m.OnInstall = &Call{Path: "/installed"} }, ""},
		"on_install relative path":    {func(m *Manifest) { m.OnInstall = &Call{Path: "installed"} }, `invalid on_install of app hello-world: invalid call path "installed": it must start with /`},
		"on_install without path":     {func(m *Manifest) { m.OnInstall = &Call{} }, "invalid on_install"},
		"on_uninstall with ..":        {func(m *Manifest) { m.OnUninstall = &Call{Path: "/a/../b"} }, "invalid on_uninstall of app hello-world: invalid call path \"/a/../b\": . and .. segments"},
		"on_enable with .":            {func(m *Manifest) { m.OnEnable = &Call{Path: "/./enable"} }, "invalid on_enable"},
		"on_disable bad expand":       {func(m *Manifest) { m.OnDisable = &Call{Path: "/d", Expand: &Expand{Team: "everything"}} }, `invalid on_disable of app hello-world: invalid expand of call "/d": invalid expand.team`},
		"on_remote_webhook path":      {func(m *Manifest) { m.OnRemoteWebhook = &Call{Path: "/my-webhook"} }, ""},
		"on_remote_webhook bad path":  {func(m *Manifest) { m.OnRemoteWebhook = &Call{Path: "my-webhook"} }, "invalid on_remote_webhook"},
		"on_remote_webhook expand only": {
			func(m *Manifest) { m.OnRemoteWebhook = &Call{Expand: &Expand{App: ExpandSummary}} },
			"",
		},
		"on_remote_webhook expand only, bad level": {
			func(m *Manifest) { m.OnRemoteWebhook = &Call{Expand: &Expand{App: "full"}} },
			"invalid on_remote_webhook",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			manifest := validManifest()
			test.change(manifest)

			err := manifest.Validate()

			if test.expectedError == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), test.expectedError)
		})
	}
}

func TestManifestValidateNamesApp(t *testing.T) {
	manifest := validManifest()
	manifest.HomepageURL = ""

	err := manifest.Validate()

	require.Error(t, err)
	assert.Equal(t, "invalid manifest of app hello-world: homepage_url is missing", err.Error())
}

func TestManifestValidateCallsInOrder(t *testing.T) {
	manifest := validManifest()
	manifest.OnInstall = &Call{Path: "install"}
	manifest.OnUninstall = &Call{Path: "uninstall"}
	manifest.OnRemoteWebhook = &Call{Path: "webhook"}

	// Validation reports the first broken call in manifest order, every time.
	for range 20 {
		err := manifest.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid on_install")
	}
}

func TestDecodeManifest(t *testing.T) {
	tests := map[string]struct {
		json          string
		expected      *Manifest
		expectedError string
	}{
		"call as a string": {
			json: `{"app_id":"hello-world","display_name":"Hello","homepage_url":"https://example.com",
				"http":{"root_url":"http://localhost:4000"},"on_install":"/installed"}`,
			expected: &Manifest{
				AppID: "hello-world", DisplayName: "Hello", HomepageURL: "https://example.com",
				HTTP: &HTTP{RootURL: "http://localhost:4000"}, OnInstall: &Call{Path: "/installed"},
			},
		},
		"call as an object": {
			json: `{"app_id":"hello-world","display_name":"Hello","homepage_url":"https://example.com",
				"http":{"root_url":"http://localhost:4000"},
				"on_remote_webhook":{"path":"/hook","expand":{"app":"+summary"},"state":{"k":"v"}}}`,
			expected: &Manifest{
				AppID: "hello-world", DisplayName: "Hello", HomepageURL: "https://example.com",
				HTTP: &HTTP{RootURL: "http://localhost:4000"},
				OnRemoteWebhook: &Call{
					Path: "/hook", Expand: &Expand{App: "+summary"}, State: json.RawMessage(`{"k":"v"}`),
				},
			},
		},
		"unknown fields ignored": {
			json: `{"app_id":"hello-world","display_name":"Hello","homepage_url":"https://example.com",
				"schema_version":"v1.2.0","app_type":"http","assets":[],"bindings":"/bindings",
				"get_oauth2_connect_url":"/oauth2/connect","aws_lambda":{"functions":[]},
				"http":{"root_url":"http://localhost:4000","extra":true},
				"on_install":{"path":"/installed","expand":{"oauth2_app":"all","post":"id"},"credentials":"x"}}`,
			expected: &Manifest{
				AppID: "hello-world", DisplayName: "Hello", HomepageURL: "https://example.com",
				HTTP: &HTTP{RootURL: "http://localhost:4000"}, OnInstall: &Call{Path: "/installed", Expand: &Expand{}},
			},
		},
		"null call": {
			json: `{"app_id":"hello-world","display_name":"Hello","homepage_url":"https://example.com",
				"http":{"root_url":"http://localhost:4000"},"on_install":null}`,
			expected: &Manifest{
				AppID: "hello-world", DisplayName: "Hello", HomepageURL: "https://example.com",
				HTTP: &HTTP{RootURL: "http://localhost:4000"},
			},
		},
		"not JSON": {
			json:          `app_id: hello-world`,
			expectedError: "invalid manifest JSON",
		},
		"call as a number": {
			json:          `{"app_id":"hello-world","on_install":42}`,
			expectedError: "a call must be a path string or an object with a path",
		},
		"wrong field type": {
			json:          `{"app_id":"hello-world","requested_permissions":"act_as_bot"}`,
			expectedError: "invalid manifest JSON",
		},
		"invalid manifest": {
			json:          `{"app_id":"hello-world","display_name":"Hello","homepage_url":"https://example.com"}`,
			expectedError: "http.root_url is missing",
		},
		"auth type jwt": {
			json: `{"app_id":"hello-world","display_name":"Hello","homepage_url":"https://example.com",
				"http":{"root_url":"http://localhost:4000"},"remote_webhook_auth_type":"jwt"}`,
			expectedError: `valid values are "none", "secret", or empty for "secret"`,
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			manifest, err := DecodeManifest([]byte(test.json))

			if test.expectedError != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), test.expectedError)
				assert.Nil(t, manifest)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, test.expected, manifest)
		})
	}
}

func TestDecodeSeedManifest(t *testing.T) {
	manifest, err := DecodeManifest([]byte(seedManifest))
	require.NoError(t, err)

	assert.Equal(t, &Manifest{
		AppID:                 "hello-world",
		Version:               "0.1.0",
		DisplayName:           "Hello, world!",
		Icon:                  "icon.png",
		HomepageURL:           "https://my-site/my-repo",
		RequestedPermissions:  Permissions{PermissionActAsBot, PermissionRemoteWebhooks},
		RequestedLocations:    Locations{LocationChannelHeader, LocationCommand, LocationPostMenu},
		HTTP:                  &HTTP{RootURL: "http://localhost:4000"},
		RemoteWebhookAuthType: WebhookAuthSecret,
		OnInstall:             &Call{Path: "/installed", Expand: &Expand{App: ExpandAll}},
	}, manifest)
}

func TestDecodeFullManifest(t *testing.T) {
	manifest, err := DecodeManifest([]byte(fullManifest))
	require.NoError(t, err)

	assert.Equal(t, AppID("Full_App-1.0"), manifest.AppID)
	assert.Equal(t, AppVersion("v1.0.0-rc1"), manifest.Version)
	assert.Equal(t, "An App that sets every manifest field", manifest.Description)
	assert.Equal(t, "static-images/icon.png", manifest.Icon)
	assert.Equal(t, Permissions(knownPermissions), manifest.RequestedPermissions)
	assert.Equal(t, Locations(knownLocations), manifest.RequestedLocations)
	assert.Equal(t, WebhookAuthNone, manifest.RemoteWebhookAuthType)
	assert.Equal(t, &HTTP{RootURL: "https://full-app.example.com:8443/base", UseJWT: true}, manifest.HTTP)
	assert.Equal(t, &Expand{
		App: "+all", ActingUser: ExpandSummary, ActingUserAccessToken: ExpandAll,
		Channel: "+id", Team: ExpandID, Locale: ExpandAll,
	}, manifest.OnInstall.Expand)
	assert.JSONEq(t, `{"step":1,"tags":["a","b"]}`, string(manifest.OnInstall.State))
	assert.Equal(t, &Call{Path: "/uninstall"}, manifest.OnUninstall)
	assert.Equal(t, &Call{Path: "/enable"}, manifest.OnEnable)
	assert.Equal(t, &Call{Path: "/disable"}, manifest.OnDisable)
	assert.Equal(t, &Call{
		Path: "/hooks/incoming", Expand: &Expand{App: ExpandSummary}, State: json.RawMessage(`"opaque"`),
	}, manifest.OnRemoteWebhook)
}

func TestManifestRoundTrip(t *testing.T) {
	for name, data := range map[string]string{
		"seed example":    seedManifest,
		"every field":     fullManifest,
		"required fields": `{"app_id":"abc","display_name":"A","homepage_url":"http://a.example","http":{"root_url":"http://127.0.0.1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			decoded, err := DecodeManifest([]byte(data))
			require.NoError(t, err)

			encoded, err := json.Marshal(decoded)
			require.NoError(t, err)
			again, err := DecodeManifest(encoded)
			require.NoError(t, err)

			assert.Equal(t, decoded, again)
		})
	}
}

func TestManifestStateKeepsMeaning(t *testing.T) {
	manifest, err := DecodeManifest([]byte(`{"app_id":"abc","display_name":"A","homepage_url":"http://a.example",
		"http":{"root_url":"http://127.0.0.1"},"on_install":{"path":"/i","state":{ "id" : 616581622363398142 }}}`))
	require.NoError(t, err)

	encoded, err := json.Marshal(manifest)
	require.NoError(t, err)
	again, err := DecodeManifest(encoded)
	require.NoError(t, err)

	// encoding/json compacts raw JSON when it encodes it, so only the meaning is kept, and
	// numbers digit for digit.
	assert.JSONEq(t, `{"id":616581622363398142}`, string(again.OnInstall.State))
	assert.Contains(t, string(again.OnInstall.State), "616581622363398142")
}

func TestWebhookCall(t *testing.T) {
	tests := map[string]struct {
		onRemoteWebhook *Call
		expected        Call
	}{
		"none":      {nil, Call{Path: "/webhook"}},
		"path only": {&Call{Path: "/my-webhook"}, Call{Path: "/my-webhook"}},
		"everything": {
			&Call{Path: "/my-webhook/x", Expand: &Expand{App: ExpandAll}, State: json.RawMessage(`1`)},
			Call{Path: "/my-webhook/x", Expand: &Expand{App: ExpandAll}, State: json.RawMessage(`1`)},
		},
		"no path": {
			&Call{Expand: &Expand{App: ExpandSummary}, State: json.RawMessage(`"s"`)},
			Call{Path: "/webhook", Expand: &Expand{App: ExpandSummary}, State: json.RawMessage(`"s"`)},
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			manifest := validManifest()
			manifest.OnRemoteWebhook = test.onRemoteWebhook

			assert.Equal(t, test.expected, manifest.WebhookCall())
		})
	}
}
