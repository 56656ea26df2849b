// Package command implements the /apps slash command: install Apps from a manifest URL after the
// admin confirms the requested permissions, and uninstall, enable, disable, list and inspect them.
package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
)

// Trigger is the slash command's trigger word.
const Trigger = "apps"

const helpText = "#### /apps: install and manage Apps\n" +
	"- `/apps install http <manifest_url> [--app-secret <jwt_secret>]`: fetch an App's manifest and show the permissions it requests. `--app-secret` is needed for Apps that set `http.use_jwt`.\n" +
	"- `/apps install confirm <app_id>`: grant the permissions shown and install the App.\n" +
	"- `/apps uninstall <app_id>`: uninstall an App, delete its data and its webhook secret.\n" +
	"- `/apps disable <app_id>`: disable an App; webhooks to it are refused until it is enabled.\n" +
	"- `/apps enable <app_id>`: enable a disabled App.\n" +
	"- `/apps list`: list the installed Apps.\n" +
	"- `/apps info <app_id>`: show an App's details and webhook URL. System admins see the URL with its secret.\n" +
	"- `/apps help`: show this help.\n\n" +
	"Install, uninstall, enable and disable need a system admin."

// Handler runs the /apps command.
type Handler struct {
	installer Installer
	store     Store
	manifests ManifestFetcher
	settings  func() config.Settings
	log       Logger
}

// New returns a Handler. settings is read on every command, so changes in the System Console
// apply at once.
func New(installer Installer, st Store, manifests ManifestFetcher, settings func() config.Settings, log Logger) *Handler {
	return &Handler{
		installer: installer,
		store:     st,
		manifests: manifests,
		settings:  settings,
		log:       log,
	}
}

// Command returns the command to register with the plugin API's RegisterCommand.
func (h *Handler) Command() *model.Command {
	return &model.Command{
		Trigger:          Trigger,
		DisplayName:      "Apps",
		Description:      "Install and manage Apps that receive webhooks from other services.",
		AutoComplete:     true,
		AutoCompleteDesc: "Install and manage Apps. Run /apps help for the subcommands.",
		AutoCompleteHint: "[subcommand]",
		AutocompleteData: autocompleteData(),
	}
}

func autocompleteData() *model.AutocompleteData {
	root := model.NewAutocompleteData(Trigger, "[subcommand]", "Install and manage Apps")

	installData := model.NewAutocompleteData("install", "http <manifest_url> | confirm <app_id>", "Install an App (system admins only)")
	installHTTP := model.NewAutocompleteData("http", "<manifest_url> [--app-secret <jwt_secret>]", "Fetch an App's manifest and show the permissions it requests")
	installHTTP.AddTextArgument("URL of the App's manifest", "<manifest_url>", "")
	installHTTP.AddNamedTextArgument("app-secret", "JWT secret shared with an App that sets http.use_jwt", "<jwt_secret>", "", false)
	installData.AddCommand(installHTTP)
	confirm := model.NewAutocompleteData("confirm", "<app_id>", "Grant the permissions shown and install the App")
	confirm.AddTextArgument("ID of the App", "<app_id>", "")
	installData.AddCommand(confirm)
	root.AddCommand(installData)

	for _, sub := range []struct{ trigger, help string }{
		{"uninstall", "Uninstall an App (system admins only)"},
		{"enable", "Enable a disabled App (system admins only)"},
		{"disable", "Disable an App (system admins only)"},
		{"info", "Show an App's details and webhook URL"},
	} {
		command := model.NewAutocompleteData(sub.trigger, "<app_id>", sub.help)
		command.AddTextArgument("ID of the App", "<app_id>", "")
		root.AddCommand(command)
	}
	root.AddCommand(model.NewAutocompleteData("list", "", "List the installed Apps"))
	root.AddCommand(model.NewAutocompleteData("help", "", "Show the subcommands of /apps"))
	return root
}

// Execute runs one /apps command and returns an ephemeral response with Markdown text. Failures
// are reported in the text, so the response is never nil.
func (h *Handler) Execute(ctx context.Context, args *model.CommandArgs) *model.CommandResponse {
	fields := strings.Fields(args.Command)
	if len(fields) > 0 {
		// The first field is the trigger, /apps.
		fields = fields[1:]
	}
	return &model.CommandResponse{
		ResponseType: model.CommandResponseTypeEphemeral,
		Text:         h.run(ctx, args, fields),
	}
}

func (h *Handler) run(ctx context.Context, args *model.CommandArgs, fields []string) string {
	if len(fields) == 0 {
		return helpText
	}

	subcommand, rest := strings.ToLower(fields[0]), fields[1:]
	switch subcommand {
	case "help":
		return helpText
	case "install":
		return h.install(ctx, args, rest)
	case "uninstall", "enable", "disable":
		return h.runLifecycle(ctx, args, subcommand, rest)
	case "list":
		return h.list()
	case "info":
		return h.info(args, rest)
	}
	return fmt.Sprintf("Unknown subcommand %s.\n\n%s", code(fields[0]), helpText)
}

// code formats text as inline code. Backticks in the text would end the code span early, so
// they become single quotes.
func code(text string) string {
	return "`" + strings.ReplaceAll(text, "`", "'") + "`"
}
