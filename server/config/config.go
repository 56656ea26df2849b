// Package config turns the plugin's System Console settings into typed values with units.
package config

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Defaults of the System Console settings. plugin.json repeats them in its settings schema, and
// TestDefaultsMatchPluginJSON keeps the two in step.
const (
	// DefaultMaxWebhookBodyMB fits GitHub's largest webhook payload (25 MB) with room to spare.
	DefaultMaxWebhookBodyMB = 32
	// DefaultWebhookDeliveryTimeoutSeconds matches GitHub's own 10 second wait for a webhook response.
	DefaultWebhookDeliveryTimeoutSeconds = 10
)

// Limits on what an admin can set, so a typing error cannot make the plugin buffer gigabytes or
// hold senders for hours.
const (
	maxWebhookBodyMB                 = 1024
	maxWebhookDeliveryTimeoutSeconds = 300
)

// Raw is the plugin's configuration as Mattermost stores it.
type Raw struct {
	MaxWebhookBodyMB              Number `json:"MaxWebhookBodyMB"`
	WebhookDeliveryTimeoutSeconds Number `json:"WebhookDeliveryTimeoutSeconds"`
	DeveloperMode                 bool   `json:"DeveloperMode"`
}

// Number is a numeric setting as its text. The System Console may save a number as a JSON number,
// as a string, as an empty string when the admin clears the field, or as null. Number accepts all
// of them, so that Parse, not JSON decoding, judges the value and names the setting in its error.
type Number string

// UnmarshalJSON stores a JSON number or string as text, and null as empty.
func (n *Number) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		*n = Number(text)
		return nil
	}
	var number json.Number
	if err := json.Unmarshal(data, &number); err != nil {
		// Keep the raw text, so that Parse reports it with the setting's name.
		*n = Number(data)
		return nil
	}
	*n = Number(number)
	return nil
}

// Settings are the validated settings in the units the code uses.
type Settings struct {
	// MaxBodyBytes caps the body of one webhook request.
	MaxBodyBytes int64
	// DeliveryTimeout bounds one webhook delivery to an App, from the first byte sent to the
	// App's complete response.
	DeliveryTimeout time.Duration
	// DeveloperMode adds developer_mode to the context of every call.
	DeveloperMode bool
	// SiteURL is Mattermost's ServiceSettings.SiteURL without a trailing slash.
	SiteURL string
}

// Default returns the settings used when the admin has set nothing.
func Default() Settings {
	return Settings{
		MaxBodyBytes:    DefaultMaxWebhookBodyMB << 20,
		DeliveryTimeout: DefaultWebhookDeliveryTimeoutSeconds * time.Second,
	}
}

// Parse validates raw settings. Empty values take their defaults. The error names the setting,
// the value and the valid range, for the admin to read in the System Console.
func Parse(raw Raw, siteURL string) (Settings, error) {
	settings := Default()
	settings.DeveloperMode = raw.DeveloperMode

	siteURL = strings.TrimRight(strings.TrimSpace(siteURL), "/")
	if siteURL == "" {
		return settings, errors.New("ServiceSettings.SiteURL is not set: set System Console > Environment > Web Server > Site URL, then enable the plugin again")
	}
	settings.SiteURL = siteURL

	bodyMB, err := parseWholeNumber("Maximum webhook body size (MB)", raw.MaxWebhookBodyMB, DefaultMaxWebhookBodyMB, 1, maxWebhookBodyMB)
	if err != nil {
		return settings, err
	}
	settings.MaxBodyBytes = bodyMB << 20

	timeoutSeconds, err := parseWholeNumber("Webhook delivery timeout (seconds)", raw.WebhookDeliveryTimeoutSeconds, DefaultWebhookDeliveryTimeoutSeconds, 1, maxWebhookDeliveryTimeoutSeconds)
	if err != nil {
		return settings, err
	}
	settings.DeliveryTimeout = time.Duration(timeoutSeconds) * time.Second

	return settings, nil
}

func parseWholeNumber(name string, value Number, defaultValue, minValue, maxValue int64) (int64, error) {
	text := strings.TrimSpace(string(value))
	if text == "" {
		return defaultValue, nil
	}
	number, err := strconv.ParseInt(text, 10, 64)
	if err != nil || number < minValue || number > maxValue {
		return 0, errors.Errorf("invalid setting %q: %q is not a whole number from %d to %d", name, text, minValue, maxValue)
	}
	return number, nil
}
