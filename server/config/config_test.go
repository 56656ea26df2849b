package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSiteURL     = "http://127.0.0.1:8065"
	bodySizeSetting = "Maximum webhook body size (MB)"
	timeoutSetting  = "Webhook delivery timeout (seconds)"
)

func TestDefault(t *testing.T) {
	settings := Default()

	assert.Equal(t, int64(32<<20), settings.MaxBodyBytes)
	assert.Equal(t, 10*time.Second, settings.DeliveryTimeout)
	assert.False(t, settings.DeveloperMode)
	assert.Empty(t, settings.SiteURL)
}

func TestParseEmptyValuesTakeDefaults(t *testing.T) {
	for name, raw := range map[string]Raw{
		"unset":  {},
		"blanks": {MaxWebhookBodyMB: " ", WebhookDeliveryTimeoutSeconds: "\t"},
	} {
		t.Run(name, func(t *testing.T) {
			settings, err := Parse(raw, testSiteURL)
			require.NoError(t, err)

			assert.Equal(t, int64(DefaultMaxWebhookBodyMB)<<20, settings.MaxBodyBytes)
			assert.Equal(t, DefaultWebhookDeliveryTimeoutSeconds*time.Second, settings.DeliveryTimeout)
			assert.False(t, settings.DeveloperMode)
			assert.Equal(t, testSiteURL, settings.SiteURL)
		})
	}
}

// TestParseStoredJSON decodes the configuration the way the plugin API hands it over, as JSON.
func TestParseStoredJSON(t *testing.T) {
	tests := map[string]struct {
		json            string
		expectedBody    int64
		expectedTimeout time.Duration
		expectedDevMode bool
	}{
		"numbers":         {`{"MaxWebhookBodyMB": 12, "WebhookDeliveryTimeoutSeconds": 3, "DeveloperMode": true}`, 12 << 20, 3 * time.Second, true},
		"strings":         {`{"MaxWebhookBodyMB": "12", "WebhookDeliveryTimeoutSeconds": "3"}`, 12 << 20, 3 * time.Second, false},
		"null values":     {`{"MaxWebhookBodyMB": null, "WebhookDeliveryTimeoutSeconds": null}`, 32 << 20, 10 * time.Second, false},
		"missing":         {`{}`, 32 << 20, 10 * time.Second, false},
		"lower case keys": {`{"maxwebhookbodymb": 5, "webhookdeliverytimeoutseconds": 7, "developermode": true}`, 5 << 20, 7 * time.Second, true},
		"extra keys":      {`{"MaxWebhookBodyMB": 1, "Unknown": "x"}`, 1 << 20, 10 * time.Second, false},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			var raw Raw
			require.NoError(t, json.Unmarshal([]byte(test.json), &raw))

			settings, err := Parse(raw, testSiteURL)
			require.NoError(t, err)

			assert.Equal(t, test.expectedBody, settings.MaxBodyBytes)
			assert.Equal(t, test.expectedTimeout, settings.DeliveryTimeout)
			assert.Equal(t, test.expectedDevMode, settings.DeveloperMode)
		})
	}
}

func TestParseRanges(t *testing.T) {
	tests := map[string]struct {
		raw             Raw
		expectedBody    int64
		expectedTimeout time.Duration
	}{
		"smallest": {Raw{MaxWebhookBodyMB: "1", WebhookDeliveryTimeoutSeconds: "1"}, 1 << 20, time.Second},
		"largest":  {Raw{MaxWebhookBodyMB: "1024", WebhookDeliveryTimeoutSeconds: "300"}, 1024 << 20, 300 * time.Second},
		"spaces":   {Raw{MaxWebhookBodyMB: " 64 ", WebhookDeliveryTimeoutSeconds: " 30"}, 64 << 20, 30 * time.Second},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			settings, err := Parse(test.raw, testSiteURL)
			require.NoError(t, err)

			assert.Equal(t, test.expectedBody, settings.MaxBodyBytes)
			assert.Equal(t, test.expectedTimeout, settings.DeliveryTimeout)
		})
	}
}

