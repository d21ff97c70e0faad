# Deployment workload (issue 4): `lib.evalModules` over N services in an
# `attrsOf (submodule ...)`, about eight options each (str, listOf str,
# attrsOf str, nullOr port, ints.positive, bool, nested volumes submodule)
# plus a read-only `command` computed from all of them. The N services
# come from one module, benches/deployment-services.nix. The result is
# Procfile-like text, one "<name>: <command>" line per service, so every
# option of every service is evaluated.
#
#   target/release/nix2dream eval --strict -I nix2dream=modules --arg n 1000 benches/deployment.nix
#   nix-instantiate --eval --strict -I nix2dream=modules --arg n 1000 benches/deployment.nix
#   benches/deployment.sh   (both side by side for N = 100 ... 100000)
{ n ? 1000 }:
let
  lib = import <nix2dream/lib>;
  inherit (lib) mkOption types concatStringsSep concatMapStringsSep mapAttrsToList;

  volume = { name, ... }: {
    options = {
      path = mkOption { type = types.str; default = "/var/lib/${name}"; };
      persisting = mkOption { type = types.bool; default = true; };
    };
  };

  service = { name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; };
      package = mkOption { type = types.str; default = name; };
      args = mkOption { type = types.listOf types.str; default = [ ]; };
      env = mkOption { type = types.attrsOf types.str; default = { }; };
      port = mkOption { type = types.nullOr types.port; default = null; };
      replicas = mkOption { type = types.ints.positive; default = 1; };
      user = mkOption { type = types.str; default = name; };
      volumes = mkOption { type = types.attrsOf (types.submodule volume); default = { }; };
      command = mkOption {
        type = types.str;
        readOnly = true;
        description = "The command line, computed from the other options.";
        default = concatStringsSep " " (
          lib.optional (!config.enable) "false &&"
          ++ [ "env" "USER=${config.user}" ]
          ++ mapAttrsToList (k: v: "${k}=${lib.escapeShellArg v}") config.env
          ++ [ "/bin/${config.package}" ]
          ++ map lib.escapeShellArg config.args
          ++ lib.optionals (config.port != null) [ "--port" (toString config.port) ]
          ++ [ "--replicas" (toString config.replicas) ]
          ++ mapAttrsToList (v: vol: "--volume ${v}=${vol.path}:${if vol.persisting then "keep" else "clear"}") config.volumes
        );
      };
    };
  };

  e = lib.evalModules {
    modules = [
      { options.services = mkOption { type = types.attrsOf (types.submodule service); default = { }; }; }
      (import ./deployment-services.nix { inherit n; })
    ];
  };
in
lib.concatStrings (mapAttrsToList (name: s: "${name}: ${s.command}\n") e.config.services)
