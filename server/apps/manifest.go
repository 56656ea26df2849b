package apps

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/pkg/errors"
)

// MaxManifestBytes is the largest manifest the plugin reads.
const MaxManifestBytes = 1 << 20

// Limits of manifest fields.
const (
	minAppIDBytes   = 3
	maxAppIDBytes   = 32
	maxVersionBytes = 10
)

// DefaultWebhookPath is the App path that webhooks go to when the manifest has no on_remote_webhook.
const DefaultWebhookPath = "/webhook"

// Manifest describes an App: who it is, where it runs, what it may do, and the calls the plugin makes
// to it. Unknown fields are ignored, so manifests written for the original Apps plugin install as
// they are.
type Manifest struct {
	AppID       AppID      `json:"app_id"`
	Version     AppVersion `json:"version,omitempty"`
	DisplayName string     `json:"display_name"`
	Description string     `json:"description,omitempty"`
	HomepageURL string     `json:"homepage_url"`
	Icon        string     `json:"icon,omitempty"`

	RequestedPermissions  Permissions     `json:"requested_permissions,omitempty"`
	RequestedLocations    Locations       `json:"requested_locations,omitempty"`
	RemoteWebhookAuthType WebhookAuthType `json:"remote_webhook_auth_type,omitempty"`

	HTTP *HTTP `json:"http,omitempty"`

	OnInstall       *Call `json:"on_install,omitempty"`
	OnUninstall     *Call `json:"on_uninstall,omitempty"`
	OnEnable        *Call `json:"on_enable,omitempty"`
	OnDisable       *Call `json:"on_disable,omitempty"`
	OnRemoteWebhook *Call `json:"on_remote_webhook,omitempty"`
}

// HTTP is the address of an HTTP App and whether calls to it carry a JWT.
type HTTP struct {
	RootURL string `json:"root_url"`
	UseJWT  bool   `json:"use_jwt,omitempty"`
}

// DecodeManifest parses and validates a manifest.
func DecodeManifest(data []byte) (*Manifest, error) {
	var manifest Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, errors.Wrap(err, "invalid manifest JSON")
	}
	if err := manifest.Validate(); err != nil {
		return nil, err
	}
	return &manifest, nil
}

// Validate checks every rule of a manifest and returns the first one broken, naming the field.
func (m *Manifest) Validate() error {
	if err := m.AppID.Validate(); err != nil {
		return err
	}
	if err := m.Version.Validate(); err != nil {
		return err
	}

	if strings.TrimSpace(m.DisplayName) == "" {
		return errors.Errorf("invalid manifest of app %s: display_name is missing", m.AppID)
	}
	if err := validateHTTPURL("homepage_url", m.HomepageURL); err != nil {
		return errors.Wrapf(err, "invalid manifest of app %s", m.AppID)
	}
	if err := validateIcon(m.Icon); err != nil {
		return errors.Wrapf(err, "invalid manifest of app %s", m.AppID)
	}

	if err := m.RequestedPermissions.Validate(); err != nil {
		return errors.Wrapf(err, "invalid requested_permissions of app %s", m.AppID)
	}
	if err := m.RequestedLocations.Validate(); err != nil {
		return errors.Wrapf(err, "invalid requested_locations of app %s", m.AppID)
	}
	if err := m.RemoteWebhookAuthType.Validate(); err != nil {
		return errors.Wrapf(err, "invalid manifest of app %s", m.AppID)
	}

	if m.HTTP == nil {
		return errors.Errorf("invalid manifest of app %s: http.root_url is missing; only HTTP apps are supported", m.AppID)
	}
	if err := validateHTTPURL("http.root_url", m.HTTP.RootURL); err != nil {
		return errors.Wrapf(err, "invalid manifest of app %s", m.AppID)
	}

	for _, named := range m.lifecycleCalls() {
		if named.call == nil {
			continue
		}
		if err := named.call.Validate(); err != nil {
			return errors.Wrapf(err, "invalid %s of app %s", named.name, m.AppID)
		}
	}
	return nil
}

type namedCall struct {
	name string
	call *Call
}

// lifecycleCalls lists the manifest's calls in manifest order, so that Validate reports the same
// broken call every time.
func (m *Manifest) lifecycleCalls() []namedCall {
	calls := []namedCall{
		{"on_install", m.OnInstall},
		{"on_uninstall", m.OnUninstall},
		{"on_enable", m.OnEnable},
		{"on_disable", m.OnDisable},
	}
	if m.OnRemoteWebhook != nil {
		// An on_remote_webhook without a path goes to the default path, as in the original
		// plugin, so the path that webhooks use is the one to check.
		webhookCall := m.WebhookCall()
		calls = append(calls, namedCall{"on_remote_webhook", &webhookCall})
	}
	return calls
}

// WebhookCall returns the call that webhooks are delivered to: on_remote_webhook, or the default
// path /webhook.
func (m *Manifest) WebhookCall() Call {
	if m.OnRemoteWebhook == nil || m.OnRemoteWebhook.Path == "" {
		call := Call{Path: DefaultWebhookPath}
		if m.OnRemoteWebhook != nil {
			call.Expand = m.OnRemoteWebhook.Expand
			call.State = m.OnRemoteWebhook.State
		}
		return call
	}
	return *m.OnRemoteWebhook
}

// Validate checks the length and the alphabet of an App ID.
func (id AppID) Validate() error {
	if len(id) < minAppIDBytes || len(id) > maxAppIDBytes {
		return errors.Errorf("invalid app_id %q: it must be %d to %d bytes long", string(id), minAppIDBytes, maxAppIDBytes)
	}
	if !isIDAlphabet(string(id)) {
		return errors.Errorf("invalid app_id %q: use only letters, digits, '-', '_' and '.'", string(id))
	}
	return nil
}

// Validate checks an optional version: at most 10 bytes of letters, digits, '-', '_' and '.'.
func (v AppVersion) Validate() error {
	if v == "" {
		return nil
	}
	if len(v) > maxVersionBytes {
		return errors.Errorf("invalid version %q: it must be at most %d bytes long", string(v), maxVersionBytes)
	}
	if !isIDAlphabet(string(v)) {
		return errors.Errorf("invalid version %q: use only letters, digits, '-', '_' and '.'", string(v))
	}
	return nil
}

func isIDAlphabet(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

func validateHTTPURL(field, value string) error {
	if value == "" {
		return errors.Errorf("%s is missing", field)
	}
	parsed, err := url.Parse(value)
	if err != nil {
		return errors.Errorf("invalid %s %q: it is not a URL", field, value)
	}
	if (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return errors.Errorf("invalid %s %q: it must be an absolute http or https URL", field, value)
	}
	return nil
}

func validateIcon(icon string) error {
	if icon == "" {
		return nil
	}
	if strings.HasPrefix(icon, "/") || strings.Contains(icon, "://") {
		return errors.Errorf("invalid icon %q: it must be a path relative to the app's static folder", icon)
	}
	for _, segment := range strings.Split(icon, "/") {
		if segment == ".." {
			return errors.Errorf("invalid icon %q: .. segments are not allowed", icon)
		}
	}
	return nil
}