func TestParseRejectsInvalidNumbers(t *testing.T) {
	tests := map[string]struct {
		raw           Raw
		expectedError string
	}{
		"body zero":                {Raw{MaxWebhookBodyMB: "0"}, `invalid setting "` + bodySizeSetting + `": "0" is not a whole number from 1 to 1024`},
		"body negative":            {Raw{MaxWebhookBodyMB: "-5"}, `"` + bodySizeSetting + `": "-5"`},
		"body over":                {Raw{MaxWebhookBodyMB: "1025"}, `"` + bodySizeSetting + `": "1025" is not a whole number from 1 to 1024`},
		"body huge":                {Raw{MaxWebhookBodyMB: "99999999999999999999"}, `"` + bodySizeSetting + `"`},
		"body fraction":            {Raw{MaxWebhookBodyMB: "1.5"}, `"` + bodySizeSetting + `": "1.5"`},
		"body exponent":            {Raw{MaxWebhookBodyMB: "1e3"}, `"` + bodySizeSetting + `": "1e3"`},
		"body hexadecimal":         {Raw{MaxWebhookBodyMB: "0x10"}, `"` + bodySizeSetting + `": "0x10"`},
		"body with unit":           {Raw{MaxWebhookBodyMB: "32MB"}, `"` + bodySizeSetting + `": "32MB"`},
		"body word":                {Raw{MaxWebhookBodyMB: "abc"}, `"` + bodySizeSetting + `": "abc"`},
		"timeout zero":             {Raw{WebhookDeliveryTimeoutSeconds: "0"}, `invalid setting "` + timeoutSetting + `": "0" is not a whole number from 1 to 300`},
		"timeout over":             {Raw{WebhookDeliveryTimeoutSeconds: "301"}, `"` + timeoutSetting + `": "301" is not a whole number from 1 to 300`},
		"timeout negative":         {Raw{WebhookDeliveryTimeoutSeconds: "-1"}, `"` + timeoutSetting + `": "-1"`},
		"timeout duration":         {Raw{WebhookDeliveryTimeoutSeconds: "10s"}, `"` + timeoutSetting + `": "10s"`},
		"timeout fraction":         {Raw{WebhookDeliveryTimeoutSeconds: "2.5"}, `"` + timeoutSetting + `": "2.5"`},
		"both invalid, body first": {Raw{MaxWebhookBodyMB: "0", WebhookDeliveryTimeoutSeconds: "0"}, bodySizeSetting},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(test.raw, testSiteURL)

			require.Error(t, err)
			assert.Contains(t, err.Error(), test.expectedError)
		})
	}
}

func TestParseRejectsJSONFraction(t *testing.T) {
	var raw Raw
	require.NoError(t, json.Unmarshal([]byte(`{"WebhookDeliveryTimeoutSeconds": 2.5}`), &raw))

	_, err := Parse(raw, testSiteURL)

	require.Error(t, err)
	assert.Contains(t, err.Error(), timeoutSetting)
}

func TestParseSiteURL(t *testing.T) {
	tests := map[string]string{
		"http://127.0.0.1:8065":        "http://127.0.0.1:8065",
		"http://127.0.0.1:8065/":       "http://127.0.0.1:8065",
		"https://chat.example.com//":   "https://chat.example.com",
		"https://chat.example.com/mm/": "https://chat.example.com/mm",
		" https://chat.example.com/ ":  "https://chat.example.com",
	}
	for siteURL, expected := range tests {
		t.Run(siteURL, func(t *testing.T) {
			settings, err := Parse(Raw{}, siteURL)
			require.NoError(t, err)

			assert.Equal(t, expected, settings.SiteURL)
		})
	}
}

func TestParseRejectsEmptySiteURL(t *testing.T) {
	for name, siteURL := range map[string]string{"empty": "", "blank": "  ", "slash only": "/"} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(Raw{}, siteURL)

			require.Error(t, err)
			assert.Contains(t, err.Error(), "ServiceSettings.SiteURL is not set")
			assert.Contains(t, err.Error(), "System Console > Environment > Web Server > Site URL")
		})
	}
}

