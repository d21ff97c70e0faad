# What a NixOS modular service sets: `process.argv`, `configData`, and the
# `assertions` / `warnings` its modules may add.
# A function of `lib`, `n2d` and the deployment's `config` that returns
# the module (see ./service.nix); everything in it is built once per
# deployment.
{ lib, n2d, deployment }:
let
  inherit (lib) mkOption types literalExpression;
  argv = types.listOf n2d.hostPath;
  optionalText = types.nullOr types.lines;
  optionalSource = types.nullOr n2d.hostPath;
  assertionList = types.listOf types.unspecified;
  messages = types.listOf types.str;

  # A configuration file of one service; `_prefix` is the file's option
  # path, `...services.<service>.configData.<name>`.
  configFile = { config, name, _prefix, ... }:
    let serviceName = builtins.elemAt _prefix (builtins.length _prefix - 3);
    in {
    options = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Whether this configuration file is installed.";
      };
      name = mkOption {
        type = types.str;
        default = name;
        description = "The file's name, relative to the service's configuration directory. Defaults to the attribute name.";
      };
      text = mkOption {
        type = optionalText;
        default = null;
        description = "The file's contents.";
      };
      source = mkOption {
        type = optionalSource;
        default = null;
        description = "A file whose contents are installed (when `text` is not set).";
      };
      path = mkOption {
        type = types.str;
        readOnly = true;
        default = "${deployment.stateDirectory}/config/${serviceName}/${config.name}";
        defaultText = literalExpression ''"''${stateDirectory}/config/<service>/<name>"'';
        description = ''
          Where the file is when the service runs. The entrypoint installs
          it there before the service starts, so this path can be passed to
          the program (`process.argv = [ ... config.configData."app.conf".path ]`).
        '';
      };
    };
  };
in
{
  _file = toString ./modular.nix;

  options = {
    process.argv = mkOption {
      type = argv;
      default = [ ];
      description = ''
        Command filename and arguments for starting this service. This is a
        raw argument vector: it is never re-parsed by a shell, so it needs
        no escaping and expands no variables. When it is set, it is used
        instead of `service.mainProgram` and `service.args`.
      '';
      example = literalExpression ''[ "python3" "-m" "http.server" "8000" ]'';
    };

    configData = mkOption {
      type = types.lazyAttrsOf (types.submodule configFile);
      default = { };
      description = ''
        Configuration files for the service, by name. Each has `text` or a
        `source` file, and is installed at `path` before the service starts.
      '';
      example = literalExpression ''{ "server.conf".text = "port = 8080"; }'';
    };

    assertions = mkOption {
      type = assertionList;
      internal = true;
      default = [ ];
      description = "Conditions of the form `{ assertion = bool; message = string; }`; a false one stops the deployment with its message.";
    };

    warnings = mkOption {
      type = messages;
      internal = true;
      default = [ ];
      description = "Messages shown when the deployment is evaluated.";
    };
  };
}
