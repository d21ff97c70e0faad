# nix2dream for flake-parts: `imports = [ nix2dream.flakeModule ];`, then
#
#   perSystem = { ... }: {
#     deployments.web = { services.site.process.argv = [ ... ]; };
#   };
#
# Each deployment is a deployment module (what a deployment file holds),
# evaluated with nix2dream's deployment module, so `nix flake check` type
# checks it and `config.deployments.web.services.site` can be read.
{ lib, flake-parts-lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.perSystem = flake-parts-lib.mkPerSystemOption ({ pkgs, ... }: {
    options.deployments = mkOption {
      type = types.lazyAttrsOf (types.submoduleWith {
        modules = [
          ../modules/core
          ({ name, ... }: {
            # The attribute name is the deployment's name.
            name = lib.mkDefault name;
            _module.args.pkgs = lib.mkDefault pkgs;
          })
        ];
      });
      default = { };
      description = ''
        nix2dream deployments, by name. Each is a deployment module: its
        services live under `services.<name>`.
      '';
    };
  });
}
