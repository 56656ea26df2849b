package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

const (
	installUsage = "Usage: `/apps install http <manifest_url> [--app-secret <jwt_secret>]`, then `/apps install confirm <app_id>`."
	confirmUsage = "Usage: `/apps install confirm <app_id>`."
	secretFlag   = "--app-secret"
)

// install runs /apps install http|confirm.
func (h *Handler) install(ctx context.Context, args *model.CommandArgs, fields []string) string {
	if !h.installer.IsSystemAdmin(args.UserId) {
		return "Only system admins can install Apps."
	}
	if len(fields) == 0 {
		return installUsage
	}

	switch strings.ToLower(fields[0]) {
	case "http":
		return h.installHTTP(ctx, args, fields[1:])
	case "confirm":
		return h.confirmInstall(ctx, args, fields[1:])
	}
	return fmt.Sprintf("Unknown install type %s: only `http` Apps can be installed.\n%s", code(fields[0]), installUsage)
}

// installHTTP fetches a manifest, keeps it as the admin's pending install, and shows what the
// admin is asked to confirm.
func (h *Handler) installHTTP(ctx context.Context, args *model.CommandArgs, fields []string) string {
	manifestURL, jwtSecret, err := parseInstallHTTPArgs(fields)
	if err != nil {
		return "Invalid arguments: " + err.Error() + ".\n" + installUsage
	}

	manifest, err := h.manifests.FetchManifest(ctx, manifestURL)
	if err != nil {
		return "Failed to fetch the App's manifest: " + err.Error()
	}
	if manifest.HTTP != nil && manifest.HTTP.UseJWT && jwtSecret == "" && !h.hasJWTSecret(manifest.AppID) {
		return fmt.Sprintf("App %s sets `http.use_jwt`, so calls to it are signed with a secret that the App also knows. Run the command again with that secret: `/apps install http %s --app-secret <jwt_secret>`.",
			code(string(manifest.AppID)), manifestURL)
	}

	pending := &store.PendingInstall{
		Manifest:  *manifest,
		JWTSecret: jwtSecret,
		ChannelID: args.ChannelId,
		TeamID:    args.TeamId,
	}
	if err := h.store.SavePendingInstall(args.UserId, pending); err != nil {
		h.log.Error("failed to save pending install", "app_id", string(manifest.AppID), "user_id", args.UserId, "error", err.Error())
		return fmt.Sprintf("Failed to save the pending install of App %s: %s", code(string(manifest.AppID)), err)
	}
	summary := installSummary(manifest)
	if installed, err := h.store.GetApp(manifest.AppID); err == nil {
		summary += "\n\n" + upgradeNote(installed, manifest)
	}
	return summary
}

// upgradeNote explains to the admin that confirming replaces an installed App and what it keeps.
func upgradeNote(installed *apps.App, m *apps.Manifest) string {
	from := "an unversioned install"
	if installed.Version != "" {
		from = "version " + code(string(installed.Version))
	}
	return fmt.Sprintf("App %s is already installed (%s). Confirming upgrades it in place: its bot, its webhook secret and its KV data are kept, so senders' webhook URLs keep working.",
		code(string(m.AppID)), from)
}

// hasJWTSecret reports whether the App is installed with a JWT secret, which a reinstall without
// --app-secret keeps.
func (h *Handler) hasJWTSecret(id apps.AppID) bool {
	app, err := h.store.GetApp(id)
	if err != nil {
		return false
	}
	return app.JWTSecret != ""
}

// parseInstallHTTPArgs reads the arguments after "install http": one manifest URL, and the
// option --app-secret <value> or --app-secret=<value> anywhere among them.
func parseInstallHTTPArgs(fields []string) (manifestURL, jwtSecret string, err error) {
	for i := 0; i < len(fields); i++ {
		field := fields[i]
		switch {
		case field == secretFlag:
			if i+1 >= len(fields) {
				return "", "", errors.New("option --app-secret needs a value")
			}
			jwtSecret = fields[i+1]
			i++
		case strings.HasPrefix(field, secretFlag+"="):
			jwtSecret = strings.TrimPrefix(field, secretFlag+"=")
		case strings.HasPrefix(field, "--"):
			return "", "", errors.Errorf("unknown option %s", code(field))
		case manifestURL == "":
			// Markdown autolinks are written <url>, and people paste URLs that way.
			manifestURL = strings.TrimSuffix(strings.TrimPrefix(field, "<"), ">")
		default:
			return "", "", errors.Errorf("unexpected argument %s: give only one manifest URL", code(field))
		}
	}
	if manifestURL == "" {
		return "", "", errors.New("the manifest URL is missing")
	}
	return manifestURL, jwtSecret, nil
}