// pluginSetting is one entry of settings_schema.settings in plugin.json.
type pluginSetting struct {
	Key         string `json:"key"`
	DisplayName string `json:"display_name"`
	Type        string `json:"type"`
	Default     any    `json:"default"`
}

func readPluginSettings(t *testing.T) map[string]pluginSetting {
	t.Helper()
	data, err := os.ReadFile("../../plugin.json")
	require.NoError(t, err, "plugin.json is expected at the repository root")

	var manifest struct {
		SettingsSchema struct {
			Settings []pluginSetting `json:"settings"`
		} `json:"settings_schema"`
	}
	require.NoError(t, json.Unmarshal(data, &manifest))

	settings := make(map[string]pluginSetting)
	for _, setting := range manifest.SettingsSchema.Settings {
		settings[setting.Key] = setting
	}
	return settings
}

func TestDefaultsMatchPluginJSON(t *testing.T) {
	settings := readPluginSettings(t)

	tests := map[string]struct {
		expectedType    string
		expectedDefault any
	}{
		"MaxWebhookBodyMB":              {"number", float64(DefaultMaxWebhookBodyMB)},
		"WebhookDeliveryTimeoutSeconds": {"number", float64(DefaultWebhookDeliveryTimeoutSeconds)},
		"DeveloperMode":                 {"bool", Default().DeveloperMode},
	}
	for key, test := range tests {
		t.Run(key, func(t *testing.T) {
			setting, ok := settings[key]
			require.True(t, ok, "plugin.json has no setting %s", key)

			assert.Equal(t, test.expectedType, setting.Type)
			assert.Equal(t, test.expectedDefault, setting.Default)
		})
	}
	assert.Len(t, settings, len(tests), "every setting in plugin.json needs a default check here")
}

// TestPluginJSONDefaultsParse feeds the defaults of plugin.json through Parse, as the plugin API
// does when the admin has saved nothing.
func TestPluginJSONDefaultsParse(t *testing.T) {
	values := make(map[string]any)
	for key, setting := range readPluginSettings(t) {
		values[key] = setting.Default
	}
	data, err := json.Marshal(values)
	require.NoError(t, err)
	var raw Raw
	require.NoError(t, json.Unmarshal(data, &raw))

	settings, err := Parse(raw, testSiteURL)
	require.NoError(t, err)

	expected := Default()
	expected.SiteURL = testSiteURL
	assert.Equal(t, expected, settings)
}

func TestErrorsUseDisplayNames(t *testing.T) {
	settings := readPluginSettings(t)
	tests := map[string]Raw{
		"MaxWebhookBodyMB":              {MaxWebhookBodyMB: "0"},
		"WebhookDeliveryTimeoutSeconds": {WebhookDeliveryTimeoutSeconds: "0"},
	}
	for key, raw := range tests {
		t.Run(key, func(t *testing.T) {
			displayName := strings.TrimSuffix(settings[key].DisplayName, ":")
			require.NotEmpty(t, displayName)

			_, err := Parse(raw, testSiteURL)

			require.Error(t, err)
			assert.Contains(t, err.Error(), `"`+displayName+`"`, "the error names the setting as the System Console shows it")
		})
	}
}

func TestParseStoredJSONOddValues(t *testing.T) {
	tests := map[string]struct {
		json          string
		expectedError string
	}{
		"empty string takes the default": {`{"MaxWebhookBodyMB": ""}`, ""},
		"word is rejected by name":       {`{"MaxWebhookBodyMB": "lots"}`, bodySizeSetting},
		"boolean is rejected by name":    {`{"WebhookDeliveryTimeoutSeconds": true}`, timeoutSetting},
		"object is rejected by name":     {`{"WebhookDeliveryTimeoutSeconds": {"a": 1}}`, timeoutSetting},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			var raw Raw
			require.NoError(t, json.Unmarshal([]byte(test.json), &raw))

			_, err := Parse(raw, testSiteURL)
			if test.expectedError == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), test.expectedError)
		})
	}
}
