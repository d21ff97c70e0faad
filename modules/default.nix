# nix2dream's Nix entry point: `import <nix2dream>`.
#
#   (import <nix2dream>).evalDeployment ./deployment.nix
#
# evaluates a deployment file with the deployment module (./core) by the
# module system of ./lib, as `nix2dream config`, `render` and `up` do.
let
  lib = import ./lib;

  # The default deployment name: the file's name without `.nix`, or the
  # folder's name for a `default.nix`.
  nameOf = file:
    let
      base = baseNameOf (toString file);
      stem = lib.removeSuffix ".nix" base;
    in
    if base == "default.nix" then baseNameOf (dirOf (toString file)) else stem;

  deploymentOptions =
    (lib.evalModules { modules = [ ./core { name = "«deployment»"; } ]; }).options;
in
{
  inherit lib;

  # The deployment module, for embedding nix2dream deployments in other
  # module systems (see ../flake.nix).
  deploymentModule = ./core;

  # `file`: the deployment (a path); the result is what `lib.evalModules`
  # returns (`config`, `options`, ...).
  evalDeployment = file: lib.evalModules {
    modules = [
      ./core
      {
        _file = toString ./default.nix;
        name = lib.mkDefault (nameOf file);
        # There is no nixpkgs here; a deployment that wants one sets
        # `_module.args.pkgs` itself.
        _module.args.pkgs = lib.mkDefault { inherit lib; };
      }
      file
    ];
  };

  # The option tree of the deployment module alone (the `options` of
  # `evalModules`): what `nix2dream options` documents.
  inherit deploymentOptions;

  # All options of the deployment module, as `lib.optionAttrSetToDocList`
  # gives them. `nix2dream options` walks `deploymentOptions` in Rust
  # instead (nix2dream_core::options); its tests compare the two.
  optionsDocs = lib.optionAttrSetToDocList deploymentOptions;
}