// confirmInstall installs the manifest that the admin's pending install contains.
func (h *Handler) confirmInstall(ctx context.Context, args *model.CommandArgs, fields []string) string {
	if len(fields) != 1 {
		return confirmUsage
	}
	appID := apps.AppID(fields[0])

	pending, err := h.store.TakePendingInstall(args.UserId, appID)
	if errors.Is(err, apps.ErrNotFound) {
		return fmt.Sprintf("There is no pending install of App %s: it expired after %d minutes, was already confirmed, or was never started. Start again with `/apps install http <manifest_url>`.",
			code(string(appID)), int(store.PendingInstallTTL.Minutes()))
	}
	if err != nil {
		h.log.Error("failed to read pending install", "app_id", string(appID), "user_id", args.UserId, "error", err.Error())
		return fmt.Sprintf("Failed to read the pending install of App %s: %s", code(string(appID)), err)
	}

	app, text, err := h.installer.Install(ctx, install.Request{
		Manifest:     &pending.Manifest,
		JWTSecret:    pending.JWTSecret,
		ActingUserID: args.UserId,
		ChannelID:    firstNonEmpty(args.ChannelId, pending.ChannelID),
		TeamID:       firstNonEmpty(args.TeamId, pending.TeamID),
	})
	if err != nil {
		return fmt.Sprintf("Failed to install App %s: %s\n\nStart again with `/apps install http <manifest_url>` once the problem is fixed.", code(string(appID)), err)
	}
	return installedText(app, text)
}

func firstNonEmpty(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}

// installSummary formats what an admin is asked to confirm: the App, where it runs, and the
// requested permissions in plain words.
func installSummary(m *apps.Manifest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### Install App %q?\n", m.DisplayName)
	fmt.Fprintf(&b, "- App ID: %s\n", code(string(m.AppID)))
	if m.Version != "" {
		fmt.Fprintf(&b, "- Version: %s\n", code(string(m.Version)))
	}
	if m.Description != "" {
		fmt.Fprintf(&b, "- Description: %s\n", m.Description)
	}
	if m.HTTP != nil {
		fmt.Fprintf(&b, "- Root URL: %s\n", m.HTTP.RootURL)
	}
	fmt.Fprintf(&b, "- Homepage: %s\n", m.HomepageURL)
	if m.HTTP != nil && m.HTTP.UseJWT {
		b.WriteString("- Calls to the App carry a JWT signed with the secret given with `--app-secret`, or else with the secret of the current install.\n")
	}
	fmt.Fprintf(&b, "- Webhook authentication: %s\n", describeWebhookAuth(m))

	b.WriteString("\n")
	b.WriteString(describePermissions(m.RequestedPermissions))
	fmt.Fprintf(&b, "\nRun `/apps install confirm %s` within %d minutes to grant these permissions and install the App.",
		m.AppID, int(store.PendingInstallTTL.Minutes()))
	return b.String()
}

// installedText reports a successful install, with the App's own text from on_install.
func installedText(app *apps.App, appText string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Installed App %s (%s", code(string(app.AppID)), app.DisplayName)
	if app.Version != "" {
		fmt.Fprintf(&b, ", version %s", app.Version)
	}
	b.WriteString(").")
	if app.BotUsername != "" {
		fmt.Fprintf(&b, " Its bot account is @%s.", app.BotUsername)
	}
	if app.AcceptsWebhooks() {
		fmt.Fprintf(&b, "\nRun `/apps info %s` to see its webhook URL.", app.AppID)
	} else {
		fmt.Fprintf(&b, "\nRun `/apps info %s` to see its details.", app.AppID)
	}
	if appText != "" {
		b.WriteString("\n\nThe App's message:\n")
		b.WriteString(quote(appText))
	}
	return b.String()
}

// quote formats text as a Markdown block quote.
func quote(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, line := range lines {
		lines[i] = "> " + line
	}
	return strings.Join(lines, "\n")
}
