# Module-system workload: N services in an `attrsOf (submodule ...)` option,
# defined by two modules (so every service merges two definitions), each
# service with six options, then every service read.
#   nix2dream eval --strict --arg n 1000 benches/modules-services.nix
#   nix-instantiate --eval --strict -I nix2dream=modules --arg n 1000 benches/modules-services.nix
{ n ? 1000 }:
let
  lib = import <nix2dream/lib>;
  service = { name, config, ... }: {
    options = {
      enable = lib.mkEnableOption "the service";
      port = lib.mkOption { type = lib.types.port; default = 8000; };
      args = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
      env = lib.mkOption { type = lib.types.attrsOf lib.types.str; default = { }; };
      user = lib.mkOption { type = lib.types.str; default = name; };
      command = lib.mkOption {
        type = lib.types.str;
        default = "/bin/${name} ${lib.concatStringsSep " " config.args}";
      };
    };
  };
  names = lib.genList (i: "svc${toString i}") n;
  e = lib.evalModules {
    modules = [
      { options.services = lib.mkOption { type = lib.types.attrsOf (lib.types.submodule service); default = { }; }; }
      {
        services = lib.genAttrs names (name: {
          enable = true;
          args = [ "--name" name ];
          env.NAME = name;
        });
      }
      {
        services = lib.genAttrs names (name: {
          args = lib.mkAfter [ "--verbose" ];
          env.MODE = lib.mkDefault "prod";
        });
      }
    ];
  };
in
lib.foldl' (acc: s: acc + s.port + builtins.stringLength s.command + builtins.length (builtins.attrNames s.env))
  0 (builtins.attrValues e.config.services)
