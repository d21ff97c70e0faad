# Deployment-wide options and `services.<name>`.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  # Imported once per deployment and shared by all services (see
  # ./service/default.nix).
  serviceModule = import ./service { inherit lib n2d; deployment = config; };
  n2d = import ./types.nix { inherit lib; };
  env = name: fallback:
    let value = builtins.getEnv name; in if value == "" then fallback else value;
  # Persistent per-user state, as the XDG base directory spec places it.
  defaultStateHome =
    env "XDG_STATE_HOME" (
      let home = builtins.getEnv "HOME"; in
      if home == "" then "/tmp/nix2dream-state" else "${home}/.local/state");
in
{
  options = {
    name = mkOption {
      type = types.strMatching "[A-Za-z0-9][A-Za-z0-9._-]*";
      description = ''
        The deployment's name. It names the state directory and the
        rendered artifacts. Defaults to the deployment file's name without
        `.nix` (or its folder's name for a `default.nix`).
      '';
      example = "shop";
    };

    description = mkOption {
      type = types.str;
      default = "";
      description = "What this deployment is, in one line.";
    };

    stateDirectory = mkOption {
      type = types.str;
      default = env "NIX2DREAM_STATE_DIR" "${defaultStateHome}/nix2dream/${config.name}";
      defaultText = lib.literalExpression ''"$NIX2DREAM_STATE_DIR", else "''${XDG_STATE_HOME:-$HOME/.local/state}/nix2dream/''${name}"'';
      description = ''
        Where the deployment keeps its state when it runs on this machine:
        volumes without an explicit path (`volumes/<service>/<volume>`),
        the installed configData files (`config/<service>/<name>`) and the
        run-time markers of the Procfile target (`run/`).
      '';
    };

    renderers.procfile.portBase = mkOption {
      type = types.port;
      default = 5000;
      description = ''
        The Procfile target cannot ask the machine for free ports, so it
        numbers the ports that have no `hostPort` from here on, in order of
        service and port name, skipping the fixed ones. (`nix2dream up`
        allocates free ports instead.)
      '';
    };

    services = mkOption {
      type = types.attrsOf (types.submoduleWith {
        modules = [ serviceModule ];
        specialArgs = { deployment = config; inherit n2d; };
      });
      default = { };
      description = ''
        The services of this deployment, by name. Each is a NixOS-style
        module: an attribute set, a function `{ config, lib, name, ... }:`,
        or a list of `imports`, so a NixOS modular service (`process.argv`,
        `configData`) works as it is.
      '';
      example = lib.literalExpression ''
        {
          site = {
            process.argv = [ "python3" "-m" "http.server" "8000" ];
            ports.http.port = 8000;
          };
        }
      '';
    };
  };
}
